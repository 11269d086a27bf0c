package dev.steering.experiment;

import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.experiment.parquet.ParquetSchema;
import dev.steering.experiment.parquet.ParquetWriter;
import java.io.IOException;
import java.io.Serial;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's results, one Parquet part per finished condition ({@code parts/<key>.parquet}, each written to a temporary
 * file and renamed), merged into {@code results.parquet}. A crashed or interrupted run loses at most the condition
 * in flight: the next run skips every condition whose part exists. Serializable (as its directory and schema), so a
 * distributed {@link ConditionRunner}'s executors write their parts into the same directory. A store inside the
 * working copy of a {@link SharedRun} (an {@code hdfs://} or {@code s3a://} output) also publishes every part to
 * the shared storage as soon as it is written, and carries the shared run to the executors.
 */
public final class ResultStore implements Serializable {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(ResultStore.class);
    /** The merged table's file name. */
    public static final String RESULTS = "results.parquet";

    private final transient Path runDir;
    private final transient Path parts;
    private final ParquetSchema schema;
    private final transient SharedRun shared;

    /** @param runDir the run directory (created if needed); rows follow {@link ResultColumns#SCHEMA} */
    public ResultStore(Path runDir) {
        this(runDir, ResultColumns.SCHEMA);
    }

    /**
     * @param runDir the run directory (created if needed)
     * @param schema the schema of every part and of {@code results.parquet}
     */
    public ResultStore(Path runDir, ParquetSchema schema) {
        this.runDir = runDir;
        this.schema = schema;
        this.parts = runDir.resolve("parts");
        this.shared = SharedRuns.covering(runDir).orElse(null);
        try {
            Files.createDirectories(parts);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + parts + ": " + e.getMessage(), e);
        }
    }

    /** Keys of the conditions already finished. */
    public Set<String> completed() {
        Set<String> out = new LinkedHashSet<>();
        try (Stream<Path> s = Files.list(parts)) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".parquet"))
                    .sorted().forEach(n -> out.add(n.substring(0, n.length() - ".parquet".length())));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** The run directory. */
    public Path runDir() {
        return runDir;
    }

    /** The shared storage this store's run directory is a working copy of, if any. */
    public Optional<SharedRun> shared() {
        return Optional.ofNullable(shared);
    }

    /** True when the condition's part exists. */
    public boolean has(String key) {
        check(key);
        return Files.exists(parts.resolve(key + ".parquet"));
    }

    /**
     * Runs a condition and stores its rows, unless its part exists already (a resumed run, a retried or duplicated
     * task: the part is written once, atomically, so no row is lost or doubled). Logs one line per condition.
     *
     * @return true if it ran
     */
    public boolean runIfAbsent(Condition c, Function<Condition, ? extends List<? extends Map<String, ?>>> run) {
        if (has(c.key())) {
            LOG.info("condition {} already stored, skipped", c.key());
            return false;
        }
        long t0 = System.nanoTime();
        List<? extends Map<String, ?>> rows = run.apply(c);
        append(c.key(), rows);
        LOG.info("condition {} stored: {} rows in {} s", c.key(), rows.size(),
                String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t0) / 1e9));
        return true;
    }

    /** Stores a finished condition's rows atomically (and publishes the part to the shared storage, if any). */
    public void append(String key, List<? extends Map<String, ?>> rows) {
        check(key);
        try {
            Path part = parts.resolve(key + ".parquet");
            ParquetWriter.write(part, schema, rows, Map.of("condition", key));
            if (shared != null) {
                shared.publish(part);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write condition " + key + ": " + e.getMessage(), e);
        }
    }

    /** The rows of one finished condition. */
    public List<Map<String, Object>> read(String key) {
        check(key);
        try {
            return ParquetReader.read(parts.resolve(key + ".parquet")).rows();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read condition " + key + ": " + e.getMessage(), e);
        }
    }

    /** Merges the parts, in {@code order}, into {@code results.parquet} (atomically) and returns the rows. */
    public List<Map<String, Object>> consolidate(List<String> order, Map<String, String> metadata) {
        List<Map<String, Object>> all = new ArrayList<>();
        for (String key : order) {
            all.addAll(read(key));
        }
        try {
            ParquetWriter.write(runDir.resolve(RESULTS), schema, all, metadata);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + runDir.resolve(RESULTS) + ": " + e.getMessage(), e);
        }
        return all;
    }

    @Serial
    private Object writeReplace() {
        return new Location(runDir.toAbsolutePath().toUri().toString(), schema, shared);
    }

    /** The serialized form: the directory as a URI, the schema and the shared run it is a working copy of, or null. */
    private record Location(String runDir, ParquetSchema schema, SharedRun shared) implements Serializable {
        @Serial
        private Object readResolve() {
            if (shared != null) {
                SharedRuns.attach(shared);
            }
            return new ResultStore(Path.of(URI.create(runDir)), schema);
        }
    }

    private static void check(String key) {
        if (!key.matches("[A-Za-z0-9._=+-]+")) {
            throw new IllegalArgumentException("bad condition key '" + key + "'");
        }
    }
}
