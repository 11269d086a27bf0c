package dev.steering.toy;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** Training the toy model with SameDiff: a few Adam steps lower the loss. */
class ToyTrainingTest {
    @Test
    void aFewStepsLowerTheLoss() {
        ToyTrainer.Trained t = ToyTrainer.train(ToyTrainer.Settings.defaults().steps(12).batchSize(8), s -> { });
        List<double[]> losses = t.losses();
        double first = losses.get(0)[losses.get(0).length - 1];
        double last = losses.get(losses.size() - 1)[losses.get(losses.size() - 1).length - 1];
        assertTrue(last < first * 0.9, "loss " + first + " -> " + last);
    }
}
