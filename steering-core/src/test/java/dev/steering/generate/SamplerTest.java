package dev.steering.generate;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static final float[] LOGITS = {2.0f, 1.0f, 0.5f, -1.0f, 3.0f};

    @Test
    void greedyPicksTheArgmaxAndReportsExactLogprobAndEntropy() {
        Sampler.Choice c = new Sampler(GenerationConfig.defaults()).choose(LOGITS, 0, 5, null);
        assertEquals(4, c.token());
        double z = 0;
        for (float l : LOGITS) {
            z += Math.exp(l);
        }
        assertEquals(3.0 - Math.log(z), c.logprob(), 1e-12);
        double h = 0;
        for (float l : LOGITS) {
            double p = Math.exp(l) / z;
            h -= p * Math.log(p);
        }
        assertEquals(h, c.entropy(), 1e-12);
    }

    @Test
    void topPKeepsTheSmallestNucleusAndSamplesInProportion() {
        // probabilities of LOGITS: ~[0.23, 0.085, 0.05, 0.011, 0.62]; top-p 0.8 keeps tokens 4 and 0
        Sampler s = new Sampler(GenerationConfig.defaults().temperature(1).topP(0.8));
        SplittableRandom rng = new SplittableRandom(1);
        int[] counts = new int[5];
        for (int i = 0; i < 20000; i++) {
            counts[s.choose(LOGITS, 0, 5, rng).token()]++;
        }
        assertEquals(0, counts[1] + counts[2] + counts[3]);
        double expected = Math.exp(3) / (Math.exp(3) + Math.exp(2));
        assertEquals(expected, counts[4] / 20000.0, 0.02);
    }

    @Test
    void topKAndTemperature() {
        Sampler s = new Sampler(GenerationConfig.defaults().temperature(100).topK(2));
        SplittableRandom rng = new SplittableRandom(2);
        int[] counts = new int[5];
        for (int i = 0; i < 5000; i++) {
            counts[s.choose(LOGITS, 0, 5, rng).token()]++;
        }
        assertEquals(0, counts[1] + counts[2] + counts[3]);
        assertTrue(Math.abs(counts[0] - counts[4]) < 400, "high temperature flattens the top two");
    }

    @Test
    void nucleusThresholdEqualsTheSortedPrefixDefinition() {
        java.util.Random r = new java.util.Random(5);
        for (int trial = 0; trial < 200; trial++) {
            int v = 1 + r.nextInt(trial < 100 ? 50 : 5000);
            double[] p = new double[v];
            double z = 0;
            for (int i = 0; i < v; i++) {
                p[i] = Math.exp(r.nextGaussian() * (trial % 3 + 0.1));
                z += p[i];
            }
            for (int i = 0; i < v; i++) {
                p[i] /= z;
            }
            double topP = 0.05 + 0.9 * r.nextDouble();
            double[] sorted = p.clone();
            java.util.Arrays.sort(sorted);
            double cum = 0;
            double expected = sorted[v - 1];
            for (int i = v - 1; i >= 0; i--) {
                cum += sorted[i];
                expected = sorted[i];
                if (cum >= topP) {
                    break;
                }
            }
            assertEquals(expected, Sampler.nucleusThreshold(p, 0, topP), 0.0, "trial " + trial);
        }
    }

    @Test
    void rowSeedsDependOnlyOnRunSeedAndPromptId() {
        assertEquals(Sampler.rngFor(3, "a").nextLong(), Sampler.rngFor(3, "a").nextLong());
        assertTrue(Sampler.rngFor(3, "a").nextLong() != Sampler.rngFor(3, "b").nextLong());
        assertTrue(Sampler.rngFor(3, "a").nextLong() != Sampler.rngFor(4, "a").nextLong());
    }
}
