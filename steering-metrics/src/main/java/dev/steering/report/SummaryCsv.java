package dev.steering.report;

import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and writes {@code summary.csv}: a header line, then one line per {@link SummaryRow}. Rates and bounds are
 * rounded to 6 decimals; an empty cell is a null layer or a NaN. No cell contains a comma or a quote. The columns are
 * described in {@code docs/pipeline-outputs.md}.
 */
public final class SummaryCsv {
    /** The file name inside the run directory. */
    public static final String FILE = "summary.csv";

    /** The columns in file order. */
    public static final List<String> COLUMNS;

    private static final List<String> PROPORTIONS = List.of("refusal_harm_train", "refusal_harm_test",
            "false_refusal", "helpful_benign", "coherent_refusal_harm_test", "garbled", "degenerate",
            "model_refusal_harm_test", "refusal_agreement");
    private static final List<String> MEANS = List.of("kl_first_token_benign", "kl_mean_benign",
            "kl_first_token_harm_test", "kl_mean_harm_test");

    static {
        List<String> c = new ArrayList<>(List.of("layer", "intervention", "alpha", "from_baseline"));
        for (String p : PROPORTIONS) {
            c.addAll(List.of("n_" + p, p, p + "_lo", p + "_hi"));
        }
        c.addAll(List.of("gap", "gap_lo", "gap_hi", "helpfulness_drop", "helpfulness_drop_lo", "helpfulness_drop_hi"));
        for (String m : MEANS) {
            c.addAll(List.of(m, m + "_lo", m + "_hi"));
        }
        c.addAll(List.of("mean_n_tokens", "mean_entropy", "over_subtraction", "pareto"));
        COLUMNS = List.copyOf(c);
    }

    private SummaryCsv() {
    }

    /** Writes {@code rows} to {@code file} through a temporary file and an atomic rename. */
    public static void write(Path file, List<SummaryRow> rows) throws IOException {
        StringBuilder sb = new StringBuilder(String.join(",", COLUMNS)).append('\n');
        for (SummaryRow r : rows) {
            List<String> cells = new ArrayList<>(List.of(r.setting().layer() == null ? "" : r.setting().layer().toString(),
                    r.setting().intervention(), num(r.setting().alpha()), String.valueOf(r.fromBaseline())));
            for (Proportion p : proportions(r)) {
                cells.addAll(List.of(String.valueOf(p.trials()), num(p.rate()), num(p.lower()), num(p.upper())));
            }
            SideEffects se = r.sideEffects();
            for (Estimate e : List.of(r.gap(), r.helpfulnessDrop(), se.klFirstTokenBenign(), se.klMeanBenign(),
                    se.klFirstTokenHarmTest(), se.klMeanHarmTest())) {
                cells.addAll(List.of(num(e.value()), num(e.lower()), num(e.upper())));
            }
            cells.addAll(List.of(num(r.meanTokens()), num(r.meanEntropy()), String.valueOf(r.overSubtraction()),
                    String.valueOf(r.pareto())));
            sb.append(String.join(",", cells)).append('\n');
        }
        AtomicWrite.writeString(file, sb.toString());
    }

    /**
     * Reads a file written by {@link #write}. Success counts are not stored; they are recovered as
     * {@code round(rate × n)}.
     *
     * @throws IOException naming the file and line for a missing column or a malformed number
     */
    public static List<SummaryRow> read(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        if (lines.isEmpty()) {
            throw new IOException(file + ": empty file, expected a header line");
        }
        List<String> header = Arrays.asList(lines.get(0).split(",", -1));
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < header.size(); i++) {
            index.put(header.get(i), i);
        }
        for (String c : COLUMNS) {
            if (!index.containsKey(c)) {
                throw new IOException(file + ": header has no column '" + c + "'");
            }
        }
        List<SummaryRow> out = new ArrayList<>();
        for (int ln = 1; ln < lines.size(); ln++) {
            if (lines.get(ln).isEmpty()) {
                continue;
            }
            String[] cells = lines.get(ln).split(",", -1);
            if (cells.length != header.size()) {
                throw new IOException(file + ": line " + (ln + 1) + " has " + cells.length + " cells, header has "
                        + header.size());
            }
            try {
                Map<String, String> m = new HashMap<>();
                index.forEach((name, i) -> m.put(name, cells[i]));
                Proportion[] p = new Proportion[PROPORTIONS.size()];
                for (int i = 0; i < p.length; i++) {
                    String name = PROPORTIONS.get(i);
                    int n = Integer.parseInt(m.get("n_" + name));
                    double rate = parse(m.get(name));
                    p[i] = new Proportion(n == 0 ? 0 : (int) Math.round(rate * n), n, rate, parse(m.get(name + "_lo")),
                            parse(m.get(name + "_hi")));
                }
                String layer = m.get("layer");
                Setting s = new Setting(layer.isEmpty() ? null : Integer.valueOf(layer), m.get("intervention"),
                        parse(m.get("alpha")));
                SideEffects se = new SideEffects(p[6], p[7], p[8], estimate(m, MEANS.get(0)), estimate(m, MEANS.get(1)),
                        estimate(m, MEANS.get(2)), estimate(m, MEANS.get(3)));
                out.add(new SummaryRow(s, Boolean.parseBoolean(m.get("from_baseline")), p[0], p[1], p[2], p[3], p[4],
                        p[5], estimate(m, "gap"), estimate(m, "helpfulness_drop"), parse(m.get("mean_n_tokens")),
                        parse(m.get("mean_entropy")), se, Boolean.parseBoolean(m.get("pareto"))));
            } catch (NumberFormatException e) {
                throw new IOException(file + ": line " + (ln + 1) + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private static List<Proportion> proportions(SummaryRow r) {
        return List.of(r.refusalHarmTrain(), r.refusalHarmTest(), r.falseRefusal(), r.helpfulBenign(),
                r.coherentRefusalHarmTest(), r.garbled(), r.sideEffects().degenerate(),
                r.sideEffects().modelRefusalHarmTest(), r.sideEffects().refusalAgreement());
    }

    private static Estimate estimate(Map<String, String> m, String name) {
        return new Estimate(parse(m.get(name)), parse(m.get(name + "_lo")), parse(m.get(name + "_hi")));
    }

    /** A number rounded to 6 decimals, or empty for NaN. */
    static String num(double v) {
        if (Double.isNaN(v)) {
            return "";
        }
        return BigDecimal.valueOf(v).setScale(6, RoundingMode.HALF_UP).stripTrailingZeros().toPlainString();
    }

    private static double parse(String cell) {
        return cell.isEmpty() ? Double.NaN : Double.parseDouble(cell);
    }
}
