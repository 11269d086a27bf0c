package dev.steering.direction;

import dev.steering.weights.SafeTensors;
import dev.steering.weights.SafeTensorsFile;
import dev.steering.weights.WeightsException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Steering vectors as safetensors files: the vector is the 1-D F32 tensor {@code v} and the provenance lives in
 * {@code __metadata__}, so Python's {@code safetensors.torch.load_file(path)["v"]} reads it.
 */
public final class SteeringVectorFile {
    /** The tensor name of the vector. */
    public static final String TENSOR = "v";

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
                throw new WeightsException(file + ": expected a tensor named '" + TENSOR + "' (or exactly one tensor), found "
                        + f.names());
            }
            long[] shape = f.info(name).shape();
            if (shape.length != 1) {
                throw new WeightsException(file + ": tensor '" + name + "' must be 1-D, has shape "
                        + Arrays.toString(shape));
            }
            try {
                return new SteeringVector(f.floats(name), f.metadata());
            } catch (IllegalArgumentException e) {
                throw new WeightsException(file + ": " + e.getMessage());
            }
        }
    }

    /** Writes {@code v} (raw) and its metadata atomically. */
    public static void save(SteeringVector v, Path file) {
        float[] raw = v.raw();
        SafeTensors.write(file, Map.of(TENSOR, Nd4j.create(raw, new long[]{raw.length}, 'c')), v.metadata());
    }
}
