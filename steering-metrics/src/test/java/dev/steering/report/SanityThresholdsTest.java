package dev.steering.report;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** "Explained by controls" is only a number when the raw effect is distinguishable from 0. */
class SanityThresholdsTest {
    @Test
    void noRawEffectGivesNotApplicable() {
        List<Map<String, Object>> base = Fixture.condition(null, "none", 0, null, 2, 2, 9, 0, Fixture.N, 1);
        List<Map<String, Object>> same = Fixture.condition(4, "add", 2.0, null, 2, 2, 9, 0, Fixture.N, 1);
        ConfoundResult c = SanityReport.confound(new Setting(4, "add", 2.0), only(base), only(same));
        assertEquals(0.0, c.steeredAlone(), 1e-12);
        assertFalse(c.rawEffectDistinguishable());
        assertTrue(Double.isNaN(c.explainedShare()), "would be 1 − x/0");
        // 1 of 10 more refusals: an effect inside its interval of 0 is n/a too, not a huge percentage
        List<Map<String, Object>> tiny = Fixture.condition(4, "add", 2.0, null, 2, 3, 9, 0, Fixture.N, 1);
        ConfoundResult t = SanityReport.confound(new Setting(4, "add", 2.0), only(base), only(tiny));
        assertEquals(0.1, t.steeredAlone(), 1e-9);
        assertTrue(Double.isNaN(t.explainedShare()));
        // a clear effect (2/10 → 10/10) has a share
        List<Map<String, Object>> big = Fixture.condition(4, "add", 2.0, null, 2, 10, 9, 0, Fixture.N, 1);
        ConfoundResult b = SanityReport.confound(new Setting(4, "add", 2.0), only(base), only(big));
        assertTrue(b.rawEffectDistinguishable());
        assertEquals(b.explainedShare() >= 0 && b.explainedShare() <= 1, !Double.isNaN(b.explainedShare()));
        assertEquals("raw effect within its 95% interval of 0", t.shareNote());
        // a controlled effect larger than the raw one (or of the other sign) is not a share of it
        ConfoundResult over = new ConfoundResult(new Setting(1, "add", 28.0), 120, -0.117, 0.052, -1.761, 0.23,
                -0.05, 0.47, "");
        assertTrue(over.rawEffectDistinguishable());
        assertTrue(Double.isNaN(over.explainedShare()));
        assertEquals("controlled effect outside [0, raw effect]: not a share", over.shareNote());
        ConfoundResult half = new ConfoundResult(new Setting(1, "add", 20.0), 120, 0.4, 0.08, 0.2, 0.1, 0, 0, "");
        assertEquals(0.5, half.explainedShare(), 1e-12);
        assertEquals("", half.shareNote());
    }

    private static List<Map<String, Object>> only(List<Map<String, Object>> rows) {
        return Summary.only(rows, Rows.HARM_TEST);
    }
}
