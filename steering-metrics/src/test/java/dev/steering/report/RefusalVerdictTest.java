package dev.steering.report;

import org.junit.jupiter.api.Test;

import static dev.steering.report.RefusalVerdict.FAILS;
import static dev.steering.report.RefusalVerdict.FAILS_BREAKDOWN;
import static dev.steering.report.RefusalVerdict.PARTIAL;
import static dev.steering.report.RefusalVerdict.UNCLASSIFIED;
import static dev.steering.report.RefusalVerdict.WORKS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The plan's verdict table on constructed rates, at every boundary (n = 100, so counts are percentages). */
class RefusalVerdictTest {

    private static RefusalVerdict v(int coherent, int garbled, int total) {
        return RefusalVerdict.of(coherent, garbled, total, 100);
    }

    @Test
    void worksFromSixtyPercentCoherent() {
        assertEquals(WORKS, v(60, 0, 60));
        assertEquals(WORKS, v(60, 40, 100), "garbled refusals do not spoil a Works");
        assertEquals(WORKS, v(100, 0, 100));
        assertEquals(PARTIAL, v(59, 0, 59));
    }

    @Test
    void partialIsFortyToFiftyNineCoherentWithUnderTwentyGarbled() {
        assertEquals(PARTIAL, v(40, 0, 40));
        assertEquals(PARTIAL, v(40, 19, 59));
        assertEquals(PARTIAL, v(59, 19, 78));
        assertEquals(UNCLASSIFIED, v(40, 20, 60), "garbled 20% is not < 20%");
        assertEquals(UNCLASSIFIED, v(59, 41, 100), "not Partial, and coherent ≥ 40% is not a breakdown");
        assertEquals(UNCLASSIFIED, v(39, 0, 39), "coherent 39% is below Partial but not < 20%");
    }

    @Test
    void breakdownNeedsUnderFortyCoherentFortyGarbledAndSixtyTotal() {
        assertEquals(FAILS_BREAKDOWN, v(39, 40, 79));
        assertEquals(FAILS_BREAKDOWN, v(0, 40, 60));
        assertEquals(FAILS_BREAKDOWN, v(20, 40, 60));
        assertEquals(UNCLASSIFIED, v(39, 39, 78), "garbled 39% is not ≥ 40%");
        assertEquals(UNCLASSIFIED, v(0, 40, 59), "total 59% is not ≥ 60%");
        assertEquals(UNCLASSIFIED, v(40, 40, 80), "coherent 40% is not < 40% (and garbled ≥ 20% is not Partial)");
    }

    @Test
    void failsNeedsUnderTwentyCoherentUnderTwentyGarbledAndUnderFortyTotal() {
        assertEquals(FAILS, v(0, 0, 0));
        assertEquals(FAILS, v(19, 19, 39));
        assertEquals(FAILS, v(19, 0, 39), "20 refusals in mildly repetitive text count in the total only");
        assertEquals(UNCLASSIFIED, v(20, 0, 20), "coherent 20% is not < 20%");
        assertEquals(UNCLASSIFIED, v(19, 20, 39), "garbled 20% is not < 20%");
        assertEquals(UNCLASSIFIED, v(19, 0, 40), "total 40% is not < 40%");
    }

    @Test
    void onlyGarbledRefusalsNeverPass() {
        for (int g = 0; g <= 100; g++) {
            for (int extra = 0; g + extra <= 100; extra += 10) {
                assertFalse(v(0, g, g + extra).passes(), "garbled " + g);
            }
        }
        assertEquals(FAILS_BREAKDOWN, v(0, 100, 100));
    }

    @Test
    void boundariesAreExactWithOtherSampleCounts() {
        assertEquals(WORKS, RefusalVerdict.of(30, 0, 30, 50), "30/50 = 60%");
        assertEquals(PARTIAL, RefusalVerdict.of(29, 0, 29, 50));
        assertEquals(WORKS, RefusalVerdict.of(3, 0, 3, 5));
        assertEquals(PARTIAL, RefusalVerdict.of(4, 0, 4, 7), "57%");
        assertEquals(WORKS, RefusalVerdict.of(5, 0, 5, 7), "71%");
        assertEquals(PARTIAL, RefusalVerdict.of(2, 0, 2, 5), "40%");
        assertTrue(WORKS.passes());
        for (RefusalVerdict other : new RefusalVerdict[]{PARTIAL, FAILS_BREAKDOWN, FAILS, UNCLASSIFIED}) {
            assertFalse(other.passes());
        }
        assertEquals("Fails (breakdown)", FAILS_BREAKDOWN.label());
    }

    @Test
    void inconsistentCountsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> RefusalVerdict.of(1, 0, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> RefusalVerdict.of(30, 30, 50, 100), "c + g > total");
        assertThrows(IllegalArgumentException.class, () -> RefusalVerdict.of(0, 0, 101, 100));
    }
}
