package dev.steering.weights;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A merged view of a sharded checkpoint described by an index file
 * ({@code {"metadata": {...}, "weight_map": {tensor: shard file}}}), as Hugging Face writes for
 * {@code model.safetensors.index.json} and {@code pytorch_model.bin.index.json}.
 */
final class ShardedTensorSource implements TensorSource {
    private static final Logger LOG = LoggerFactory.getLogger(ShardedTensorSource.class);

    private final Path index;
    private final Map<String, FileTensorSource> shards;
    private final SortedMap<String, TensorSource> owners = new TreeMap<>();

    private ShardedTensorSource(Path index, Map<String, FileTensorSource> shards) {
        this.index = index;
        this.shards = shards;
    }

    /**
     * Opens every shard named in the index and checks each listed tensor is in its shard.
     *
     * @param index the index file; shard names are resolved against its directory
     * @param root its parsed JSON
     * @param opener opens one shard file
     */
    static ShardedTensorSource open(Path index, JsonNode root, Function<Path, FileTensorSource> opener) {
        JsonNode weightMap = root.get("weight_map");
        if (weightMap == null || !weightMap.isObject()) {
            throw new WeightsException(index + ": expected an object 'weight_map' of tensor name to shard file, found "
                    + (weightMap == null ? "nothing" : weightMap.getNodeType()));
        }
        ShardedTensorSource merged = new ShardedTensorSource(index, new LinkedHashMap<>());
        try {
            for (Iterator<Map.Entry<String, JsonNode>> it = weightMap.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                merged.add(e.getKey(), e.getValue(), opener);
            }
        } catch (RuntimeException e) {
            merged.close();
            throw e;
        }
        LOG.debug("{}: {} tensors in {} shards", index, merged.owners.size(), merged.shards.size());
        return merged;
    }

    private void add(String tensor, JsonNode shardNode, Function<Path, FileTensorSource> opener) {
        if (!shardNode.isTextual()) {
            throw new WeightsException(index + ": weight_map entry for tensor '" + tensor
                    + "': expected a shard file name, found " + shardNode);
        }
        String shardName = shardNode.textValue();
        Path dir = index.toAbsolutePath().normalize().getParent();
        Path shardFile = dir.resolve(shardName).normalize();
        if (!dir.equals(shardFile.getParent())) {
            throw new WeightsException(index + ": weight_map entry for tensor '" + tensor + "' names shard '"
                    + shardName + "': expected a file name in " + dir);
        }
        FileTensorSource shard = shards.get(shardName);
        if (shard == null) {
            if (!Files.isRegularFile(shardFile)) {
                throw new WeightsException(index + ": shard file " + shardFile + " (holding tensor '" + tensor
                        + "') does not exist");
            }
            shard = opener.apply(shardFile);
            shards.put(shardName, shard);
        }
        if (shard.contains(tensor)) {
            owners.put(tensor, shard);
        } else if (!shard.holds(tensor)) {
            throw new WeightsException(index + ": weight_map puts tensor '" + tensor + "' in " + shardFile
                    + " but that shard has no such tensor");
        }
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(owners.keySet());
    }

    @Override
    public TensorInfo info(String name) {
        return owner(name).info(name);
    }

    @Override
    public float[] floats(String name) {
        return owner(name).floats(name);
    }

    @Override
    public void floats(String name, long from, float[] dst, int dstOffset, int count) {
        owner(name).floats(name, from, dst, dstOffset, count);
    }

    private TensorSource owner(String name) {
        TensorSource shard = owners.get(name);
        if (shard == null) {
            throw new WeightsException("no tensor '" + name + "' in " + index);
        }
        return shard;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (TensorSource shard : shards.values()) {
            try {
                shard.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }
}
