package dev.steering.model;

import dev.steering.model.compact.CompactPolicy;
import dev.steering.model.compact.QuantizedSafeTensors;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.Checkpoint;
import dev.steering.weights.SafeTensorsFile;
import dev.steering.weights.TensorSource;
import dev.steering.weights.WeightsException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Saves a checkpoint quantized once (int8 or int4) as a directory that loads without quantizing again: the
 * source's {@code config.json}, generation config and tokenizer files, and a {@code model.safetensors} in the
 * format of {@link QuantizedSafeTensors} (docs/precision.md, "Saving quantized weights").
 */
public final class QuantizedCheckpoint {
    private static final Logger LOG = LoggerFactory.getLogger(QuantizedCheckpoint.class);
    /** The weights file of a saved directory. */
    public static final String WEIGHTS_FILE = "model.safetensors";
    /** The files copied from the source directory when present. */
    static final List<String> COPIED = List.of("config.json", "generation_config.json", "tokenizer.json",
            "tokenizer_config.json", "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt",
            "added_tokens.json", "chat_template.jinja", "chat_template.json");

    private QuantizedCheckpoint() {
    }

    /**
     * Quantizes the checkpoint in {@code source} at {@code precision} exactly as loading it at that precision does,
     * and writes the result to {@code output} (created if needed). Every file is written atomically (a temporary
     * file renamed into place), the weights last.
     *
     * @param precision {@link Precision#INT8} or {@link Precision#INT4}
     * @return the written weights file
     * @throws IllegalArgumentException if the precision is not int8 or int4, or {@code output} is {@code source}
     * @throws WeightsException         if the source is already quantized, cannot be loaded, or a file cannot be
     *                                  written (the message names the file)
     */
    public static Path save(Path source, Path output, Precision precision) {
        if (precision != Precision.INT8 && precision != Precision.INT4) {
            throw new IllegalArgumentException("quantize: dtype " + precision + " is not a quantized type: "
                    + "expected int8 or int4");
        }
        if (source.toAbsolutePath().normalize().equals(output.toAbsolutePath().normalize())) {
            throw new IllegalArgumentException("quantize: the output directory " + output + " is the source");
        }
        StorageType scheme = CompactPolicy.storageType(precision, null);
        long t0 = System.nanoTime();
        try (Checkpoint ckpt = Checkpoint.open(source)) {
            TensorSource tensors = ckpt.tensors();
            if (QuantizedSafeTensors.isQuantized(tensors)) {
                throw new WeightsException(source.resolve(WEIGHTS_FILE) + ": already quantized (metadata '"
                        + QuantizedSafeTensors.SCHEME_KEY + "')");
            }
            Architecture arch = Architectures.load(ckpt.config(), tensors, source.resolve("config.json").toString(),
                    scheme);
            try (Weights weights = arch.weights()) {
                List<QuantizedSafeTensors.Quantized> quantized = new ArrayList<>();
                Map<String, StorageType> halves = new LinkedHashMap<>();
                for (Weights.CheckpointMatrix m : weights.checkpointMatrices()) {
                    if (m.type().grouped()) {
                        // gathered when written: a stacked tensor's rows are copied one tensor at a time
                        quantized.add(new QuantizedSafeTensors.Quantized(m.name(), m.type(), m.out(), m.in(),
                                m.transposed(), () -> weights.checkpointMatrix(m.name())));
                    } else if (m.type() == StorageType.BF16 || m.type() == StorageType.F16) {
                        halves.put(m.name(), m.type());
                    }
                }
                createDirectories(output);
                for (String name : COPIED) {
                    ckpt.file(name).ifPresent(f -> copy(f, output.resolve(name)));
                }
                Path file = output.resolve(WEIGHTS_FILE);
                QuantizedSafeTensors.write(file, tensors, quantized, halves, scheme);
                LOG.info("saved {} at {} ({} matrices quantized) to {} in {} ms", source, precision,
                        quantized.size(), file, (System.nanoTime() - t0) / 1_000_000);
                return file;
            }
        }
    }

    /**
     * The matrices' storage type for a saved quantized file loaded at {@code precision}: the file's scheme, at
     * {@code auto} or the matching dtype.
     *
     * @throws WeightsException naming the file if the precision is another one
     */
    static StorageType target(QuantizedSafeTensors file, Precision precision) {
        StorageType scheme = file.scheme();
        if (precision != Precision.AUTO && CompactPolicy.storageType(precision, null) != scheme) {
            String dtype = scheme == StorageType.INT8 ? "int8" : "int4";
            throw new WeightsException(file.path() + " holds " + QuantizedSafeTensors.schemeName(scheme)
                    + " weights saved by 'quantize': load it with dtype " + dtype + " or auto, not "
                    + precision.configName() + " (or load the original checkpoint)");
        }
        return scheme;
    }

    /** The saved quantized view of a checkpoint's tensors, or null if they are not a saved quantized file. */
    static QuantizedSafeTensors quantized(TensorSource tensors) {
        return QuantizedSafeTensors.isQuantized(tensors) ? QuantizedSafeTensors.of((SafeTensorsFile) tensors) : null;
    }

    private static void createDirectories(Path dir) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new WeightsException("cannot create " + dir + ": " + e, e);
        }
    }

    /** Copies a file atomically: to a temporary file beside the target, renamed over it. */
    private static void copy(Path from, Path to) {
        Path temp = to.resolveSibling("." + to.getFileName() + "." + UUID.randomUUID() + ".tmp");
        try {
            Files.copy(from, temp);
            Files.move(temp, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new WeightsException("cannot copy " + from + " to " + to + ": " + e, e);
        }
    }
}
