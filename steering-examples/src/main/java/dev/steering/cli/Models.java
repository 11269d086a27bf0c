package dev.steering.cli;

import dev.steering.Steering;
import dev.steering.hub.BundledModels;
import dev.steering.hub.HubException;
import dev.steering.hub.ModelRef;
import dev.steering.metrics.toxicity.RobertaClassifier;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import dev.steering.model.Precision;

/**
 * Loads the models named on the command line. A spec that names nothing loadable (a missing directory, a malformed
 * repository id) is an input error ({@link CliException}, exit code 2); a download or load failure stays a runtime
 * failure (exit code 1).
 */
final class Models {
    private Models() {
    }

    /** The language model {@code spec} at float32 (the caller closes it). */
    static LanguageModel language(String spec) {
        return language(spec, LoadOptions.defaults());
    }

    /** The language model {@code spec} loaded with these options, e.g. a precision (the caller closes it). */
    static LanguageModel language(String spec, LoadOptions options) {
        checkSpec(spec);
        return Steering.loadUnshared(spec, options);
    }

    /** The language model {@code spec} with its weights at {@code precision} (the caller closes it). */
    static LanguageModel language(String spec, Precision precision) {
        return language(spec, LoadOptions.precision(precision));
    }

    /** Checks {@code spec} as the loaders do, then resolves it to its checkpoint directory. */
    static java.nio.file.Path directory(String spec) {
        checkSpec(spec);
        return dev.steering.hub.ModelLocator.locate(spec);
    }

    /** The sequence classifier {@code spec} (the caller closes it). */
    static RobertaClassifier classifier(String spec) {
        checkSpec(spec);
        try {
            return RobertaClassifier.load(spec);
        } catch (RuntimeException e) {
            throw new CliException("cannot load classifier " + spec + ": " + e.getMessage(), e);
        }
    }

    private static void checkSpec(String spec) {
        if (BundledModels.isBundled(spec)) {
            if (!BundledModels.exists(spec)) {
                throw new CliException("--model " + spec + ": no such bundled model (steering.jar bundles "
                        + "bundled:toy-refusal, bundled:llama-random and the classifier bundled:toxicity-tiny)");
            }
            return;
        }
        ModelRef ref;
        try {
            ref = ModelRef.parse(spec);
        } catch (HubException e) {
            throw new CliException(e.getMessage(), e);
        }
        if (ref instanceof ModelRef.Local local && !java.nio.file.Files.isRegularFile(local.dir().resolve("config.json"))) {
            throw new CliException("--model " + spec + ": " + (java.nio.file.Files.isDirectory(local.dir())
                    ? "the directory has no config.json" : "no such directory, alias or repository id"));
        }
    }
}
