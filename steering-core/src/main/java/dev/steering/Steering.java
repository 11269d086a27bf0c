package dev.steering;

import dev.steering.hub.ModelLocator;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The entry point.
 * <pre>{@code
 * SteeredModel m = Steering.model("pythia-160m").layer(8)
 *         .direction(ContrastivePrefix.defaults())
 *         .intervene(Add.alpha(2));
 * Completion c = m.complete("How do I bake bread?");
 * }</pre>
 * A model spec is an alias ({@code pythia-160m}), a Hugging Face repo id with an optional revision
 * ({@code EleutherAI/pythia-160m@step3000}) or a local checkpoint directory; missing files are downloaded into the
 * Hugging Face cache (see {@link ModelLocator}). Each resolved checkpoint is loaded once per JVM and shared by every
 * builder and steered view made from it.
 */
public final class Steering {
    private record Key(Path dir, LoadOptions options) {
    }

    private static final Map<Key, LanguageModel> LOADED = new ConcurrentHashMap<>();

    private Steering() {
    }

    /** A builder over the model {@code spec} (loaded now, or reused if already loaded). */
    public static SteeringBuilder model(String spec) {
        return new SteeringBuilder(load(spec));
    }

    /** A builder over the model {@code spec} loaded with these options (e.g. a precision). */
    public static SteeringBuilder model(String spec, LoadOptions options) {
        return new SteeringBuilder(load(spec, options));
    }

    /** A builder over an already loaded model. */
    public static SteeringBuilder model(LanguageModel model) {
        return new SteeringBuilder(model);
    }

    /**
     * Resolves and loads a model, reusing a copy this JVM already loaded from the same directory. The shared copy
     * lives as long as the JVM: do not close it (use {@link #loadUnshared} for a model you own and close).
     */
    public static LanguageModel load(String spec) {
        return load(spec, LoadOptions.defaults());
    }

    /** As {@link #load(String)}, with these options (one shared copy per directory and options). */
    public static LanguageModel load(String spec, LoadOptions options) {
        Path dir = ModelLocator.locate(spec).toAbsolutePath().normalize();
        return LOADED.computeIfAbsent(new Key(dir, options), k -> LanguageModel.load(k.dir(), spec, k.options()));
    }

    /** Loads a model without sharing it (the caller owns it and should close it). */
    public static LanguageModel loadUnshared(String spec) {
        return loadUnshared(spec, LoadOptions.defaults());
    }

    /** Loads a model with these options without sharing it (the caller owns it and should close it). */
    public static LanguageModel loadUnshared(String spec, LoadOptions options) {
        return LanguageModel.load(ModelLocator.locate(spec), spec, options);
    }
}
