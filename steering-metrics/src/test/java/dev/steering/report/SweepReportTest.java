package dev.steering.report;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Per-condition statistics, the best condition, output quality and the DIM / COSMIC flags on constructed rows. */
class SweepReportTest {

    /** {@code n} rows of one condition: the first {@code coherent} coherent refusals, then garbled ones, then the rest. */
    static List<Map<String, Object>> condition(String method, int layer, double m, int coherent, int garbledRefusals,
                                               int garbledOther, int n) {
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean c = i < coherent;
            boolean g = !c && i < coherent + garbledRefusals;
            boolean go = !c && !g && i < coherent + garbledRefusals + garbledOther;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("model", "m");
            r.put("model_id", "m");
            r.put("family", "f");
            r.put("n_layers", 10);
            r.put("precision", "float32");
            r.put("phase", "full");
            r.put("method", method);
            r.put("layer_pct", layer / 10.0);
            r.put("layer", layer);
            r.put("multiplier", m);
            r.put("steer_range", "to_end");
            r.put("direction_norm", 2.0);
            r.put("extracted_from", "float32");
            r.put("extraction_s", null);
            r.put("condition_s", 1.5);
            r.put("prompt", "p" + i);
            r.put("completion", "c" + i);
            r.put("is_refusal", c || g);
            r.put("coherent_refusal", c);
            r.put("garbled_refusal", g);
            r.put("quality", c ? "coherent" : g || go ? "garbled" : "normal");
            rows.add(r);
        }
        return rows;
    }

    @Test
    void ratesIntervalsVerdictAndOutputQualityOfACondition() {
        ConditionStats c = ConditionStats.of(condition("dim", 5, 15, 25, 5, 0, 50)).get(0);
        assertEquals(50, c.n());
        assertEquals(0.5, c.coherent().rate());
        assertEquals(0.1, c.garbled().rate());
        assertEquals(0.6, c.refusal().rate());
        assertEquals(Proportion.of(25, 50), c.coherent(), "Wilson interval of the counts");
        assertEquals(RefusalVerdict.PARTIAL, c.verdict());
        assertEquals("coherent", c.outputQuality(), "5 of 50 garbled is at most 10%");
        assertEquals("mixed", ConditionStats.of(condition("dim", 5, 15, 0, 5, 1, 50)).get(0).outputQuality());
        assertEquals("garbled", ConditionStats.of(condition("dim", 5, 15, 0, 5, 20, 50)).get(0).outputQuality());
        assertTrue(Double.isNaN(c.extractionSeconds()));
        assertTrue(ConditionStats.isGarbled("degenerate"), "degenerate text is not coherent");
        assertTrue(!ConditionStats.isGarbled("normal") && !ConditionStats.isGarbled("coherent"));
    }

    @Test
    void theBestConditionIsTheMostCoherentAndDisagreementsAreFlagged() throws Exception {
        List<Map<String, Object>> rows = new ArrayList<>();
        rows.addAll(condition("dim", 4, 15, 10, 0, 0, 20));     // 50 % Partial
        rows.addAll(condition("dim", 6, 15, 13, 0, 0, 20));     // 65 % Works: the best of DIM
        rows.addAll(condition("dim", 6, 25, 13, 4, 0, 20));     // as coherent, more garbled: not the best
        rows.addAll(condition("cosmic", 6, 15, 2, 0, 0, 20));   // 10 % Fails
        List<ConditionStats> all = ConditionStats.of(rows);
        assertEquals(4, all.size());
        Map<String, Map<String, ConditionStats>> best = SweepReport.bestByModelAndMethod(all);
        assertEquals(6, best.get("m").get("dim").layer());
        assertEquals(15.0, best.get("m").get("dim").multiplier());
        JsonNode dirs = new ObjectMapper().readTree(
                "{\"models\":[{\"model\":\"m\",\"dim_vs_cosmic\":{\"4\":0.49,\"6\":0.5}}]}");
        List<String> flags = SweepReport.disagreements(best, all, dirs);
        assertEquals(2, flags.size(), flags.toString());
        assertTrue(flags.get(0).contains("verdicts differ: DIM Works (layer 6), COSMIC Fails (layer 6)"), flags.get(0));
        assertTrue(flags.get(1).contains("layer 4 have cosine 0.490"), "0.5 itself is not below 0.5");
        String md = SweepReport.verdicts(all, dirs);
        assertTrue(md.contains("| m | f | **Works** | dim at layer 6, multiplier 15 |"), md);
        String inspection = SweepReport.inspection(all);
        assertTrue(inspection.contains("## m, float32 dim, layer 6 (60%), multiplier 15, full"), inspection);
        assertEquals(2 * SweepReport.INSPECTION_SAMPLES, inspection.lines().filter(l -> l.matches("\\| \\d+ \\|.*"))
                .count(), "ten samples of each of the two conditions that Work (garbled refusals do not spoil a Works)");
        assertTrue(!inspection.contains("layer 4 (40%)"), "a Partial condition is not inspected");
        List<String> csv = SweepReport.conditionsCsv(all).lines().toList();
        assertEquals(5, csv.size());
        assertTrue(csv.get(2).contains(",20,13,0.65,"), csv.get(2));
    }
}
