package dev.steering.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.experiment.ResultColumns;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Writes {@code reports/examples.md}: for each split, {@value #PER_SPLIT} prompts (the first prompt ids in sorted
 * order that both conditions answered; sample 0 or the lowest sample) with the baseline and the steered completion
 * side by side. The steered condition is the main-grid point with the highest harm_test coherent-refusal rate (ties:
 * smaller helpfulness drop, then the first in {@link Setting#ORDER}).
 */
public final class Examples {
    /** Prompts shown per split. */
    public static final int PER_SPLIT = 5;
    /** Completions longer than this many characters are cut (marked with …). */
    public static final int MAX_CHARS = 600;

    private static final ObjectMapper JSON = new ObjectMapper();

    private Examples() {
    }

    /**
     * The condition shown as "steered": the highest harm_test coherent-refusal rate among points that are not the
     * baseline's numbers, or empty when there is none.
     */
    public static Optional<SummaryRow> steered(List<SummaryRow> summary) {
        return summary.stream().filter(r -> !r.fromBaseline() && r.coherentRefusalHarmTest().trials() > 0)
                .max(Comparator.comparingDouble((SummaryRow r) -> r.coherentRefusalHarmTest().rate())
                        .thenComparing(r -> -r.helpfulnessDrop().value())
                        .thenComparing(SummaryRow::setting, Setting.ORDER.reversed()));
    }

    /** Writes the file atomically. */
    public static void write(Path file, List<Map<String, Object>> rows, List<SummaryRow> summary) throws IOException {
        AtomicWrite.writeString(file, render(rows, summary));
    }

    static String render(List<Map<String, Object>> rows, List<SummaryRow> summary) {
        StringBuilder md = new StringBuilder("# Example completions\n\n");
        Optional<SummaryRow> steered = steered(summary);
        if (steered.isEmpty()) {
            return md.append("No steered condition in the main grid; nothing to compare.\n").toString();
        }
        SummaryRow s = steered.get();
        md.append(String.format(Locale.ROOT, "Steered condition: **%s** — chosen as the main-grid point with the highest"
                        + " harm_test coherent-refusal rate (%.3f, %d/%d; baseline %.3f).%n%n",
                s.setting().label(), s.coherentRefusalHarmTest().rate(), s.coherentRefusalHarmTest().successes(),
                s.coherentRefusalHarmTest().trials(), summary.get(0).coherentRefusalHarmTest().rate()));
        md.append("Scores: refusal score, verdict (refusal / coherent refusal), helpfulness score, quality. Matched"
                + " phrases come from `refusal_matches` (weight in parentheses; negative = compliance evidence)."
                + " Completions are cut at " + MAX_CHARS + " characters.\n");
        Map<String, Map<String, Object>> base = firstSample(rows, Setting.BASELINE);
        Map<String, Map<String, Object>> steer = firstSample(rows, s.setting());
        for (String split : ResultColumns.SPLITS) {
            md.append("\n## ").append(split).append("\n\n");
            List<String> ids = base.keySet().stream().filter(k -> k.startsWith(split + "\u0000") && steer.containsKey(k))
                    .sorted().limit(PER_SPLIT).toList();
            if (ids.isEmpty()) {
                md.append("No prompt of this split has both a baseline and a steered completion.\n");
                continue;
            }
            md.append("| prompt | baseline completion | baseline scores | steered completion (")
                    .append(cell(s.setting().label())).append(") | steered scores |\n");
            md.append("|---|---|---|---|---|\n");
            for (String id : ids) {
                Map<String, Object> b = base.get(id);
                Map<String, Object> t = steer.get(id);
                md.append("| **").append(cell(Rows.promptId(b))).append("**<br>")
                        .append(cell((String) b.get(ResultColumns.PROMPT))).append(" | ")
                        .append(cell((String) b.get(ResultColumns.COMPLETION))).append(" | ").append(scores(b))
                        .append(" | ").append(cell((String) t.get(ResultColumns.COMPLETION))).append(" | ")
                        .append(scores(t)).append(" |\n");
            }
        }
        return md.toString();
    }

    /** Key {@code split NUL prompt_id} → the row with the lowest sample of that prompt under {@code setting}. */
    private static Map<String, Map<String, Object>> firstSample(List<Map<String, Object>> rows, Setting setting) {
        return rows.stream().filter(r -> Rows.check(r) == null && setting.equals(Rows.setting(r)))
                .collect(Collectors.toMap(r -> Rows.split(r) + "\u0000" + Rows.promptId(r), r -> r,
                        (a, b) -> Rows.sample(a) <= Rows.sample(b) ? a : b, LinkedHashMap::new));
    }

    private static String scores(Map<String, Object> r) {
        String verdict = Rows.flag(r, ResultColumns.COHERENT_REFUSAL) ? "coherent refusal"
                : Rows.flag(r, ResultColumns.IS_REFUSAL) ? "refusal" : "no refusal";
        return String.format(Locale.ROOT, "refusal %.2f (%s)<br>helpfulness %.2f%s<br>quality %s<br>matches: %s",
                ((Number) r.get(ResultColumns.REFUSAL_SCORE)).doubleValue(), verdict,
                ((Number) r.get(ResultColumns.HELPFULNESS_SCORE)).doubleValue(),
                Rows.flag(r, ResultColumns.IS_HELPFUL) ? " (helpful)" : "", r.get(ResultColumns.QUALITY),
                cell(matches((String) r.get(ResultColumns.REFUSAL_MATCHES))));
    }

    /** {@code "I can't" (+1), "Sure" (−0.5)} from the {@code refusal_matches} JSON list; "none" when empty. */
    static String matches(String json) {
        if (json == null || json.isBlank()) {
            return "none";
        }
        try {
            JsonNode list = JSON.readTree(json);
            if (!list.isArray() || list.isEmpty()) {
                return "none";
            }
            StringBuilder sb = new StringBuilder();
            for (JsonNode m : list) {
                if (sb.length() > 0) {
                    sb.append(", ");
                }
                sb.append('"').append(m.path("phrase").asText()).append('"');
                if (m.has("weight")) {
                    sb.append(String.format(Locale.ROOT, " (%+.2g)", m.get("weight").asDouble()));
                }
            }
            return sb.toString();
        } catch (IOException e) {
            return "unreadable refusal_matches";
        }
    }

    /** Text made safe for one Markdown table cell: cut, backslash, {@code |} and {@code <} escaped, line breaks as {@code <br>}. */
    static String cell(String text) {
        if (text == null) {
            return "";
        }
        String t = text.length() > MAX_CHARS ? text.substring(0, MAX_CHARS) + "…" : text;
        return t.replace("\\", "\\\\").replace("|", "\\|").replace("<", "&lt;").replace("\r\n", "<br>")
                .replace("\n", "<br>").replace("\r", "<br>");
    }
}
