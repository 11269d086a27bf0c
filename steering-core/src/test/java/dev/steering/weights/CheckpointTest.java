package dev.steering.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class CheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void opensAHuggingFaceDirectory() {
        Path dir = Fixtures.dir("gpt-neox-tiny");
        try (Checkpoint c = Checkpoint.open(dir)) {
            assertEquals(dir, c.dir());
            assertEquals(32, c.config().get("hidden_size").asInt());
            assertEquals(Optional.of(dir.resolve("tokenizer.json")), c.file("tokenizer.json"));
            assertEquals(Optional.empty(), c.file("vocab.json"));
            assertEquals(Optional.empty(), c.file("../gpt2-tiny/config.json"));
            assertInstanceOf(SafeTensorsFile.class, c.tensors());
            assertSame(c.tensors(), c.tensors());
            assertTrue(c.tensors().contains("gpt_neox.embed_in.weight"));
        }
        try (Checkpoint c = Checkpoint.open(Fixtures.dir("gpt-neox-tiny-bin"))) {
            assertArrayEquals(new long[] {50304, 32}, c.tensors().info("embed_out.weight").shape());
        }
    }

    @Test
    void everyLlamaFamilyCheckpointLoads() {
        for (String model : List.of("qwen2-tiny", "llama-tiny", "phi3-tiny", "gemma2-tiny")) {
            try (Checkpoint c = Checkpoint.open(Fixtures.dir("llama-family/" + model))) {
                assertTrue(c.config().has("hidden_size"), model);
                INDArray embed = c.tensors().array("model.embed_tokens.weight");
                assertEquals(c.config().get("hidden_size").asLong(), embed.size(1), model);
            }
        }
    }

    @Test
    void safetensorsIsPreferredOverPickle() throws IOException {
        Files.copy(Fixtures.dir("gpt-neox-tiny-bin").resolve("pytorch_model.bin"), tmp.resolve("pytorch_model.bin"));
        SafeTensors.write(tmp.resolve("model.safetensors"), Map.of("only", Nd4j.ones(DataType.FLOAT, 2)), Map.of());
        try (Checkpoint c = Checkpoint.open(tmp)) {
            assertEquals(Set.of("only"), c.tensors().names());
        }
    }

    @Test
    void missingOrInvalidFilesAreNamed() throws IOException {
        try (Checkpoint c = Checkpoint.open(tmp)) {
            WeightsException e = assertThrows(WeightsException.class, c::config);
            assertTrue(e.getMessage().contains(tmp.resolve("config.json") + " is missing"), e.getMessage());
            e = assertThrows(WeightsException.class, c::tensors);
            assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("pytorch_model.bin")
                    && e.getMessage().contains(tmp.toString()), e.getMessage());
        }
        Files.writeString(tmp.resolve("config.json"), "{\"hidden_size\": ");
        try (Checkpoint c = Checkpoint.open(tmp)) {
            WeightsException e = assertThrows(WeightsException.class, c::config);
            assertTrue(e.getMessage().contains(tmp.resolve("config.json") + ": expected a JSON object"), e.getMessage());
        }
        Files.writeString(tmp.resolve("config.json"), "[1]");
        try (Checkpoint c = Checkpoint.open(tmp)) {
            WeightsException e = assertThrows(WeightsException.class, c::config);
            assertTrue(e.getMessage().contains("found ARRAY"), e.getMessage());
        }
        WeightsException e = assertThrows(WeightsException.class, () -> Checkpoint.open(tmp.resolve("nope")));
        assertTrue(e.getMessage().contains("nope"), e.getMessage());
    }

    private static void index(Path dir, String weightMapJson) throws IOException {
        Files.writeString(dir.resolve("model.safetensors.index.json"),
                "{\"metadata\": {\"total_size\": 0}, \"weight_map\": " + weightMapJson + "}", StandardCharsets.UTF_8);
    }

    @Test
    void shardedSafetensorsAreMerged() throws IOException {
        Map<String, INDArray> first = new LinkedHashMap<>();
        first.put("b.weight", Nd4j.arange(6).castTo(DataType.FLOAT).reshape(2, 3));
        first.put("a.bias", Nd4j.create(new float[] {1, 2}, new long[] {2}, 'c'));
        Map<String, INDArray> second = Map.of("c.weight", Nd4j.create(new float[] {-1, -2, -3, -4}, new long[] {4, 1}, 'c'));
        SafeTensors.write(tmp.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        SafeTensors.write(tmp.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        index(tmp, "{\"b.weight\": \"model-00001-of-00002.safetensors\", \"a.bias\": \"model-00001-of-00002.safetensors\","
                + " \"c.weight\": \"model-00002-of-00002.safetensors\"}");
        try (Checkpoint c = Checkpoint.open(tmp)) {
            TensorSource t = c.tensors();
            assertEquals(List.of("a.bias", "b.weight", "c.weight"), List.copyOf(t.names()));
            assertEquals(first.get("b.weight"), t.array("b.weight"));
            assertArrayEquals(new float[] {-1, -2, -3, -4}, t.floats("c.weight"));
            assertArrayEquals(new long[] {4, 1}, t.info("c.weight").shape());
            WeightsException e = assertThrows(WeightsException.class, () -> t.info("d"));
            assertTrue(e.getMessage().contains("no tensor 'd' in") && e.getMessage().contains("model.safetensors.index.json"),
                    e.getMessage());
        }
    }

    @Test
    void shardingErrorsAreNamed() throws IOException {
        SafeTensors.write(tmp.resolve("shard1.safetensors"), Map.of("x", Nd4j.ones(DataType.FLOAT, 2)), Map.of());

        index(tmp, "{\"x\": \"shard1.safetensors\", \"y\": \"shard2.safetensors\"}");
        WeightsException e = assertThrows(WeightsException.class, () -> tensorsOf(tmp));
        assertTrue(e.getMessage().contains("shard2.safetensors") && e.getMessage().contains("'y'")
                && e.getMessage().contains("does not exist"), e.getMessage());

        index(tmp, "{\"x\": \"shard1.safetensors\", \"z\": \"shard1.safetensors\"}");
        e = assertThrows(WeightsException.class, () -> tensorsOf(tmp));
        assertTrue(e.getMessage().contains("tensor 'z'") && e.getMessage().contains("shard1.safetensors")
                && e.getMessage().contains("has no such tensor"), e.getMessage());

        index(tmp, "{\"x\": \"../shard1.safetensors\"}");
        e = assertThrows(WeightsException.class, () -> tensorsOf(tmp));
        assertTrue(e.getMessage().contains("'../shard1.safetensors'"), e.getMessage());

        index(tmp, "[]");
        e = assertThrows(WeightsException.class, () -> tensorsOf(tmp));
        assertTrue(e.getMessage().contains("weight_map"), e.getMessage());
    }

    private static void tensorsOf(Path dir) {
        try (Checkpoint c = Checkpoint.open(dir)) {
            c.tensors();
        }
    }

    @Test
    void shardedPickleSkipsBoolBuffersListedInTheIndex() throws IOException {
        Path bin = tmp.resolve("pytorch_model-00001-of-00001.bin");
        Files.copy(Fixtures.dir("gpt-neox-tiny-bin").resolve("pytorch_model.bin"), bin);
        Files.writeString(tmp.resolve("pytorch_model.bin.index.json"),
                "{\"weight_map\": {\"embed_out.weight\": \"" + bin.getFileName() + "\","
                        + " \"gpt_neox.layers.0.attention.bias\": \"" + bin.getFileName() + "\"}}");
        try (Checkpoint c = Checkpoint.open(tmp)) {
            assertEquals(Set.of("embed_out.weight"), c.tensors().names());
            assertFalse(c.tensors().contains("gpt_neox.layers.0.attention.bias"));
        }
    }
}
