package dev.steering.cli;

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
 * ({@code models/toxicity-tiny/}) and a synthetic RealToxicityPrompts sample ({@code rtp/synthetic.jsonl}), plus how to
 * get the data files onto disk. The models are loaded by name ({@code bundled:toy-refusal}) through
 * {@link dev.steering.hub.BundledModels}, like any other model spec.
 */
public final class Bundled {
    /** The bundled config names. */
    static final List<String> CONFIGS = List.of("default", "smoke", "pythia-160m", "toxicity",
            "family-sweep", "family-sweep-real", "quantization", "quantization-real");

    private Bundled() {
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
}
