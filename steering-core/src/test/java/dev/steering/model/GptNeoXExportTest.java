package dev.steering.model;

import dev.steering.weights.Checkpoint;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Exporting loaded weights back to Hugging Face names and layouts gives the checkpoint's tensors exactly. */
class GptNeoXExportTest {
    @Test
    void exportInvertsLoading() {
        try (Checkpoint ckpt = Checkpoint.open(Reference.fixture("gpt-neox-tiny"))) {
            GptNeoXConfig cfg = GptNeoXConfig.fromJson(ckpt.config(), "gpt-neox-tiny");
            GptNeoX arch = new GptNeoX(cfg, ckpt.tensors(), "gpt-neox-tiny");
            Map<String, INDArray> exported = GptNeoX.huggingFaceTensors(cfg, arch.weights().asMap());
            assertTrue(exported.size() > 10);
            for (var e : exported.entrySet()) {
                assertArrayEquals(ckpt.tensors().floats(e.getKey()), e.getValue().dup('c').data().asFloat(), e.getKey());
            }
        }
    }
}
