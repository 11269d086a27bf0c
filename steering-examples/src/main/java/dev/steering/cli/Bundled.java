package dev.steering.cli;

import dev.steering.Steering;
import dev.steering.model.LanguageModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;

/**
 * What ships inside {@code steering.jar}: configs ({@code configs/*.yaml}), prompt sets ({@code prompts/*.jsonl})
 * and the offline default model ({@code models/toy-refusal/}), plus how to get them onto disk.
 */
public final class Bundled {
    /** Prefix of model names that refer to a model bundled in the jar. */
    public static final String MODEL_PREFIX = "bundled:";
    /** The bundled config names. */
    static final List<String> CONFIGS = List.of("default", "smoke", "pythia-160m");
    /** Files of a bundled model. */
    private static final List<String> MODEL_FILES = List.of("config.json", "model.safetensors", "tokenizer.json");

    private Bundled() {
    }

    /** Loads {@code bundled:NAME} from the jar, or any other spec through {@link Steering#loadUnshared} (the caller closes it). */
    public static LanguageModel model(String spec) {
        if (!spec.startsWith(MODEL_PREFIX)) {
            return Steering.loadUnshared(spec);
        }
        String name = spec.substring(MODEL_PREFIX.length());
        Path dir = cacheRoot().resolve("models").resolve(name + "-" + versionTag());
        for (String f : MODEL_FILES) {
            copy("/models/" + name + "/" + f, dir.resolve(f), "bundled model '" + name + "'");
        }
        return LanguageModel.load(dir, spec);
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
