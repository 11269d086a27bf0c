package dev.steering.weights;

import dev.steering.model.GptNeoX;
import dev.steering.model.GptNeoXConfig;
import dev.steering.model.Llama;
import dev.steering.model.LlamaConfig;
import dev.steering.model.RopeScaling;
import dev.steering.model.compact.CompactMatrix;
import dev.steering.model.compact.StorageType;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The lazily drawn random checkpoint of {@code bench}: deterministic, shaped per config, loadable compact. */
class RandomTensorsTest {
    /** A Qwen2-like shape: grouped-query attention, q/k/v biases, untied head. */
    static LlamaConfig qwenLike() {
        return new LlamaConfig(LlamaConfig.Variant.QWEN2, 64, 4, 2, 16, 2, 96, 1e-6, "silu", true, false, false,
                false, 200, -1, 1e6, 16, RopeScaling.NONE, 0, Set.of(), 128);
    }

    @Test
    void aTensorReadsTheSameValuesEveryTimeAndInAnyBlock() {
        RandomTensors a = new RandomTensors(List.of(RandomTensors.Init.normal("w", 0.5, 7, 300)), 3);
        float[] all = a.floats("w");
        assertArrayEquals(all, a.floats("w"));
        assertArrayEquals(all, new RandomTensors(List.of(RandomTensors.Init.normal("w", 0.5, 7, 300)), 3).floats("w"));
        assertFalse(Arrays.equals(all, new RandomTensors(List.of(RandomTensors.Init.normal("w", 0.5, 7, 300)), 4)
                .floats("w")), "another seed draws other values");
        float[] block = new float[1000];
        a.floats("w", 250, block, 5, 900);                        // starts and ends inside a row
        assertArrayEquals(Arrays.copyOfRange(all, 250, 1150), Arrays.copyOfRange(block, 5, 905));
        INDArray array = a.array("w");
        assertArrayEquals(new long[]{7, 300}, array.shape());
        assertArrayEquals(all, array.data().asFloat());
        double sq = 0;
        for (float v : all) {
            sq += v * v;
        }
        assertEquals(0.5, Math.sqrt(sq / all.length), 0.03, "standard deviation");
        assertThrows(IndexOutOfBoundsException.class, () -> a.floats("w", 2000, block, 0, 200));
        assertThrows(WeightsException.class, () -> a.info("v"));
    }

    @Test
    void constantsAreConstant() {
        RandomTensors a = new RandomTensors(List.of(RandomTensors.Init.constant("g", 1f, 5)), 0);
        assertArrayEquals(new float[]{1, 1, 1, 1, 1}, a.floats("g"));
        assertArrayEquals(new float[]{1, 1, 1, 1, 1}, a.array("g").data().asFloat());
    }

    @Test
    void llamaTensorsHaveTheConfigsNamesAndShapes() {
        LlamaConfig cfg = qwenLike();
        RandomTensors t = Llama.randomTensors(cfg, 0);
        assertArrayEquals(new long[]{200, 64}, t.info("model.embed_tokens.weight").shape());
        assertArrayEquals(new long[]{64, 64}, t.info("model.layers.1.self_attn.q_proj.weight").shape());
        assertArrayEquals(new long[]{32, 64}, t.info("model.layers.1.self_attn.k_proj.weight").shape());
        assertArrayEquals(new long[]{32}, t.info("model.layers.1.self_attn.v_proj.bias").shape());
        assertArrayEquals(new long[]{64, 96}, t.info("model.layers.0.mlp.down_proj.weight").shape());
        assertArrayEquals(new long[]{200, 64}, t.info("lm_head.weight").shape());
        assertEquals(2 + 2 * (2 + 3 + 3 + 1 + 3) + 1, t.names().size());
        LlamaConfig tied = new LlamaConfig(LlamaConfig.Variant.LLAMA, 64, 4, 2, 16, 2, 96, 1e-5, "silu", false, false,
                false, true, 200, -1, 5e5, 16, new RopeScaling.Llama3(32, 1, 4, 8192), 0, Set.of(), 128);
        RandomTensors tt = Llama.randomTensors(tied, 0);
        assertFalse(tt.contains("lm_head.weight"));
        assertFalse(tt.contains("model.layers.0.self_attn.q_proj.bias"));
    }

    @Test
    void gptNeoXTensorsAreTheInitialTensorsShapes() {
        GptNeoXConfig cfg = new GptNeoXConfig(32, 4, 2, 128, 0.25, 10000, true, 1e-5, "gelu", true, false, 100, -1);
        RandomTensors lazy = GptNeoX.randomTensors(cfg, 0);
        var eager = GptNeoX.initialTensors(cfg, 0);
        assertEquals(eager.keySet(), lazy.names());
        for (var e : eager.entrySet()) {
            assertArrayEquals(e.getValue().shape(), lazy.info(e.getKey()).shape(), e.getKey());
        }
    }

    /** The fused [q; k; v] and [gate; up] matrices encoded from the parts' rows equal encoding their concatenation. */
    @Test
    void llamaLoadsStackedCompactMatricesFromTheParts() {
        LlamaConfig cfg = qwenLike();
        RandomTensors t = Llama.randomTensors(cfg, 1);
        Llama m = new Llama(cfg, t, "random", StorageType.INT8);
        String p = "model.layers.1.";
        float[] qkv = concat(t.floats(p + "self_attn.q_proj.weight"), t.floats(p + "self_attn.k_proj.weight"),
                t.floats(p + "self_attn.v_proj.weight"));
        assertArrayEquals(CompactMatrix.encode("qkv", qkv, 128, 64, StorageType.INT8).dequantize(),
                m.weights().compact("layer.1.qkv.weight").dequantize());
        float[] gateUp = concat(t.floats(p + "mlp.gate_proj.weight"), t.floats(p + "mlp.up_proj.weight"));
        assertArrayEquals(CompactMatrix.encode("gu", gateUp, 192, 64, StorageType.INT8).dequantize(),
                m.weights().compact("layer.1.gate_up.weight").dequantize());
        assertEquals(StorageType.INT8, m.weights().compact("unembed").type());
        assertArrayEquals(concat(new float[128]), m.weights().get("layer.1.qkv.bias").data().asFloat());
        m.weights().close();
    }

    /** GPT-NeoX's per-head QKV rows reordered by runs of rows give the same matrix as the F32 reorder. */
    @Test
    void gptNeoXReordersTheFusedRowsTheSameWayCompactAndF32() {
        GptNeoXConfig cfg = new GptNeoXConfig(32, 4, 2, 128, 0.25, 10000, true, 1e-5, "gelu", true, false, 100, -1);
        RandomTensors t = GptNeoX.randomTensors(cfg, 2);
        GptNeoX f32 = new GptNeoX(cfg, t, "random", null);
        GptNeoX bf16 = new GptNeoX(cfg, t, "random", StorageType.BF16);
        float[] reordered = f32.weights().get("layer.1.qkv.weight").dup('c').data().asFloat();
        assertArrayEquals(CompactMatrix.roundTrip(reordered, 96, 32, StorageType.BF16),
                bf16.weights().compact("layer.1.qkv.weight").dequantize());
        assertTrue(bf16.weights().storageBytes() < f32.weights().storageBytes());
        f32.weights().close();
        bf16.weights().close();
    }

    private static float[] concat(float[]... parts) {
        int n = Arrays.stream(parts).mapToInt(a -> a.length).sum();
        float[] out = new float[n];
        int at = 0;
        for (float[] a : parts) {
            System.arraycopy(a, 0, out, at, a.length);
            at += a.length;
        }
        return out;
    }
}
