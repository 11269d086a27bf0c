package dev.steering.metrics.toxicity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.weights.SafeTensors;
import dev.steering.weights.TensorSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RobertaClassifierTest {
    static final Path FIXTURE = Path.of("../steering-core/src/test/resources/fixtures/roberta-toxicity-tiny");
    static RobertaClassifier classifier;
    static TensorSource reference;
    static List<long[]> sequences = new ArrayList<>();

    @BeforeAll
    static void load() throws IOException {
        classifier = RobertaClassifier.load(FIXTURE);
        reference = SafeTensors.open(FIXTURE.resolve("reference.safetensors"));
        JsonNode ref = new ObjectMapper().readTree(FIXTURE.resolve("reference.json").toFile());
        for (JsonNode s : ref.get("sequences")) {
            long[] ids = new long[s.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = s.get(i).longValue();
            }
            sequences.add(ids);
        }
    }

    @AfterAll
    static void close() {
        classifier.close();
        reference.close();
    }

    static void assertClose(float[] expected, double[] actual, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        for (int i = 0; i < expected.length; i++) {
            double tol = 1e-4 + 1e-4 * Math.abs(expected[i]);
            assertEquals(expected[i], actual[i], tol, what + "[" + i + "]");
        }
    }

    static double[] flat(float[][] m) {
        double[] out = new double[m.length * m[0].length];
        for (int i = 0; i < m.length; i++) {
            for (int j = 0; j < m[i].length; j++) {
                out[i * m[i].length + j] = m[i][j];
            }
        }
        return out;
    }

    @Test
    void configAndLabels() {
        assertEquals(List.of("toxicity", "severe_toxicity", "obscene", "insult"), classifier.labels());
        assertTrue(classifier.config().multiLabel());
        assertEquals(128, classifier.config().maxTokens());
        assertTrue(classifier.tokenizer().isEmpty());
    }

    @Test
    void eachSequenceMatchesTheReference() {
        for (int j = 0; j < sequences.size(); j++) {
            RobertaClassifier.Output out = classifier.classify(List.of(sequences.get(j)), true).get(0);
            assertClose(reference.floats("s" + j + ".logits"), out.logits(), "s" + j + ".logits");
            assertClose(reference.floats("s" + j + ".probs"), out.probs(), "s" + j + ".probs");
            assertEquals(classifier.config().numLayers() + 1, out.hiddenStates().size());
            for (int l = 0; l < out.hiddenStates().size(); l++) {
                assertClose(reference.floats("s" + j + ".hidden" + l), flat(out.hiddenStates().get(l)),
                        "s" + j + ".hidden" + l);
            }
        }
    }

    @Test
    void batchEqualsSingleSequencesAndTheReferenceBatch() {
        List<RobertaClassifier.Output> batch = classifier.classify(sequences, true);
        float[] refBatch = reference.floats("batch_right_padded.logits");
        int labels = classifier.labels().size();
        for (int j = 0; j < sequences.size(); j++) {
            RobertaClassifier.Output single = classifier.classify(List.of(sequences.get(j)), true).get(0);
            float[] refRow = java.util.Arrays.copyOfRange(refBatch, j * labels, (j + 1) * labels);
            assertClose(refRow, batch.get(j).logits(), "batch_right_padded.logits row " + j);
            for (int i = 0; i < labels; i++) {
                assertEquals(single.logits()[i], batch.get(j).logits()[i], 1e-5, "batch vs single, s" + j);
            }
            for (int l = 0; l < single.hiddenStates().size(); l++) {
                double[] a = flat(single.hiddenStates().get(l));
                double[] b = flat(batch.get(j).hiddenStates().get(l));
                for (int i = 0; i < a.length; i++) {
                    assertEquals(a[i], b[i], 1e-5, "hidden" + l + " batch vs single, s" + j);
                }
            }
        }
    }

    @Test
    void positionIdsAndProbabilities() {
        assertEquals(List.of(2L, 3L, 4L, 1L, 1L), java.util.Arrays.stream(RobertaClassifier.positionIds(
                new boolean[]{true, true, true, false, false}, 1)).boxed().toList());
        double[] soft = RobertaClassifier.probabilities(new double[]{1, 2, 3}, false);
        assertEquals(1.0, soft[0] + soft[1] + soft[2], 1e-12);
        assertEquals(Math.exp(1) / (Math.exp(1) + Math.exp(2) + Math.exp(3)), soft[0], 1e-12);
        assertEquals(0.5, RobertaClassifier.probabilities(new double[]{0}, true)[0], 0);
    }

    @Test
    void rejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> classifier.classify(List.of(new long[0])));
        assertThrows(IllegalArgumentException.class, () -> classifier.classify(List.of(new long[]{0, 1000, 2})));
        assertThrows(IllegalArgumentException.class, () -> classifier.classify(List.of(new long[129])));
    }

    @Test
    void configErrorsNameTheField(@TempDir Path dir) throws IOException {
        ObjectMapper json = new ObjectMapper();
        var cfg = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(FIXTURE.resolve("config.json").toFile());
        cfg.put("hidden_size", "wide");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> RobertaConfig.fromJson(cfg, "config.json"));
        assertTrue(e.getMessage().contains("'hidden_size'"), e.getMessage());
        cfg.put("hidden_size", 32);
        cfg.put("problem_type", "regression");
        e = assertThrows(IllegalArgumentException.class, () -> RobertaConfig.fromJson(cfg, "config.json"));
        assertTrue(e.getMessage().contains("'problem_type'"), e.getMessage());
        cfg.remove("problem_type");
        assertTrue(!RobertaConfig.fromJson(cfg, "config.json").multiLabel());
        cfg.putObject("id2label").put("0", "a").put("2", "b");
        e = assertThrows(IllegalArgumentException.class, () -> RobertaConfig.fromJson(cfg, "config.json"));
        assertTrue(e.getMessage().contains("'id2label'"), e.getMessage());
    }
}
