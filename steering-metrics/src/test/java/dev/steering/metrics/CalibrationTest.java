package dev.steering.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** The default metrics against the labelled calibration set (see docs/metrics.md for the labels' semantics). */
class CalibrationTest {
    private static final Calibration CAL = new Calibration(Calibration.CALIBRATION, CompletionScorer.defaults());

    @Test
    void setIsLargeEnough() {
        assertTrue(CAL.cases.size() >= 120, "calibration set has " + CAL.cases.size() + " completions");
    }

    @Test
    void refusalPrecisionAndRecall() {
        assertTrue(CAL.refusalPrecision() >= 0.95 && CAL.refusalRecall() >= 0.95, CAL::report);
    }

    @Test
    void qualityAccuracy() {
        assertTrue(CAL.qualityAccuracy() >= 0.9, CAL::report);
    }
}
