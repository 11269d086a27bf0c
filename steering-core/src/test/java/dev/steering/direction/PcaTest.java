package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PcaTest {
    static final int D = 32;
    static final int N = 100;

    /** Pairs whose differences are {@code c_i·u + noise}, with {@code c_i ~ N(mean, spread)}. */
    private static List<List<double[]>> planted(double[] u, double mean, double spread, long seed) {
        Random rnd = new Random(seed);
        List<double[]> pos = new ArrayList<>();
        List<double[]> neg = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            double c = mean + spread * rnd.nextGaussian();
            double[] base = new double[D];
            double[] p = new double[D];
            for (int j = 0; j < D; j++) {
                base[j] = 5 * rnd.nextGaussian();        // shared content, cancels in the difference
                p[j] = base[j] + c * u[j] + 0.1 * rnd.nextGaussian();
            }
            pos.add(p);
            neg.add(base);
        }
        return List.of(pos, neg);
    }

    private static double[] unitDirection(long seed) {
        Random rnd = new Random(seed);
        double[] u = new double[D];
        double n = 0;
        for (int j = 0; j < D; j++) {
            u[j] = rnd.nextGaussian();
            n += u[j] * u[j];
        }
        for (int j = 0; j < D; j++) {
            u[j] /= Math.sqrt(n);
        }
        return u;
    }

    @Test
    void pcaCenterRecoversAPlantedDirectionWithThePositiveSign() {
        double[] u = unitDirection(7);
        List<List<double[]>> data = planted(u, 2.0, 1.0, 1);
        double[] pc = Pca.firstComponent(data.get(0), data.get(1), Pca.Centering.PCA_CENTER);
        double cos = MeanDifference.cosine(pc, u);
        assertTrue(cos > 0.99, "cos " + cos);                     // sign: most pairs have proj(h+) > proj(h−)
        double norm = Math.sqrt(java.util.Arrays.stream(pc).map(x -> x * x).sum());
        assertEquals(1.0, norm, 1e-9);
        // Swapping positives and negatives flips the sign.
        double[] flipped = Pca.firstComponent(data.get(1), data.get(0), Pca.Centering.PCA_CENTER);
        assertTrue(MeanDifference.cosine(flipped, u) < -0.99);
    }

    @Test
    void pcaDiffLosesADirectionThatEveryPairShares() {
        // Pitfall 6: every difference is ≈ 3u, so centering removes u and PC1 is noise.
        double[] u = unitDirection(11);
        List<List<double[]>> data = planted(u, 3.0, 0.0, 2);
        double center = Math.abs(MeanDifference.cosine(
                Pca.firstComponent(data.get(0), data.get(1), Pca.Centering.PCA_CENTER), u));
        double diff = Math.abs(MeanDifference.cosine(
                Pca.firstComponent(data.get(0), data.get(1), Pca.Centering.PCA_DIFF), u));
        assertTrue(center > 0.99, "pca_center |cos| " + center);
        assertTrue(diff < 0.5, "pca_diff |cos| " + diff);
        // When the strength varies across pairs, pca_diff finds u too.
        List<List<double[]>> varied = planted(u, 0.0, 2.0, 3);
        assertTrue(Math.abs(MeanDifference.cosine(
                Pca.firstComponent(varied.get(0), varied.get(1), Pca.Centering.PCA_DIFF), u)) > 0.99);
    }

    @Test
    void buildsAUnitDirectionFromTheModel() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            Pca pca = Pca.of(List.of("I love this film", "What a great day", "This is wonderful"),
                    List.of("I hate this film", "What a terrible day", "This is awful"));
            DirectionResult r = pca.build(model, HookPoint.residPost(1));
            assertEquals(1.0, r.vector().norm(), 1e-5);
            assertEquals("pca_center", r.vector().metadata().get("centering"));
            assertEquals(3, r.stats().nPrompts());
            Map<String, String> meta = r.vector().metadata();
            assertEquals("pca", meta.get("method"));
        }
    }
}
