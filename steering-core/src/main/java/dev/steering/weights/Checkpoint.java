package dev.steering.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Hugging Face model directory: {@code config.json}, the weights in one of the usual layouts, and
 * side files such as {@code tokenizer.json}. Config and tensors are loaded on first use.
 */
public final class Checkpoint implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoint.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** A weights layout: the file that marks it and how to open it. */
    private record Layout(String fileName, Function<Path, FileTensorSource> opener, boolean sharded) {
    }

    /** Weight layouts in order of preference. */
    private static final List<Layout> LAYOUTS = List.of(
            new Layout("model.safetensors", SafeTensors::open, false),
            new Layout("model.safetensors.index.json", SafeTensors::open, true),
            new Layout("pytorch_model.bin", TorchPickle::openFile, false),
            new Layout("pytorch_model.bin.index.json", TorchPickle::openFile, true));

    private final Path dir;
    private JsonNode config;
    private TensorSource tensors;

    private Checkpoint(Path dir) {
        this.dir = dir;
    }

    /**
     * Opens a model directory. Nothing is read yet.
     *
     * @param dir the directory
     * @return the checkpoint; close it to release the weight files
     * @throws WeightsException if {@code dir} is not a directory
     */
    public static Checkpoint open(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new WeightsException("checkpoint " + dir + ": expected a model directory, found "
                    + (Files.exists(dir) ? "a file" : "nothing"));
        }
        return new Checkpoint(dir);
    }

    /** @return the model directory */
    public Path dir() {
        return dir;
    }

    /**
     * @return the parsed {@code config.json} (read once)
     * @throws WeightsException if it is missing or not a JSON object
     */
    public synchronized JsonNode config() {
        if (config == null) {
            config = readJsonObject(dir.resolve("config.json"));
        }
        return config;
    }

    /**
     * The checkpoint's tensors, opened on first call from the first layout present of
     * {@code model.safetensors}, {@code model.safetensors.index.json} (shards merged),
     * {@code pytorch_model.bin}, {@code pytorch_model.bin.index.json}. Closed by {@link #close()}.
     *
     * @return the tensors (the same instance on every call)
     * @throws WeightsException if no layout is present or the weights are malformed
     */
    public synchronized TensorSource tensors() {
        if (tensors == null) {
            tensors = openTensors();
        }
        return tensors;
    }

    private TensorSource openTensors() {
        for (Layout layout : LAYOUTS) {
            Path file = dir.resolve(layout.fileName());
            if (Files.isRegularFile(file)) {
                LOG.debug("{}: loading weights from {}", dir, layout.fileName());
                return layout.sharded()
                        ? ShardedTensorSource.open(file, readJsonObject(file), layout.opener())
                        : layout.opener().apply(file);
            }
        }
        throw new WeightsException("checkpoint " + dir + ": expected one of "
                + LAYOUTS.stream().map(Layout::fileName).toList() + ", found none");
    }

    /**
     * @param name a file name such as {@code "tokenizer.json"}
     * @return the file in the model directory, if it exists there
     */
    public Optional<Path> file(String name) {
        Path file = dir.resolve(name).normalize();
        return file.startsWith(dir.normalize()) && Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** Closes the tensors if they were opened. */
    @Override
    public synchronized void close() {
        if (tensors != null) {
            tensors.close();
            tensors = null;
        }
    }

    private static JsonNode readJsonObject(Path file) {
        JsonNode node;
        try {
            node = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new WeightsException(Files.exists(file)
                    ? file + ": expected a JSON object, found invalid JSON: " + e.getMessage()
                    : file + " is missing: expected a JSON file", e);
        }
        if (node == null || !node.isObject()) {
            throw new WeightsException(file + ": expected a JSON object, found "
                    + (node == null || node.isMissingNode() ? "nothing" : node.getNodeType()));
        }
        return node;
    }
}
