package dev.steering.spark;

import dev.steering.experiment.SharedRun;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serial;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.SparkConf;
import org.apache.spark.SparkEnv;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SharedRun} over Hadoop's {@link FileSystem}: {@code hdfs://}, {@code s3a://} (with hadoop-aws and the AWS
 * SDK on the class path) or any other scheme Hadoop is configured for. A file is published under a hidden temporary
 * name ({@code .<name>.<uuid>.tmp}) and renamed, which HDFS does atomically, except on object stores
 * ({@link #OBJECT_STORES}: S3, GCS), whose rename is a copy and whose object becomes visible only when its upload
 * completes: there the final key is written directly. A copy's modification time is set to its original's, so a
 * file is copied again only when it changed.
 *
 * <p>The Hadoop configuration is Hadoop's defaults ({@code core-site.xml}, {@code hdfs-site.xml} on the class path)
 * with Spark's {@code spark.hadoop.*} settings, plus short client retries and timeouts unless set
 * ({@link #FAIL_FAST}), so that an unreachable name node or endpoint fails in seconds instead of minutes.
 */
final class HadoopSharedRun implements SharedRun {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(HadoopSharedRun.class);

    /** Schemes of object stores: no atomic rename, and an object appears only complete. */
    static final Set<String> OBJECT_STORES = Set.of("s3a", "s3", "s3n", "gs");

    /** Client settings applied unless the configuration sets them: fail in seconds, not after minutes of retries. */
    static final Map<String, String> FAIL_FAST = Map.of(
            "ipc.client.connect.timeout", "5000",
            "ipc.client.connect.max.retries", "1",
            "ipc.client.connect.max.retries.on.timeouts", "1",
            "dfs.client.failover.max.attempts", "2",
            "fs.s3a.connection.establish.timeout", "5000",
            "fs.s3a.connection.timeout", "30000",
            "fs.s3a.attempts.maximum", "2",
            "fs.s3a.retry.limit", "2");

    private final String uri;
    private final String local;
    private transient FileSystem fs;

    HadoopSharedRun(String uri, java.nio.file.Path local) {
        this.uri = uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri;
        this.local = local.toAbsolutePath().normalize().toString();
    }

    @Override
    public String uri() {
        return uri;
    }

    @Override
    public java.nio.file.Path local() {
        return java.nio.file.Path.of(local);
    }

    @Override
    public boolean exists() throws IOException {
        return fs().exists(root());
    }

    @Override
    public void delete() throws IOException {
        fs().delete(root(), true);
    }

    @Override
    public void pull() throws IOException {
        java.nio.file.Path dir = local();
        int copied = 0;
        for (Map.Entry<String, FileStatus> e : list().entrySet()) {
            java.nio.file.Path file = dir.resolve(e.getKey());
            long mtime = e.getValue().getModificationTime();
            if (!Files.isRegularFile(file) || Files.getLastModifiedTime(file).toMillis() != mtime) {
                download(e.getValue().getPath(), file, mtime);
                copied++;
            }
        }
        LOG.debug("pulled {} files of {} into {}", copied, uri, dir);
    }

    @Override
    public void push(boolean replace) throws IOException {
        Map<String, FileStatus> there = list();
        java.nio.file.Path dir = local();
        List<java.nio.file.Path> files;
        try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> !hidden(dir.relativize(p))).sorted().toList();
        }
        for (java.nio.file.Path file : files) {
            FileStatus st = there.get(relative(file));
            if (st == null) {
                upload(file, false);
            } else if (replace && Files.getLastModifiedTime(file).toMillis() != st.getModificationTime()) {
                upload(file, true);
            }
        }
    }

    @Override
    public void publish(java.nio.file.Path file) throws IOException {
        if (!fs().exists(remote(file))) {
            upload(file, false);
        }
    }

    /** Uploads a working-copy file to its place in the run directory, never visible there half-written. */
    private void upload(java.nio.file.Path file, boolean replace) throws IOException {
        FileSystem fs = fs();
        Path target = remote(file);
        if (OBJECT_STORES.contains(scheme())) {
            copy(file, target);
        } else {
            Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
            try {
                copy(file, tmp);
                if (replace) {
                    fs.delete(target, false);
                }
                if (!fs.rename(tmp, target) && !(!replace && fs.exists(target))) {
                    throw new IOException("cannot rename " + tmp + " to " + target);
                }
            } finally {
                if (fs.exists(tmp)) {
                    fs.delete(tmp, false);
                }
            }
        }
        Files.setLastModifiedTime(file, FileTime.fromMillis(fs.getFileStatus(target).getModificationTime()));
    }

    private void copy(java.nio.file.Path file, Path target) throws IOException {
        try (InputStream in = Files.newInputStream(file); OutputStream out = fs().create(target, true)) {
            in.transferTo(out);
        }
    }

    /** Downloads through a hidden temporary file and an atomic rename, with the original's modification time. */
    private void download(Path source, java.nio.file.Path file, long mtime) throws IOException {
        Files.createDirectories(file.getParent());
        java.nio.file.Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        try {
            try (InputStream in = fs().open(source)) {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            Files.setLastModifiedTime(tmp, FileTime.fromMillis(mtime));
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The run directory's files (not hidden ones), by their path relative to it. */
    private Map<String, FileStatus> list() throws IOException {
        Map<String, FileStatus> out = new HashMap<>();
        String base = fs().makeQualified(root()).toUri().getPath();
        RemoteIterator<LocatedFileStatus> it;
        try {
            it = fs().listFiles(root(), true);
        } catch (FileNotFoundException e) {
            return out;
        }
        while (it.hasNext()) {
            LocatedFileStatus st = it.next();
            String rel = st.getPath().toUri().getPath().substring(base.length()).replaceFirst("^/+", "");
            if (!rel.isEmpty() && !hidden(java.nio.file.Path.of(rel))) {
                out.put(rel, st);
            }
        }
        return out;
    }

    private static boolean hidden(java.nio.file.Path relative) {
        for (java.nio.file.Path p : relative) {
            if (p.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    private String relative(java.nio.file.Path file) {
        java.nio.file.Path rel = local().relativize(file.toAbsolutePath().normalize());
        if (rel.startsWith("..")) {
            throw new IllegalArgumentException(file + " is not in the working copy " + local + " of " + uri);
        }
        return rel.toString().replace(java.io.File.separatorChar, '/');
    }

    private Path remote(java.nio.file.Path file) {
        return new Path(root(), relative(file));
    }

    private Path root() {
        return new Path(uri);
    }

    private String scheme() {
        return URI.create(uri).getScheme().toLowerCase(Locale.ROOT);
    }

    private FileSystem fs() throws IOException {
        if (fs == null) {
            fs = FileSystem.get(URI.create(uri), configuration());
        }
        return fs;
    }

    /** Hadoop's configuration with Spark's {@code spark.hadoop.*} settings and {@link #FAIL_FAST}'s defaults. */
    static Configuration configuration() {
        Configuration conf = new Configuration();
        SparkConf spark = SparkEnv.get() != null ? SparkEnv.get().conf() : new SparkConf();
        for (scala.Tuple2<String, String> kv : spark.getAll()) {
            if (kv._1().startsWith("spark.hadoop.")) {
                conf.set(kv._1().substring("spark.hadoop.".length()), kv._2());
            }
        }
        FAIL_FAST.forEach((k, v) -> {
            if (conf.get(k) == null) {
                conf.set(k, v);
            }
        });
        return conf;
    }

    private static void deleteQuietly(java.nio.file.Path dir) {
        try (Stream<java.nio.file.Path> s = Files.walk(dir)) {
            for (java.nio.file.Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            // the JVM is ending; a temporary directory is all that is left
        }
    }

    /**
     * On an executor in another JVM than the driver's, the working copy at the driver's path is this JVM's own: it is
     * created here and deleted when the JVM ends.
     */
    @Serial
    private Object readResolve() throws IOException {
        java.nio.file.Path dir = local();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(dir)));
        }
        return this;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HadoopSharedRun r && r.uri.equals(uri) && r.local.equals(local);
    }

    @Override
    public int hashCode() {
        return uri.hashCode() * 31 + local.hashCode();
    }

    @Override
    public String toString() {
        return uri;
    }
}
