package dev.steering.experiment;

import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.experiment.parquet.ParquetSchema;
import dev.steering.experiment.parquet.ParquetWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A run's results, one Parquet part per finished condition ({@code parts/<key>.parquet}, each written to a temporary
 * file and renamed), merged into {@code results.parquet}. A crashed or interrupted run loses at most the condition
 * in flight: the next run skips every condition whose part exists.
 */
public final class ResultStore {
    /** The merged table's file name. */
    public static final String RESULTS = "results.parquet";

    private final Path runDir;
    private final Path parts;
    private final ParquetSchema schema;

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

    /** Stores a finished condition's rows atomically. */
    public void append(String key, List<? extends Map<String, ?>> rows) {
        check(key);
        try {
            ParquetWriter.write(parts.resolve(key + ".parquet"), schema, rows, Map.of("condition", key));
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

    private static void check(String key) {
        if (!key.matches("[A-Za-z0-9._=+-]+")) {
            throw new IllegalArgumentException("bad condition key '" + key + "'");
        }
    }
}
