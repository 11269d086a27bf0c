package dev.steering.direction;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.steering.weights.SafeTensors;
import dev.steering.weights.SafeTensorsFile;
import dev.steering.weights.WeightsException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Steering vectors as safetensors files that Python reads ({@code safetensors.torch.load_file(p)["v"]}): the 1-D
 * F32 tensor {@code v} and, in {@code __metadata__}, the provenance ({@link ProvenanceMetadata}) plus
 * {@code normalized} and {@code raw_norm}. A unit-norm file still restores the raw vector ({@code v·raw_norm}), so
 * {@link dev.steering.hooks.Add#multiplier(double)} works on it.
 */
public final class SteeringVectorFile {
    /** The tensor name of the vector. */
    public static final String TENSOR = "v";
    /** Metadata key: whether {@code v} was stored unit-norm. */
    public static final String NORMALIZED = "normalized";
    /** Metadata key: the raw vector's norm. */
    public static final String RAW_NORM = "raw_norm";

    private SteeringVectorFile() {
    }

    /**
     * Reads a vector file: the tensor {@code v}, or the only tensor if there is exactly one (so a plain
     * {@code save_file({"anything": t})} from Python works too). It must be 1-D.
     */
    public static SteeringVector load(Path file) {
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            String name;
            if (f.contains(TENSOR)) {
                name = TENSOR;
            } else if (f.names().size() == 1) {
                name = f.names().iterator().next();
            } else {
                throw new WeightsException(file + ": expected a tensor named '" + TENSOR
                        + "' (or exactly one tensor), found " + f.names());
            }
            long[] shape = f.info(name).shape();
            if (shape.length != 1) {
                throw new WeightsException(file + ": tensor '" + name + "' must be 1-D, has shape "
                        + Arrays.toString(shape));
            }
            Map<String, String> meta = new LinkedHashMap<>(f.metadata());
            float[] values = f.floats(name);
            if ("true".equals(meta.get(NORMALIZED)) && meta.containsKey(RAW_NORM)) {
                double rawNorm;
                try {
                    rawNorm = Double.parseDouble(meta.get(RAW_NORM));
                } catch (NumberFormatException e) {
                    throw new WeightsException(file + ": metadata raw_norm is not a number: '" + meta.get(RAW_NORM) + "'");
                }
                values = SteeringVector.of(values).scaledUnit(rawNorm);
            }
            try {
                return new SteeringVector(values, meta);
            } catch (IllegalArgumentException e) {
                throw new WeightsException(file + ": " + e.getMessage());
            }
        }
    }

    /**
     * Writes {@code v} atomically.
     *
     * @param normalize store the unit vector (and record {@code raw_norm}); otherwise the raw vector
     */
    public static void save(SteeringVector v, Path file, boolean normalize) {
        Map<String, String> meta = new LinkedHashMap<>(v.metadata());
        meta.put(NORMALIZED, Boolean.toString(normalize));
        meta.put(RAW_NORM, Double.toString(v.norm()));
        float[] values = normalize ? v.unit() : v.raw();
        SafeTensors.write(file, Map.of(TENSOR, Nd4j.create(values, new long[]{values.length}, 'c')), meta);
    }

    /**
     * Writes {@code dir/v.safetensors} and {@code dir/stats.json} (norm, prompt count, split-half cosine and the
     * metadata), each atomically.
     */
    public static void saveWithStats(DirectionResult d, Path dir, boolean normalize) {
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        save(d.vector(), dir.resolve("v.safetensors"), normalize);
        saveStats(d, dir.resolve("stats.json"));
    }

    /** Writes a direction's statistics and metadata as JSON, atomically. */
    public static void saveStats(DirectionResult d, Path file) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Map<String, Object> stats = new LinkedHashMap<>();
            stats.put("raw_norm", d.stats().rawNorm());
            stats.put("n_prompts", d.stats().nPrompts());
            stats.put("split_half_cosine", Double.isNaN(d.stats().splitHalfCosine()) ? null : d.stats().splitHalfCosine());
            stats.put("metadata", d.vector().metadata());
            Path tmp = Files.createTempFile(dir, ".stats", ".tmp");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(tmp.toFile(), stats);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** The default location {@code <root>/directions/<model>/layer_<L>/} (the model id made path-safe). */
    public static Path defaultDir(Path root, String modelId, int layer) {
        String safe = modelId.replaceAll("[^A-Za-z0-9._-]+", "_");
        return root.resolve("directions").resolve(safe).resolve("layer_" + layer);
    }
}
