package dev.steering.weights;

import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Common part of the single-file readers: keeps the floating tensors' infos, sorted, and remembers
 * the names of the skipped non-floating ones.
 */
abstract class FileTensorSource implements TensorSource {
    private static final Logger LOG = LoggerFactory.getLogger(FileTensorSource.class);

    /** The checkpoint file, for messages. */
    protected final Path file;
    private final SortedMap<String, TensorInfo> floating = new TreeMap<>();
    private final Set<String> skipped = new HashSet<>();

    /** @param all every tensor the file holds; non-floating ones are skipped */
    protected FileTensorSource(Path file, Collection<TensorInfo> all) {
        this.file = file;
        for (TensorInfo t : all) {
            if (t.dtype().isFloat()) {
                floating.put(t.name(), t);
            } else {
                LOG.debug("{}: skipping non-floating tensor {}", file, t);
                skipped.add(t.name());
            }
        }
    }

    @Override
    public Set<String> names() {
        return Collections.unmodifiableSet(floating.keySet());
    }

    @Override
    public TensorInfo info(String name) {
        TensorInfo t = floating.get(name);
        if (t == null) {
            throw new WeightsException("no tensor '" + name + "' in " + file
                    + (skipped.contains(name) ? " (it is a non-floating buffer, which is skipped)" : ""));
        }
        return t;
    }

    /** @return whether the file holds the tensor, including skipped non-floating ones */
    boolean holds(String name) {
        return floating.containsKey(name) || skipped.contains(name);
    }

    /** @throws WeightsException if a tensor of {@code numel} elements cannot fit in a Java array */
    protected int checkedLength(TensorInfo t) {
        long n = t.numel();
        if (n > Integer.MAX_VALUE - 8) {
            throw new WeightsException(file + ": tensor '" + t.name() + "' has " + n
                    + " elements, more than a Java float[] can hold (at most " + (Integer.MAX_VALUE - 8) + ")");
        }
        return (int) n;
    }
}
