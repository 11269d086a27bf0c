package dev.steering.spark;

import dev.steering.experiment.SharedRun;
import java.nio.file.Path;

/**
 * Registers {@link HadoopSharedRun} for {@link dev.steering.experiment.SharedRuns#open}: every URI scheme but
 * {@code file}, when Hadoop's client is on the class path (as under spark-submit).
 */
public final class HadoopStorageProvider implements SharedRun.Provider {
    /** For {@link java.util.ServiceLoader}. */
    public HadoopStorageProvider() {
    }

    @Override
    public boolean supports(String scheme) {
        if (scheme == null || scheme.equalsIgnoreCase("file")) {
            return false;
        }
        try {
            Class.forName("org.apache.hadoop.fs.FileSystem", false, HadoopStorageProvider.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }

    @Override
    public SharedRun open(String uri, Path local) {
        return new HadoopSharedRun(uri, local);
    }
}
