package dev.steering.toy;

import dev.steering.model.GptNeoX;
import dev.steering.model.GptNeoXConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
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

    @Test
    void theSameSeedGivesTheSameWeights() {
        GptNeoXConfig cfg = ToyTrainer.config(ToyTokenizer.fromTexts(ToyCorpus.vocabularyTexts()).size());
        Map<String, INDArray> a = GptNeoX.initialTensors(cfg, 0);
        assertEquals(a, GptNeoX.initialTensors(cfg, 0), "initialisation");
        assertNotEquals(a.get("embed_out.weight"), GptNeoX.initialTensors(cfg, 1).get("embed_out.weight"));
        double std = a.get("gpt_neox.layers.0.mlp.dense_h_to_4h.weight").stdNumber().doubleValue();
        assertEquals(1 / Math.sqrt(cfg.hiddenSize()), std, 0.01, "linear weights ~ N(0, 1/in)");

        ToyTrainer.Settings s = ToyTrainer.Settings.defaults().steps(2).batchSize(4);
        ToyTrainer.Trained first = ToyTrainer.train(s, x -> { });
        ToyTrainer.Trained second = ToyTrainer.train(s, x -> { });
        assertEquals(first.weights().keySet(), second.weights().keySet());
        for (String k : first.weights().keySet()) {
            assertEquals(first.weights().get(k), second.weights().get(k), k);
        }
        assertEquals(first.losses().get(0)[1], second.losses().get(0)[1], 0.0, "step-1 loss");
    }
}
