package dev.steering.report;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reports of the quantization study, from the rows of {@code results.parquet} and the run's
 * {@code directions.json}: the common files of {@link SweepReport} (one JSON per model, method and precision),
 * {@code quantization.csv}, {@code verdicts.md} per model and precision, and per model the figures
 * {@code quantization_rates_<model>.png} and {@code cosine_<model>.png}. See {@code docs/family-sweep.md}.
 */
public final class QuantizationReport {
    private static final Logger LOG = LoggerFactory.getLogger(QuantizationReport.class);
    /** The per-precision table. */
    public static final String FILE = "quantization.csv";
    /** The plan's reading: a cosine above this means quantization preserves the direction. */
    public static final double PRESERVED = 0.90;
    private static final List<String> COLUMNS = List.of("model", "precision", "layer", "layer_pct", "method",
            "multiplier", "refusal_rate", "refusal_rate_lo", "refusal_rate_hi", "coherent_refusal_rate",
            "coherent_refusal_rate_lo", "coherent_refusal_rate_hi", "garbled_refusal_rate", "garbled_refusal_rate_lo",
            "garbled_refusal_rate_hi", "n_samples", "direction_norm", "cosine_to_reference", "extraction_s",
            "extracted_from", "verdict");

    private QuantizationReport() {
    }

    /**
     * Writes every report of a quantization run.
     *
     * @param rows rows of {@code results.parquet} ({@code SweepColumns})
     * @return the files written
     */
    public static List<Path> write(Path runDir, List<Map<String, Object>> rows) throws IOException {
        List<ConditionStats> all = ConditionStats.of(rows);
        JsonNode directions = SweepReport.directions(runDir);
        List<Path> out = new ArrayList<>(SweepReport.writeCommon(runDir, all, true));
        Path csv = runDir.resolve(FILE);
        AtomicWrite.writeString(csv, csv(all, directions));
        out.add(csv);
        Path verdicts = runDir.resolve(SweepReport.VERDICTS);
        AtomicWrite.writeString(verdicts, verdicts(all, directions));
        out.add(verdicts);
        Path figures = runDir.resolve(StudyReport.FIGURES);
        for (var m : byModel(all).entrySet()) {
            String slug = SweepReport.slug(m.getKey());
            out.add(Figures.save(figures.resolve("quantization_rates_" + slug + ".png"),
                    SweepFigures.ratesPerPrecision(m.getKey(), m.getValue())));
            JsonNode d = model(directions, m.getKey());
            if (d != null && d.path("precisions").size() > 0) {
                List<String> names = new ArrayList<>();
                d.path("precisions").forEach(p -> names.add(p.asText()));
                out.add(Figures.save(figures.resolve("cosine_" + slug + ".png"),
                        SweepFigures.cosineHeatmap(m.getKey(), names, matrix(d.path("cosines")))));
            }
        }
        LOG.info("wrote {} report files for {} result rows into {}", out.size(), rows.size(), runDir);
        return out;
    }

    private static Map<String, List<ConditionStats>> byModel(List<ConditionStats> all) {
        Map<String, List<ConditionStats>> out = new LinkedHashMap<>();
        all.forEach(c -> out.computeIfAbsent(c.model(), k -> new ArrayList<>()).add(c));
        return out;
    }

    private static JsonNode model(JsonNode directions, String name) {
        for (JsonNode m : directions.path("models")) {
            if (name.equals(m.path("model").asText())) {
                return m;
            }
        }
        return null;
    }

    static double[][] matrix(JsonNode rows) {
        double[][] out = new double[rows.size()][];
        for (int i = 0; i < rows.size(); i++) {
            out[i] = new double[rows.get(i).size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = rows.get(i).get(j).asDouble();
            }
        }
        return out;
    }

    /** The cosine of {@code precision}'s own direction to the first precision's, NaN when either is missing. */
    static double cosineToReference(JsonNode d, String precision) {
        if (d == null) {
            return Double.NaN;
        }
        List<String> names = new ArrayList<>();
        d.path("precisions").forEach(p -> names.add(p.asText()));
        int i = names.indexOf(precision);
        return i < 0 || names.isEmpty() ? Double.NaN : d.path("cosines").get(0).get(i).asDouble();
    }

    static String csv(List<ConditionStats> all, JsonNode directions) {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (ConditionStats c : all) {
            JsonNode d = model(directions, c.model());
            JsonNode own = d == null ? null : d.path("directions").get(c.precision());
            List<String> cells = new ArrayList<>(List.of(SweepReport.cell(c.model()), c.precision(),
                    Integer.toString(c.layer()), SummaryCsv.num(c.layerPct()), c.method(),
                    SummaryCsv.num(c.multiplier())));
            for (Proportion p : List.of(c.refusal(), c.coherent(), c.garbled())) {
                cells.addAll(List.of(SummaryCsv.num(p.rate()), SummaryCsv.num(p.lower()), SummaryCsv.num(p.upper())));
            }
            cells.addAll(List.of(Integer.toString(c.n()),
                    SummaryCsv.num(own == null ? Double.NaN : own.path("norm").asDouble(Double.NaN)),
                    SummaryCsv.num(cosineToReference(d, c.precision())),
                    SummaryCsv.num(own == null || own.path("extraction_s").isNull() ? Double.NaN
                            : own.path("extraction_s").asDouble(Double.NaN)),
                    c.extractedFrom(), SweepReport.cell(c.verdict().label())));
            sb.append(String.join(",", cells)).append('\n');
        }
        return sb.toString();
    }

    static String verdicts(List<ConditionStats> all, JsonNode directions) {
        StringBuilder sb = new StringBuilder("# Verdicts per precision\n\n").append(SweepReport.RULES);
        sb.append("\n| model | precision | layer (depth) | multiplier | coherent [95% CI] | garbled [95% CI] | total "
                + "[95% CI] | n | cosine to reference | verdict |\n|---|---|---|---|---|---|---|---|---|---|\n");
        for (ConditionStats c : all) {
            double cos = cosineToReference(model(directions, c.model()), c.precision());
            sb.append(String.format(Locale.ROOT, "| %s | %s | %d (%s) | %s | %s | %s | %s | %d | %s | **%s** |%n",
                    c.model(), c.precision(), c.layer(), SweepReport.pct(c.layerPct()), SummaryCsv.num(c.multiplier()),
                    SweepReport.rate(c.coherent()), SweepReport.rate(c.garbled()), SweepReport.rate(c.refusal()),
                    c.n(), Double.isNaN(cos) ? "n/a" : String.format(Locale.ROOT, "%.3f%s", cos,
                            cos > PRESERVED ? "" : " (below 0.90: not preserved)"), c.verdict().label()));
        }
        sb.append("\nA precision whose verdict differs from the reference's (the first row of each model) changed "
                + "the outcome of steering; its cosine says whether the direction itself moved.\n");
        return sb.toString();
    }
}
