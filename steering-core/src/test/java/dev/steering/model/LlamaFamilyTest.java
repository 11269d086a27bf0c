package dev.steering.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.hooks.HookPoint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the Llama-family fixtures cannot show: sliding windows, long-context rope switching, config errors. */
class LlamaFamilyTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long[] PROMPT = {17, 345, 9, 1201, 88, 5, 640, 12, 3, 999, 41, 7};

    @TempDir
    Path tmp;

    @Test
    void slidingWindowMaskHidesKeysWindowOrMorePositionsBack() {
        ForwardInputs in = ForwardInputs.single(new long[]{1, 2, 3, 4});
        float[] m = SameDiffEngine.attentionMask(in, 2).data().asFloat();
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 4; j++) {
                boolean visible = j <= i && i - j < 2;
                assertTrue(visible == (m[i * 4 + j] == 0f), "query " + i + " key " + j);
            }
        }
    }

    @Test
    void mistralWindowAtLeastTheSequenceChangesNothingAndASmallOneChangesTheLogits() throws IOException {
        INDArray full = lastLogits(mistral("full", c -> c.putNull("sliding_window")));
        INDArray wide = lastLogits(mistral("wide", c -> c.put("sliding_window", PROMPT.length)));
        INDArray narrow = lastLogits(mistral("narrow", c -> c.put("sliding_window", 3)));
        assertArrayEquals(full.data().asFloat(), wide.data().asFloat());
        assertFalse(Arrays.equals(full.data().asFloat(), narrow.data().asFloat()));
    }

    @Test
    void slidingWindowAppliesAcrossTheKvCache() throws IOException {
        try (LanguageModel model = LanguageModel.load(mistral("narrow", c -> c.put("sliding_window", 3)))) {
            ForwardGraph graph = model.graph(List.of());
            INDArray whole = graph.run(ForwardInputs.single(PROMPT), null, List.of()).logits().getRow(PROMPT.length - 1);
            int n = PROMPT.length - 1;
            ForwardResult first = graph.run(ForwardInputs.single(Arrays.copyOf(PROMPT, n)), null, List.of());
            boolean[] valid = new boolean[n + 1];
            Arrays.fill(valid, true);
            ForwardInputs step = new ForwardInputs(new long[][]{{PROMPT[n]}}, new long[][]{{n}},
                    new boolean[][]{valid}, n, new int[]{n}, new int[]{0});
            INDArray cached = graph.run(step, first.cache(), List.of()).logits().getRow(0);
            Reference.assertClose(whole, cached, "last logits, whole sequence vs one cached step");
        }
    }

    @Test
    void longRopeSwitchesToTheLongFactorsOnlyBeyondTheOriginalContext() {
        RotaryEmbedding r = new RopeScaling.LongRope(new double[]{1, 2}, new double[]{4, 8}, 4, 1.5)
                .embedding(4, 4, 10000.0);
        INDArray shortCall = r.tables(new long[]{0, 1, 2, 3}, 1)[0];
        INDArray longCall = r.tables(new long[]{0, 1, 2, 3, 4}, 1)[0];
        assertTrue(Math.abs(shortCall.getFloat(1, 0) - (float) (Math.cos(1.0) * 1.5)) < 1e-6, "short factor 1");
        assertTrue(Math.abs(longCall.getFloat(1, 0) - (float) (Math.cos(1.0 / 4) * 1.5)) < 1e-6, "long factor 4");
    }

    @Test
    void unsupportedRopeScalingIsRefusedByName() throws IOException {
        ObjectNode cfg = config("llama-tiny");
        ((ObjectNode) cfg.get("rope_scaling")).put("rope_type", "yarn");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Architectures.config(cfg, "config.json"));
        assertTrue(e.getMessage().contains("rope_scaling.rope_type") && e.getMessage().contains("yarn"), e.getMessage());

        ObjectNode phi = config("phi3-tiny");
        ((ObjectNode) phi.get("rope_scaling")).put("type", "dynamic");
        e = assertThrows(IllegalArgumentException.class, () -> Architectures.config(phi, "config.json"));
        assertTrue(e.getMessage().contains("rope_scaling.type") && e.getMessage().contains("dynamic"), e.getMessage());
    }

    @Test
    void missingRequiredFieldsAreNamed() throws IOException {
        ObjectNode cfg = config("qwen2-tiny");
        cfg.remove("intermediate_size");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Architectures.config(cfg, "config.json"));
        assertTrue(e.getMessage().contains("'intermediate_size'"), e.getMessage());

        ObjectNode llama = config("llama-tiny");
        ((ObjectNode) llama.get("rope_scaling")).remove("low_freq_factor");
        e = assertThrows(IllegalArgumentException.class, () -> Architectures.config(llama, "config.json"));
        assertTrue(e.getMessage().contains("'rope_scaling.low_freq_factor'"), e.getMessage());
    }

    @Test
    void architecturesAreFoundByModelTypeToo() throws IOException {
        for (String fixture : List.of("qwen2-tiny", "llama-tiny", "phi3-tiny", "gemma2-tiny")) {
            ObjectNode cfg = config(fixture);
            String expected = cfg.get("architectures").get(0).textValue();
            cfg.remove("architectures");
            assertTrue(Architectures.config(cfg, fixture).architecture().equals(expected), fixture);
        }
        assertTrue(Architectures.SUPPORTED.containsAll(List.of("LlamaForCausalLM", "Qwen2ForCausalLM",
                "MistralForCausalLM", "Phi3ForCausalLM", "Gemma2ForCausalLM")));
    }

    private static ObjectNode config(String fixture) throws IOException {
        return (ObjectNode) JSON.readTree(Reference.fixture("llama-family/" + fixture).resolve("config.json").toFile());
    }

    /** The llama-tiny weights under a Mistral config edited by {@code edit}. */
    private Path mistral(String name, Consumer<ObjectNode> edit) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path src = Reference.fixture("llama-family/llama-tiny");
        Files.copy(src.resolve("model.safetensors"), dir.resolve("model.safetensors"));
        ObjectNode cfg = config("llama-tiny");
        cfg.putArray("architectures").add("MistralForCausalLM");
        cfg.put("model_type", "mistral");
        cfg.remove("rope_scaling");
        edit.accept(cfg);
        JSON.writeValue(dir.resolve("config.json").toFile(), cfg);
        return dir;
    }

    private static INDArray lastLogits(Path dir) {
        try (LanguageModel model = LanguageModel.load(dir)) {
            return model.graph(List.of()).run(ForwardInputs.single(PROMPT), null, List.<HookPoint>of()).logits()
                    .getRow(PROMPT.length - 1).dup();
        }
    }
}
