package dev.steering.report;

import dev.steering.experiment.ResultColumns;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The operating-point search selects on training splits only and reports on held-out ones. */
class OperatingPointSearchTest {
    static final List<String> BENIGN = IntStream.range(0, Fixture.N).mapToObj(i -> "benign-" + i).toList();

    @TempDir
    Path tmp;

    /** The fixture's main grid (kl_first_token = 0.02·α, 0 for the baseline). */
    static List<Map<String, Object>> rows() {
        return Fixture.mainGrid();
    }

    /** The search with every training prompt in its first rung: the exhaustive search. */
    static OperatingPointSearch search(double maxKl, double maxDrop) {
        return search(maxKl, maxDrop, Fixture.N);
    }

    static OperatingPointSearch search(double maxKl, double maxDrop, int minPrompts) {
        return new OperatingPointSearch(new OperatingPointSearch.Budget(maxKl, maxDrop),
                OperatingPointSearch.validationPart(BENIGN, 0.5, 0), minPrompts, 3);
    }

    @Test
    void theValidationPartIsFixedAndDisjointFromTheTestPart() {
        Set<String> val = OperatingPointSearch.validationPart(BENIGN, 0.5, 0);
        assertEquals(5, val.size());
        assertEquals(val, OperatingPointSearch.validationPart(BENIGN, 0.5, 0));
        assertTrue(BENIGN.containsAll(val));
        assertEquals(1, OperatingPointSearch.validationPart(BENIGN, 0.01, 0).size(), "at least one");
        assertEquals(9, OperatingPointSearch.validationPart(BENIGN, 0.99, 0).size(), "at least one left for test");
    }

    @Test
    void heldOutRowsNeverChangeTheChoice() {
        OperatingPointSearch.Result before = search(1, 1, 2).run(rows());
        // make every steered point perfect on harm_test and useless on the benign test part: the choice must not move
        Set<String> val = OperatingPointSearch.validationPart(BENIGN, 0.5, 0);
        List<Map<String, Object>> changed = new ArrayList<>();
        for (Map<String, Object> r : rows()) {
            Map<String, Object> m = new LinkedHashMap<>(r);
            boolean steered = !"none".equals(m.get(ResultColumns.INTERVENTION));
            if (steered && "harm_test".equals(m.get(ResultColumns.SPLIT))) {
                m.put(ResultColumns.IS_REFUSAL, true);
                m.put(ResultColumns.COHERENT_REFUSAL, true);
            }
            if (steered && "benign".equals(m.get(ResultColumns.SPLIT)) && !val.contains(m.get(ResultColumns.PROMPT_ID))) {
                m.put(ResultColumns.IS_HELPFUL, false);
                m.put(ResultColumns.KL_FIRST_TOKEN, 50.0);
            }
            changed.add(m);
        }
        OperatingPointSearch.Result after = search(1, 1, 2).run(changed);
        assertEquals(before.chosen(), after.chosen());
        assertEquals(before.training(), after.training());
        assertEquals(before.rungs(), after.rungs());
        assertNotEquals(before.heldOut(), after.heldOut(), "held-out numbers come from the held-out rows");
        assertEquals(1.0, after.heldOut().coherentRefusalHarmTest().rate());
        assertEquals(5, after.heldOut().helpfulBenignTest().trials(), "the benign test part only");
        assertEquals(5, after.training().helpful().trials(), "the benign validation part only");
        assertEquals(0.0, after.heldOut().helpfulBenignTest().rate());
    }

    @Test
    void trainingRowsDecide() {
        // the fixture's best harm_train coherent refusal is L8 add α=4 (10/10, of which 10 coherent)
        OperatingPointSearch.Result free = search(1, 1).run(rows());
        assertEquals(new Setting(8, "add", 4.0), free.chosen());
        assertTrue(free.training().withinBudget());
        assertTrue(free.atLeastAsGood());
        assertEquals(free.exhaustive().setting(), free.chosen());
        assertEquals(9 * (Fixture.N + 5), free.fullGridGenerations(), "9 candidates × (10 harm_train + 5 validation)");
        assertEquals(free.fullGridGenerations(), free.generationsUsed(), "one rung over all prompts is the full grid");
        // successive halving from 2 prompts: cheaper, and in this fixture (the first k prompts refuse, so small
        // rungs tie and the tie goes to the lower KL) it loses the best point, which the result must say
        OperatingPointSearch.Result halving = search(1, 1, 2).run(rows());
        assertTrue(halving.generationsUsed() < halving.fullGridGenerations(),
                halving.generationsUsed() + " vs " + halving.fullGridGenerations());
        assertEquals(3, halving.rungs().size(), "2, 6, then all 10 prompts");
        assertEquals(List.of(9, 3, 1), halving.rungs().stream().map(r -> r.evaluated().size()).toList());
        assertEquals(halving.training().coherentRefusal().rate() >= free.training().coherentRefusal().rate(),
                halving.atLeastAsGood());
        assertFalse(halving.atLeastAsGood());
        assertEquals(free.chosen(), halving.exhaustive().setting());
        // a KL budget below every steered point's KL leaves only the baseline; the checks still get a steered point
        OperatingPointSearch.Result tight = search(0.01, 1).run(rows());
        assertEquals(Setting.BASELINE, tight.chosen());
        assertFalse(tight.checkPoint().isBaseline());
        // a budget that admits α=2 only
        OperatingPointSearch.Result mid = search(0.05, 1).run(rows());
        assertEquals(2.0, mid.chosen().alpha());
        assertTrue(mid.training().klFirstToken() <= 0.05);
    }

    @Test
    void writesJsonWithNullsForNaN() throws Exception {
        OperatingPointSearch.Result r = search(1, 1).run(rows());
        Path f = tmp.resolve(OperatingPointSearch.FILE);
        OperatingPointSearch.write(f, r);
        Map<String, Object> json = OperatingPointSearch.read(f);
        assertEquals("add", ((Map<?, ?>) json.get("chosen")).get("intervention"));
        assertTrue(java.nio.file.Files.readString(f).contains("\"generationsUsed\""));
        assertFalse(java.nio.file.Files.readString(f).contains("NaN"));
        String md = OperatingPointReport.render(json);
        assertTrue(md.contains("**Chosen: L8 add α=4**"), md);
        assertTrue(md.contains("| harm_test coherent refusal |"), md);
        Set<String> ids = new HashSet<>(BENIGN);
        ids.removeAll(r.benignValidation());
        assertEquals(5, ids.size());
    }
}
