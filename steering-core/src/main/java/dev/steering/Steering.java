package dev.steering;

import dev.steering.hub.ModelLocator;
import dev.steering.model.LanguageModel;
import dev.steering.model.LoadOptions;
import dev.steering.model.Precision;
import dev.steering.model.QuantizedCheckpoint;
import java.nio.file.Path;
import java.util.List;
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
 * Hugging Face cache (see {@link ModelLocator}). Each resolved checkpoint (per {@link LoadOptions}) is loaded once
 * per JVM and shared by every builder and steered view made from it, until {@link #unload} or {@link #clear()}
 * frees it.
 */
public final class Steering {
    static {
        dev.steering.NativeRuntime.prepare();          // before ND4J's native library loads
    }

    private record Key(Path dir, LoadOptions options) {
    }

    private static final Map<Key, LanguageModel> LOADED = new ConcurrentHashMap<>();

    private Steering() {
    }

    /**
     * A builder over the shared copy of the model {@code spec} (loaded now, or reused if already loaded). The
     * builder borrows the shared copy: it works until {@link #unload} or {@link #clear()} frees it.
     */
    public static SteeringBuilder model(String spec) {
        return model(spec, LoadOptions.defaults());
    }

    /** As {@link #model(String)}, loaded with these options (e.g. a precision). */
    public static SteeringBuilder model(String spec, LoadOptions options) {
        return new SteeringBuilder(shared(spec, options));
    }

    /** A builder over an already loaded model. */
    public static SteeringBuilder model(LanguageModel model) {
        return new SteeringBuilder(model);
    }

    /**
     * Resolves and loads a model, reusing the copy this JVM shares for the same directory and options. The caller
     * holds one use of the shared copy: closing it (try-with-resources) releases that use and never breaks other
     * users or later loads; the copy itself stays loaded for the next caller until {@link #unload} or
     * {@link #clear()}.
     */
    public static LanguageModel load(String spec) {
        return load(spec, LoadOptions.defaults());
    }

    /** As {@link #load(String)}, with these options (one shared copy per directory and options). */
    public static LanguageModel load(String spec, LoadOptions options) {
        while (true) {
            LanguageModel m = shared(spec, options);
            if (m.retain()) {
                return m;
            }
            // freed by a concurrent unload between lookup and retain: load again
        }
    }

    private static LanguageModel shared(String spec, LoadOptions options) {
        Path dir = ModelLocator.locate(spec).toAbsolutePath().normalize();
        return LOADED.compute(new Key(dir, options),
                (k, m) -> m != null && !m.isClosed() ? m : LanguageModel.load(k.dir(), spec, k.options()));
    }

    /**
     * Drops the shared copies of {@code spec} (every precision): each is freed now, or when its last caller of
     * {@link #load} closes it. Builders made by {@link #model(String)} over it stop working.
     *
     * @return whether a copy was shared
     */
    public static boolean unload(String spec) {
        Path dir = ModelLocator.locate(spec).toAbsolutePath().normalize();
        boolean any = false;
        for (Key k : List.copyOf(LOADED.keySet())) {
            if (k.dir().equals(dir)) {
                LanguageModel m = LOADED.remove(k);
                if (m != null) {
                    m.close();
                    any = true;
                }
            }
        }
        return any;
    }

    /** Drops every shared model, as {@link #unload} does for one. */
    public static void clear() {
        for (Key k : List.copyOf(LOADED.keySet())) {
            LanguageModel m = LOADED.remove(k);
            if (m != null) {
                m.close();
            }
        }
    }

    /** Loads a model without sharing it (the caller owns it and should close it). */
    public static LanguageModel loadUnshared(String spec) {
        return loadUnshared(spec, LoadOptions.defaults());
    }

    /** Loads a model with these options without sharing it (the caller owns it and should close it). */
    public static LanguageModel loadUnshared(String spec, LoadOptions options) {
        return LanguageModel.load(ModelLocator.locate(spec), spec, options);
    }

    /**
     * Quantizes model {@code spec} once at {@code precision} ({@link Precision#INT8} or {@link Precision#INT4}) and
     * saves it to directory {@code output}, which then loads at that dtype (or {@code auto}) without quantizing again
     * ({@link QuantizedCheckpoint#save}; docs/precision.md, "Saving quantized weights").
     *
     * @return the written weights file, {@code output/model.safetensors}
     */
    public static Path saveQuantized(String spec, Precision precision, Path output) {
        return QuantizedCheckpoint.save(ModelLocator.locate(spec), output, precision);
    }
}
