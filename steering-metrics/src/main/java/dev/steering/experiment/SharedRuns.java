package dev.steering.experiment;

import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Opens {@link SharedRun}s and knows the ones this JVM works in, by their working copy, so that a
 * {@link ResultStore} created on a path inside a working copy publishes its parts ({@link #covering}).
 */
public final class SharedRuns {
    private static final Map<Path, SharedRun> ATTACHED = new ConcurrentHashMap<>();

    private SharedRuns() {
    }

    /**
     * A shared run directory over the storage of {@code uri}'s scheme, from the first {@link SharedRun.Provider} on
     * the class path that supports it.
     *
     * @throws IllegalStateException when none does (the message says what to put on the class path)
     */
    public static SharedRun open(String uri, Path local) {
        String scheme = URI.create(uri).getScheme();
        for (SharedRun.Provider p : ServiceLoader.load(SharedRun.Provider.class,
                Thread.currentThread().getContextClassLoader())) {
            if (p.supports(scheme)) {
                return p.open(uri, local);
            }
        }
        throw new IllegalStateException(scheme + ":// output needs the steering-spark jar and the Hadoop client on "
                + "the class path: run under spark-submit with --jars steering-spark.jar (docs/distributed.md)");
    }

    /** Makes {@code run} the one of its working copy in this JVM (again: no change). */
    public static void attach(SharedRun run) {
        ATTACHED.putIfAbsent(key(run.local()), run);
    }

    /** Forgets {@code run} (its working copy is gone). */
    public static void detach(SharedRun run) {
        ATTACHED.remove(key(run.local()), run);
    }

    /** The attached shared run whose working copy holds {@code dir}, if any. */
    public static Optional<SharedRun> covering(Path dir) {
        for (Path p = key(dir); p != null; p = p.getParent()) {
            SharedRun r = ATTACHED.get(p);
            if (r != null) {
                return Optional.of(r);
            }
        }
        return Optional.empty();
    }

    private static Path key(Path p) {
        return p.toAbsolutePath().normalize();
    }
}
