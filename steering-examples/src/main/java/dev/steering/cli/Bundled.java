package dev.steering.cli;

import dev.steering.Steering;
import dev.steering.metrics.toxicity.RobertaClassifier;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What ships inside {@code steering.jar}: configs ({@code configs/*.yaml}), prompt sets ({@code prompts/*.jsonl})
 * the offline default model ({@code models/toy-refusal/}), the tiny toxicity classifier
 * ({@code models/toxicity-tiny/}) and a synthetic RealToxicityPrompts sample ({@code rtp/synthetic.jsonl}), plus how to get them onto disk.
 */
public final class Bundled {
    /** Prefix of model names that refer to a model bundled in the jar. */
    public static final String MODEL_PREFIX = "bundled:";
    /** The bundled config names. */
    static final List<String> CONFIGS = List.of("default", "smoke", "pythia-160m", "toxicity",
            "family-sweep", "family-sweep-real", "quantization", "quantization-real");
    /** Files of a bundled model. */
    private static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors", "tokenizer.json");
    /** Files of a bundled classifier (a byte-level BPE tokenizer as vocab.json + merges.txt). */
    private static final List<String> CLASSIFIER_FILES = List.of("config.json", "model.safetensors", "vocab.json",
            "merges.txt");

    private Bundled() {
    }

    /** Loads {@code bundled:NAME} from the jar, or any other spec through {@link Steering#loadUnshared} (the caller closes it). */
    public static LanguageModel model(String spec) {
        return model(spec, LoadOptions.defaults());
    }

    /** {@link #model(String)} with load options (the precision). */
    public static LanguageModel model(String spec, LoadOptions options) {
        if (!spec.startsWith(MODEL_PREFIX)) {
            return Steering.loadUnshared(spec, options);
        }
        return LanguageModel.load(unpack(spec.substring(MODEL_PREFIX.length()), MODEL_FILES), spec, options);
    }

    /**
     * Loads the classifier {@code bundled:NAME} from the jar, or any other spec through
     * {@link RobertaClassifier#load(String)} (the caller closes it).
     */
    public static RobertaClassifier classifier(String spec) {
        if (!spec.startsWith(MODEL_PREFIX)) {
            return ScoreCommand.loadClassifier(spec);
        }
        return RobertaClassifier.load(unpack(spec.substring(MODEL_PREFIX.length()), CLASSIFIER_FILES));
    }

    /** Copies the bundled model directory {@code models/NAME/} (these files) to the cache and returns it. */
    private static Path unpack(String name, List<String> files) {
        Path dir = cacheRoot().resolve("models").resolve(name + "-" + versionTag());
        for (String f : files) {
            copy("/models/" + name + "/" + f, dir.resolve(f), "bundled model '" + name + "'");
        }
        return dir;
    }

    /** Copies the bundled synthetic RealToxicityPrompts sample to {@code target} (if not there yet). */
    public static Path rtp(Path target) {
        copy("/rtp/synthetic.jsonl", target, "bundled RealToxicityPrompts sample");
        return target;
    }

    /** Copies the bundled prompt split {@code split} to {@code target} (if not there yet). */
    public static Path prompts(String split, Path target) {
        copy("/prompts/" + split + ".jsonl", target, "bundled prompt set '" + split + "'");
        return target;
    }

    private static void copy(String resource, Path target, String what) {
        if (Files.exists(target)) {
            return;
        }
        try (InputStream in = Bundled.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new CliException(what + " is not in this jar (missing " + resource + ")");
            }
            Files.createDirectories(target.getParent());
            Path tmp = Files.createTempFile(target.getParent(), ".bundled", ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot unpack " + what + " to " + target + ": " + e.getMessage(), e);
        }
    }

    /** {@code $STEERING_CACHE} or {@code ~/.cache/steering}. */
    private static Path cacheRoot() {
        String env = System.getenv("STEERING_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "steering");
    }

    private static String versionTag() {
        return dev.steering.direction.LibraryVersion.get();
    }
}
