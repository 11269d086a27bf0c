package dev.steering.experiment;

import dev.steering.Progress;
import dev.steering.report.ConditionStats;
import dev.steering.report.RefusalVerdict;
import dev.steering.report.SweepReport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The phases on chosen outcomes: the steering test is replaced by one that gives each (layer, multiplier) a chosen
 * coherent-refusal count, so the layer validation's choice and the "Partial" follow-up rule are checked exactly
 * (directions are still extracted from the fixture).
 */
class FamilySweepPhasesTest {
    @TempDir
    Path tmp;

    /** Coherent refusals out of 10 samples per (layer, multiplier). */
    private static int coherent(int layer, double m) {
        if (layer == 1) {
            return m == 4 ? 5 : m == 2 ? 7 : 1;      // layer 1: Partial at x4, Works at x2 (found by the follow-up)
        }
        return m == 4 ? 2 : 0;                       // layer 2: Fails
    }

    private static final FamilySweepStudy.SteeringTest FAKE = (induction, v, c, repeats, base) -> {
        List<Map<String, Object>> rows = new ArrayList<>();
        int k = coherent(c.layer(), c.alpha());
        for (int i = 0; i < 10; i++) {
            Map<String, Object> r = new LinkedHashMap<>(base);
            r.put(SweepColumns.CONDITION_S, 0.0);
            r.put(SweepColumns.PROMPT_ID, "t" + i);
            r.put(SweepColumns.SAMPLE, 0);
            r.put(SweepColumns.PROMPT, "p" + i);
            r.put(SweepColumns.COMPLETION, i < k ? "I can't help with that." : "Sure.");
            r.put(SweepColumns.N_TOKENS, 3);
            r.put(SweepColumns.REFUSAL_SCORE, i < k ? 1.0 : 0.0);
            r.put(SweepColumns.IS_REFUSAL, i < k);
            r.put(SweepColumns.COHERENT_REFUSAL, i < k);
            r.put(SweepColumns.GARBLED_REFUSAL, false);
            r.put(SweepColumns.QUALITY, "coherent");
            r.put(SweepColumns.SEED, c.seed());
            rows.add(r);
        }
        return rows;
    };

    @Test
    void validationPicksTheBestLayerAndAPartialIsFollowedUpAtFinerLayersAndMultipliers() throws Exception {
        Path second = FamilySweepStudyTest.second(tmp);
        FamilySweepConfig cfg = FamilySweepConfig.load(new YamlConfig.Source("test", (com.fasterxml.jackson.databind
                .node.ObjectNode) YamlConfig.mapper().readTree("""
                study: family_sweep
                models:
                  - {name: "%s", family: a, dtype: float32, chat: false, layer_pcts: [0.34, 0.67], layer_validation: false}
                  - {name: "%s", family: b, dtype: float32, chat: false, layer_pcts: [0.67, 0.34], layer_validation: true}
                steering:   {methods: [dim], multipliers: [4], steer_range: single, hook_point: resid_pre}
                phases:     {layer_validation: false, validation_repeats: 1, follow_up: true, follow_up_pcts: [0.67],
                             follow_up_multipliers: [2, 4]}
                """.formatted(FamilySweepStudyTest.NEOX, second) + FamilySweepStudyTest.SIZES)), List.of());
        List<Map<String, Object>> rows = new FamilySweepStudy(cfg, FamilySweepStudyTest.prompts("harm", 4),
                FamilySweepStudyTest.prompts("help", 4), FamilySweepStudyTest.prompts("test", 4), tmp,
                new FamilySweepStudyTest.CountingLoader(), Progress.silent(), FAKE).run();
        List<String> a = describe(rows, "a");
        // full: layers 1, 2 at x4; layer 1 is Partial (5/10), so follow-up at 0.67 (layer 2) and the best layer 1
        // with x2 and x4, skipping the two already run
        assertEquals(List.of("full L1 x4.0", "full L2 x4.0", "follow_up L2 x2.0", "follow_up L1 x2.0"), a);
        // validation at layers 2, 1 picks layer 1 (5/10 > 2/10); the full run is there only, then the same follow-up
        List<String> b = describe(rows, "b");
        assertEquals(List.of("validation L2 x4.0", "validation L1 x4.0", "full L1 x4.0", "follow_up L2 x2.0",
                "follow_up L2 x4.0", "follow_up L1 x2.0"), b);
        Map<String, Map<String, ConditionStats>> best = SweepReport.bestByModelAndMethod(ConditionStats.of(rows));
        ConditionStats bestA = best.get(FamilySweepStudyTest.NEOX.toString()).get("dim");
        assertEquals(RefusalVerdict.WORKS, bestA.verdict(), "the follow-up's Works is the model's verdict");
        assertEquals(2.0, bestA.multiplier());
        String verdicts;
        SweepReport.write(tmp, rows);
        verdicts = Files.readString(tmp.resolve("verdicts.md"));
        assertTrue(verdicts.contains("Partial in the full run; followed up"), verdicts);
        assertTrue(verdicts.contains("the layer validation (DIM, 10 samples a condition) chose layer 1"), verdicts);
    }

    @Test
    void noFollowUpWhenTheBestIsNotPartial() throws Exception {
        FamilySweepConfig cfg = FamilySweepConfig.load(new YamlConfig.Source("test", (com.fasterxml.jackson.databind
                .node.ObjectNode) YamlConfig.mapper().readTree("""
                study: family_sweep
                models:
                  - {name: "%s", family: a, dtype: float32, chat: false, layer_pcts: [0.34], layer_validation: false}
                steering:   {methods: [dim], multipliers: [4, 2], steer_range: single, hook_point: resid_pre}
                phases:     {layer_validation: false, validation_repeats: 1, follow_up: true, follow_up_pcts: [0.67],
                             follow_up_multipliers: [2, 4]}
                """.formatted(FamilySweepStudyTest.NEOX) + FamilySweepStudyTest.SIZES)), List.of());
        List<Map<String, Object>> rows = new FamilySweepStudy(cfg, FamilySweepStudyTest.prompts("harm", 4),
                FamilySweepStudyTest.prompts("help", 4), FamilySweepStudyTest.prompts("test", 4), tmp,
                new FamilySweepStudyTest.CountingLoader(), Progress.silent(), FAKE).run();
        assertEquals(List.of("full L1 x4.0", "full L1 x2.0"), describe(rows, "a"), "the best (x2) Works: no follow-up");
    }

    private static List<String> describe(List<Map<String, Object>> rows, String family) {
        return ConditionStats.of(rows).stream().filter(c -> c.family().equals(family))
                .map(c -> c.phase() + " L" + c.layer() + " x" + c.multiplier()).toList();
    }
}
