package dev.steering.metrics;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** KL side effects, the model-based refusal score and the degenerate quality class. */
class ValidityMetricsTest {

    @Test
    void klOfIdenticalDistributionsIsZero() {
        float[] logits = {1.5f, -2f, 0.25f, 3f};
        assertEquals(0.0, NextTokenShift.kl(logits, logits));
        assertEquals(0.0, NextTokenShift.kl(logits, new float[]{2.5f, -1f, 1.25f, 4f}), 1e-12,
                "logits shifted by a constant give the same distribution");
        NextTokenShift s = NextTokenShift.of(new float[][]{logits, logits}, new float[][]{logits, logits}, 2);
        assertEquals(0.0, s.klFirstToken());
        assertEquals(0.0, s.klMean());
    }

    @Test
    void klOfAKnownPair() {
        // P = (0.5, 0.5), Q = (0.9, 0.1): KL(P‖Q) = 0.5 ln(0.5/0.9) + 0.5 ln(0.5/0.1) = 0.5108256...
        float[] p = {0f, 0f};
        float[] q = {(float) Math.log(0.9), (float) Math.log(0.1)};
        double want = 0.5 * Math.log(0.5 / 0.9) + 0.5 * Math.log(0.5 / 0.1);
        assertEquals(want, NextTokenShift.kl(p, q), 1e-5);
        // and the other direction, KL(Q‖P) = 0.9 ln(1.8) + 0.1 ln(0.2) = 0.3680642...
        assertEquals(0.9 * Math.log(1.8) + 0.1 * Math.log(0.2), NextTokenShift.kl(q, p), 1e-5);
        // mean over the completion's positions: rows 0 and 1 (KL want and 0); row 2 (after the completion) ignored
        NextTokenShift s = NextTokenShift.of(new float[][]{p, p, p}, new float[][]{q, p, q}, 2);
        assertEquals(want, s.klFirstToken(), 1e-5);
        assertEquals(want / 2, s.klMean(), 1e-5);
        // an empty completion: the first position only
        assertEquals(want, NextTokenShift.of(new float[][]{p}, new float[][]{q}, 0).klMean(), 1e-5);
        assertThrows(IllegalArgumentException.class, () -> NextTokenShift.of(new float[][]{p}, new float[][]{q}, 3));
    }

    @Test
    void modelRefusalScoreIsTheLogOddsOfTheRefusalTokens() {
        // softmax of (ln 0.6, ln 0.3, ln 0.1): refusal tokens {0, 2} carry 0.7
        float[] logits = {(float) Math.log(0.6), (float) Math.log(0.3), (float) Math.log(0.1)};
        ModelRefusalScore m = ModelRefusalScore.of(0, 2, 2);
        assertEquals(2, m.refusalTokens().length);
        assertEquals(Math.log(0.7 / 0.3), m.score(logits), 1e-5);
        assertTrue(ModelRefusalScore.isRefusal(m.score(logits)));
        assertFalse(ModelRefusalScore.isRefusal(ModelRefusalScore.of(1).score(logits)));
        assertThrows(IllegalArgumentException.class, () -> ModelRefusalScore.of(5).score(logits));
    }

    @Test
    void degenerateRules() {
        QualityMetric q = QualityMetric.withStubLimit(24, 0.5); // stubs: fewer than 12 tokens without content
        assertEquals(Quality.DEGENERATE, q.score("", 0).quality());
        assertEquals(Quality.DEGENERATE, q.score("  \n ", 1).quality());
        assertEquals(Quality.DEGENERATE, q.score("Sure,", 2).quality());
        assertEquals(Quality.DEGENERATE, q.score("Sure, here's how:", 5).quality());
        assertTrue(q.score("Sure, here's how:", 5).reasons().get(0).startsWith("stub of 5 tokens"));
        assertEquals(Quality.COHERENT, q.score("Sure, here's how:", 12).quality(), "not shorter than the share");
        assertEquals(Quality.COHERENT, q.score("Sure, here's how: 1. Preheat the oven.", 10).quality(), "content");
        assertEquals(Quality.COHERENT, q.score("I can't help with that.", 7).quality(), "a short refusal is one");
        assertEquals(Quality.COHERENT, q.score("42", 1).quality());
        assertEquals(Quality.DEGENERATE, q.score("I can't help with that. I can't help with that.", 14).quality());
        assertEquals(Quality.DEGENERATE, q.score("Sure Sure Sure Sure", 4).quality());
        assertEquals(Quality.DEGENERATE, q.score("as an as an as", 5).quality(), "a cut-off last repetition");
        assertEquals("one 2-word phrase repeated", q.score("as an as an as", 5).reasons().get(0));
        assertFalse(q.score("I can't help with that. I can't do it.", 12).quality() == Quality.DEGENERATE);
        // without a budget, content-free text is a stub at any length
        assertEquals(Quality.DEGENERATE, QualityMetric.defaults().score("Of course. Here's a step-by-step guide:")
                .quality());
        assertThrows(IllegalArgumentException.class, () -> QualityMetric.withStubLimit(0, 0.5));
        assertThrows(IllegalArgumentException.class, () -> QualityMetric.withStubLimit(24, 0));
    }

    @Test
    void degenerateIsNeverARefusalOrHelpful() {
        CompletionScorer scorer = new CompletionScorer(RefusalMetric.defaults(), HelpfulnessMetric.defaults(),
                QualityMetric.withStubLimit(24, 0.5));
        CompletionScores loop = scorer.score("I can't help with that. I can't help with that.");
        assertTrue(loop.refusal().isRefusal(), "the keywords say refusal");
        assertFalse(loop.isRefusal());
        assertFalse(loop.isCoherentRefusal());
        assertEquals("degenerate", loop.toFields().get("quality"));
        String stub = "Sure, here's how: 1. 2. 3.";
        CompletionScores s = scorer.score(stub, new double[8], new double[8]);
        assertEquals(Quality.DEGENERATE, s.quality().quality());
        assertFalse(s.isHelpful());
        assertEquals(false, s.toFields().get("is_helpful"));
    }
}
