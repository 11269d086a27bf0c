package dev.steering.experiment;

import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Path;

/**
 * A run directory kept on shared storage that is not a local file system (HDFS, S3: {@code hdfs://}, {@code s3a://}
 * URIs), mirrored by a local working copy in which the studies read and write as on a local run directory. Every
 * process of a run (the driver, each executor) works in its own copy at {@link #local()} and synchronises at fixed
 * points: the driver {@link #pull}s the run when it starts (resume), {@link #push}es what it wrote before every
 * distributed stage and at the end (reports, figures, {@code results.parquet}), and pulls the executors' parts after
 * a stage; an executor pulls before a task and pushes what it added after. A finished condition's part is
 * {@link #publish}ed the moment it is written ({@link ResultStore#append}), so a killed process loses at most the
 * condition in flight. Files whose name starts with a dot (temporary files) are never copied either way.
 *
 * <p>Serializable as its URI and local path: an executor's copy is at the driver's local path. Implementations are
 * found by {@link SharedRuns#open} as {@link java.util.ServiceLoader} services ({@link Provider}); the one over
 * Hadoop's FileSystem lives in {@code steering-spark}, so Hadoop is not a dependency of this module.
 */
public interface SharedRun extends Serializable {

    /** The run directory on the shared storage, e.g. {@code hdfs://namenode:8020/runs/toy-refusal-3f2a9c1d}. */
    String uri();

    /** This process's working copy of the run directory. */
    Path local();

    /** True when the run directory exists on the shared storage. */
    boolean exists() throws IOException;

    /** Deletes the run directory on the shared storage, with everything in it. */
    void delete() throws IOException;

    /**
     * Copies every file of the shared run directory that the working copy lacks, or holds in another version, into
     * the working copy (each through a temporary file and an atomic rename).
     */
    void pull() throws IOException;

    /**
     * Copies the working copy's files that the shared run directory lacks to it, each as {@link #publish} does.
     *
     * @param replace also replace the shared files the working copy holds in another version (the driver's reports
     *                and merged results, rewritten on a resumed run); false for an executor, which only adds files
     */
    void push(boolean replace) throws IOException;

    /**
     * Copies one finished file of the working copy to the shared run directory, unless a file of that name is there
     * already (a retried or duplicated task stored the same condition): it never appears there half-written under
     * its name (a temporary name and a rename where the storage renames atomically, e.g. HDFS; a direct write where
     * an object becomes visible only once complete and rename is a copy, e.g. S3).
     */
    void publish(Path file) throws IOException;

    /** Opens a {@link SharedRun} over the storage of some URI schemes. */
    interface Provider {
        /** True when this provider can open {@code scheme}'s URIs in this JVM (its client is on the class path). */
        boolean supports(String scheme);

        /**
         * @param uri   the run directory on the shared storage
         * @param local the working copy's directory
         */
        SharedRun open(String uri, Path local);
    }
}
