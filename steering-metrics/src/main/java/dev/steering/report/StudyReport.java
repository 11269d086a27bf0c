package dev.steering.report;

import dev.steering.experiment.ResultColumns;
import dev.steering.experiment.ResultStore;
import dev.steering.experiment.SweepColumns;
import dev.steering.experiment.ToxicityColumns;
import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.experiment.parquet.ParquetSchema;
import dev.steering.experiment.parquet.ParquetTable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes every report of a study run from its result rows: {@code summary.csv}, {@code figures/*.png},
 * {@code reports/examples.md} and {@code reports/sanity.md} (see {@code docs/pipeline-outputs.md}).
 */
public final class StudyReport {
    private static final Logger LOG = LoggerFactory.getLogger(StudyReport.class);

    /** Sub-directory of the run directory holding the PNG figures. */
    public static final String FIGURES = "figures";
    /** Sub-directory of the run directory holding the Markdown reports. */
    public static final String REPORTS = "reports";

    private StudyReport() {
    }

    /**
     * Writes all reports of {@code runDir} from {@code rows}; each file is replaced atomically.
     *
     * @param rows rows of {@code results.parquet} ({@link ResultColumns})
     * @return the files written
     * @throws IllegalArgumentException for a malformed row (naming its index and column) or no baseline
     */
    public static List<Path> write(Path runDir, List<Map<String, Object>> rows) throws IOException {
        List<SummaryRow> summary = Summary.compute(rows);
        List<Path> out = new ArrayList<>();
        Path csv = runDir.resolve(SummaryCsv.FILE);
        SummaryCsv.write(csv, summary);
        out.add(csv);
        Map<String, Object> op = OperatingPointSearch.read(runDir.resolve(OperatingPointSearch.FILE));
        Setting chosen = op == null ? null : OperatingPointReport.setting(op.get("chosen"));
        double maxKl = op == null ? Double.NaN : OperatingPointReport.number(op, "budget", "maxKlFirstToken");
        out.addAll(Figures.write(runDir.resolve(FIGURES), summary, chosen, maxKl));
        if (op != null) {
            Path md = runDir.resolve(REPORTS).resolve("operating_point.md");
            AtomicWrite.writeString(md, OperatingPointReport.render(op));
            out.add(md);
        }
        Path examples = runDir.resolve(REPORTS).resolve("examples.md");
        Examples.write(examples, rows, summary);
        out.add(examples);
        Path sanity = runDir.resolve(REPORTS).resolve("sanity.md");
        SanityReport.write(sanity, runDir, rows);
        out.add(sanity);
        LOG.info("wrote {} report files for {} result rows into {}", out.size(), rows.size(), runDir);
        return out;
    }

    /**
     * Reads {@code runDir/results.parquet} and writes the reports (the {@code plots --run DIR} command). A table with
     * a {@code toxicity} column is a toxicity study run and gets {@link ToxicityReport#write}; one with a
     * {@code garbled_refusal} column a family-sweep or quantization run ({@link SweepReport}, {@link QuantizationReport}).
     *
     * @throws NoSuchFileException naming the missing {@code results.parquet}
     * @throws IOException         naming the file when it is not readable Parquet, lacks a column of
     *                             {@link ResultColumns#SCHEMA} (or {@link ToxicityColumns#SCHEMA}), has one of the wrong type, or holds malformed rows
     */
    public static List<Path> fromRunDir(Path runDir) throws IOException {
        Path file = runDir.resolve(ResultStore.RESULTS);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "no " + ResultStore.RESULTS + " in the run directory (run the study first)");
        }
        ParquetTable table = ParquetReader.read(file);
        if (table.schema().column(SweepColumns.GARBLED_REFUSAL) != null) {
            checkSchema(file, table.schema(), SweepColumns.SCHEMA);
            boolean quantization = table.rows().stream()
                    .allMatch(r -> SweepColumns.QUANTIZATION.equals(r.get(SweepColumns.PHASE)));
            return quantization ? QuantizationReport.write(runDir, table.rows()) : SweepReport.write(runDir, table.rows());
        }
        boolean toxicity = table.schema().column(ToxicityColumns.TOXICITY) != null;
        checkSchema(file, table.schema(), toxicity ? ToxicityColumns.SCHEMA : ResultColumns.SCHEMA);
        try {
            return toxicity ? ToxicityReport.write(runDir, table.rows()) : write(runDir, table.rows());
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static void checkSchema(Path file, ParquetSchema actual, ParquetSchema expected) throws IOException {
        List<String> problems = new ArrayList<>();
        for (ParquetSchema.Column want : expected.columns()) {
            ParquetSchema.Column got = actual.column(want.name());
            if (got == null) {
                problems.add("missing column '" + want.name() + "'");
            } else if (got.type() != want.type()) {
                problems.add("column '" + want.name() + "' is " + got.type() + ", expected " + want.type());
            }
        }
        if (!problems.isEmpty()) {
            throw new IOException(file + ": wrong schema for study results: " + String.join("; ", problems));
        }
    }
}
