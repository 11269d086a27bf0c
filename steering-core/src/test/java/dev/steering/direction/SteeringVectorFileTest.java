package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import dev.steering.weights.SafeTensors;
import dev.steering.weights.SafeTensorsFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SteeringVectorFileTest {
    @TempDir
    Path tmp;

    @Test
    void roundTripsEveryFieldAndRestoresTheRawVectorFromAUnitFile() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            DirectionResult d = ContrastivePrefix.defaults().build(model, HookPoint.residPost(1));
            Path dir = SteeringVectorFile.defaultDir(tmp, "EleutherAI/pythia-160m", 1);
            SteeringVectorFile.saveWithStats(d, dir, true);
            SteeringVector back = SteeringVector.load(dir.resolve("v.safetensors"));
            float[] raw = d.vector().raw();
            float[] got = back.raw();
            for (int i = 0; i < raw.length; i++) {
                assertEquals(raw[i], got[i], 1e-5 * d.vector().norm());
            }
            for (var e : d.vector().metadata().entrySet()) {
                assertEquals(e.getValue(), back.metadata().get(e.getKey()), e.getKey());
            }
            for (String key : List.of("model", "architecture", "hidden_size", "num_layers", "layer", "hook", "hook_role",
                    "method", "position", "refusal_prefix", "compliance_prefix", "n_prompts", "prompt_set_hash",
                    "library", "normalized", "raw_norm")) {
                assertTrue(back.metadata().containsKey(key), "metadata has " + key);
            }
            assertEquals("output of block 1", back.metadata().get("hook_role"));
            try (SafeTensorsFile f = SafeTensors.open(dir.resolve("v.safetensors"))) {
                double n = 0;
                for (float x : f.floats("v")) {
                    n += x * x;
                }
                assertEquals(1.0, Math.sqrt(n), 1e-5, "stored unit-norm");
            }
            assertTrue(Files.exists(dir.resolve("stats.json")));
            assertTrue(dir.toString().endsWith("directions/EleutherAI_pythia-160m/layer_1"));
            assertTrue(d.stats().splitHalfCosine() > 0.5, "20 prompts give a stable direction: " + d.stats());
        }
    }

    @Test
    void vectorsForAnotherModelAreRejected() {
        try (LanguageModel neox = LanguageModel.load(Reference.fixture("gpt-neox-tiny"));
             LanguageModel gpt2 = LanguageModel.load(Reference.fixture("gpt2-tiny"))) {
            SteeringVector v = ContrastivePrefix.defaults().compute(neox, HookPoint.residPost(0));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ProvenanceMetadata.checkCompatible(v, gpt2));
            assertTrue(e.getMessage().contains("GPTNeoXForCausalLM"), e.getMessage());
            SteeringVector wrongDim = SteeringVector.of(new float[]{1, 2, 3});
            assertThrows(IllegalArgumentException.class, () -> ProvenanceMetadata.checkCompatible(wrongDim, gpt2));
        }
    }

    @Test
    void aPlainPythonFileWithOneTensorLoads() {
        Path f = tmp.resolve("plain.safetensors");
        SafeTensors.write(f, Map.of("direction", Nd4j.createFromArray(3f, 4f)), Map.of());
        SteeringVector v = SteeringVector.load(f);
        assertEquals(5.0, v.norm(), 1e-6);
        assertArrayEquals(new float[]{0.6f, 0.8f}, v.unit(), 1e-6f);
    }
}
