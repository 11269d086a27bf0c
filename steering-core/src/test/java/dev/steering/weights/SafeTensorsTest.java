package dev.steering.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class SafeTensorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    @Test
    void neoxSkipsBoolBuffersAndConvertsF16() {
        try (SafeTensorsFile f = SafeTensors.open(Fixtures.dir("gpt-neox-tiny").resolve("model.safetensors"))) {
            assertEquals(Map.of("format", "pt"), f.metadata());
            // attention.bias is a BOOL causal mask: skipped. masked_bias and inv_freq are F32: listed.
            for (int layer = 0; layer < 3; layer++) {
                String p = "gpt_neox.layers." + layer + ".attention.";
                assertFalse(f.contains(p + "bias"), p + "bias");
                assertTrue(f.contains(p + "masked_bias"));
                assertEquals(DType.F32, f.info(p + "masked_bias").dtype());
                assertArrayEquals(new long[0], f.info(p + "masked_bias").shape());
                assertTrue(f.contains(p + "rotary_emb.inv_freq"));
            }
            WeightsException e = assertThrows(WeightsException.class, () -> f.info("gpt_neox.layers.0.attention.bias"));
            assertTrue(e.getMessage().contains("no tensor 'gpt_neox.layers.0.attention.bias'"), e.getMessage());
            assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());

            TensorInfo qkv = f.info("gpt_neox.layers.0.attention.query_key_value.weight");
            assertEquals(DType.F16, qkv.dtype());
            assertArrayEquals(new long[] {96, 32}, qkv.shape());
            assertArrayEquals(new long[] {50304, 32}, f.info("gpt_neox.embed_in.weight").shape());
            assertEquals(new ArrayList<>(new java.util.TreeSet<>(f.names())), new ArrayList<>(f.names()));

            float[] values = f.floats(qkv.name());
            assertEquals(96 * 32, values.length);
            INDArray a = f.array(qkv.name());
            assertArrayEquals(new long[] {96, 32}, a.shape());
            assertEquals(DataType.FLOAT, a.dataType());
            assertEquals(values[5 * 32 + 7], a.getFloat(5, 7));
            assertEquals(f.floats("gpt_neox.layers.0.attention.masked_bias")[0],
                    f.array("gpt_neox.layers.0.attention.masked_bias").getFloat(0));
            // raw F16 bits read independently of the reader
            assertEquals(FloatDecoding.halfToFloat(rawShort(f.path(), qkv.name(), 5 * 32 + 7)), values[5 * 32 + 7]);
        }
    }

    /** Reads element {@code index} of a 2-byte tensor straight from the file bytes. */
    private static short rawShort(Path file, String name, int index) {
        try {
            byte[] all = Files.readAllBytes(file);
            ByteBuffer b = ByteBuffer.wrap(all).order(ByteOrder.LITTLE_ENDIAN);
            int n = (int) b.getLong();
            JsonNode header = JSON.readTree(new String(all, 8, n, StandardCharsets.UTF_8));
            long begin = header.get(name).get("data_offsets").get(0).asLong();
            return b.getShort((int) (8 + n + begin + 2L * index));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void qwen2Bf16Loads() {
        try (SafeTensorsFile f = SafeTensors.open(Fixtures.dir("llama-family/qwen2-tiny").resolve("model.safetensors"))) {
            String name = "model.layers.0.self_attn.k_proj.weight";
            assertEquals(DType.BF16, f.info(name).dtype());
            assertArrayEquals(new long[] {32, 64}, f.info(name).shape());
            float[] v = f.floats(name);
            assertEquals(FloatDecoding.bfloat16ToFloat(rawShort(f.path(), name, 100)), v[100]);
            for (String n : f.names()) {
                float[] values = f.floats(n);
                assertEquals(f.info(n).numel(), values.length, n);
                for (float x : values) {
                    assertTrue(Float.isFinite(x), n);
                }
            }
            assertTrue(f.names().contains("model.embed_tokens.weight"));
        }
    }

    @Test
    void otherFixturesLoad() {
        for (String dir : List.of("gpt2-tiny", "roberta-toxicity-tiny", "llama-family/llama-tiny",
                "llama-family/phi3-tiny", "llama-family/gemma2-tiny")) {
            try (SafeTensorsFile f = SafeTensors.open(Fixtures.dir(dir).resolve("model.safetensors"))) {
                assertFalse(f.names().isEmpty(), dir);
                for (String n : f.names()) {
                    assertEquals(f.info(n).numel(), f.floats(n).length, dir + " " + n);
                }
            }
        }
        try (SafeTensorsFile f = SafeTensors.open(Fixtures.dir("gpt2-tiny").resolve("model.safetensors"))) {
            assertArrayEquals(new long[] {32, 96}, f.info("h.0.attn.c_attn.weight").shape());
            assertTrue(f.contains("h.0.attn.bias")); // stored as F32 in this checkpoint
        }
    }

    // ---------------------------------------------------------------- corrupt files

    private Path file(String name, byte[] bytes) throws IOException {
        Path p = tmp.resolve(name);
        Files.write(p, bytes);
        return p;
    }

    /** A safetensors file with the given header JSON (unpadded) and data section. */
    private Path safetensors(String name, String header, int dataBytes) throws IOException {
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + json.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(json.length).put(json);
        return file(name, b.array());
    }

    private static void assertFails(Path file, String... fragments) {
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.open(file).close());
        assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
        for (String fragment : fragments) {
            assertTrue(e.getMessage().contains(fragment), "'" + fragment + "' in: " + e.getMessage());
        }
    }

    @Test
    void corruptFilesAreRejectedWithPreciseMessages() throws IOException {
        assertFails(file("short.safetensors", new byte[] {1, 2, 3}), "truncated", "at least 8 bytes", "found 3");
        ByteBuffer beyond = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(1000).put("{}      ".getBytes(StandardCharsets.US_ASCII));
        assertFails(file("long.safetensors", beyond.array()), "header length 1000", "file size 16");
        ByteBuffer zero = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0);
        assertFails(file("zero.safetensors", zero.array()), "header length 0");
        assertFails(safetensors("json.safetensors", "{\"a\": {\"dtype\": ", 0), "not valid JSON");
        assertFails(safetensors("array.safetensors", "[1, 2]", 0), "must be a JSON object", "ARRAY");
        assertFails(safetensors("dtype.safetensors",
                "{\"w\": {\"dtype\": \"F8_E4M3\", \"shape\": [2], \"data_offsets\": [0, 2]}}", 2),
                "tensor 'w'", "unknown safetensors dtype 'F8_E4M3'");
        assertFails(safetensors("nodtype.safetensors", "{\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8),
                "tensor 'w'", "'dtype'");
        assertFails(safetensors("shape.safetensors",
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -1], \"data_offsets\": [0, 8]}}", 8),
                "tensor 'w'", "'shape'", "non-negative integers");
        assertFails(safetensors("offsets.safetensors",
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [4], \"data_offsets\": [0, 16]}}", 8),
                "tensor 'w'", "outside the data section", "end <= 8");
        assertFails(safetensors("reversed.safetensors",
                "{\"w\": {\"dtype\": \"F32\", \"shape\": [0], \"data_offsets\": [8, 0]}}", 8),
                "tensor 'w'", "reversed");
        assertFails(safetensors("mismatch.safetensors",
                "{\"w\": {\"dtype\": \"F16\", \"shape\": [3, 2], \"data_offsets\": [0, 8]}}", 8),
                "tensor 'w'", "size mismatch", "needs 12 bytes", "give 8");
        assertFails(safetensors("meta.safetensors", "{\"__metadata__\": {\"n\": 3}}", 0), "__metadata__", "'n'");
    }

    private static String tensor(String name, int begin, int end) {
        return "\"" + name + "\": {\"dtype\": \"F32\", \"shape\": [" + (end - begin) / 4 + "], \"data_offsets\": ["
                + begin + ", " + end + "]}";
    }

    @Test
    void headerRulesOfTheReferenceImplementationAreEnforced() throws IOException {
        assertFails(safetensors("overlap.safetensors", "{" + tensor("a", 0, 8) + ", " + tensor("b", 4, 12) + "}", 12),
                "tensor 'b'", "overlaps tensor 'a'", "begin at 8");
        assertFails(safetensors("alias.safetensors", "{" + tensor("a", 0, 8) + ", " + tensor("b", 0, 8) + "}", 8),
                "overlaps tensor 'a'");
        assertFails(safetensors("hole.safetensors", "{" + tensor("a", 0, 4) + ", " + tensor("b", 8, 12) + "}", 12),
                "tensor 'b'", "hole of 4 bytes after tensor 'a'");
        assertFails(safetensors("start.safetensors", "{" + tensor("a", 4, 8) + "}", 8), "hole of 4 bytes after the header");
        assertFails(safetensors("trailing.safetensors", "{" + tensor("a", 0, 8) + "}", 9),
                "1 bytes after the end of the last tensor 'a'", "trailing bytes");
        assertFails(safetensors("duplicate.safetensors", "{" + tensor("a", 0, 4) + ", " + tensor("a", 0, 4) + "}", 4),
                "not valid JSON", "Duplicate field 'a'");
        assertFails(safetensors("garbage.safetensors", "{" + tensor("a", 0, 4) + "} x", 4), "not valid JSON");
        assertFails(safetensors("second.safetensors", "{" + tensor("a", 0, 4) + "} {}", 4), "not valid JSON");

        // a header length one byte short, the header ending in padding spaces: every tensor would read shifted
        byte[] json = ("{" + tensor("a", 0, 8) + "}   ").getBytes(StandardCharsets.UTF_8);
        ByteBuffer shifted = ByteBuffer.allocate(8 + json.length + 8).order(ByteOrder.LITTLE_ENDIAN);
        shifted.putLong(json.length - 1).put(json).putFloat(1f).putFloat(2f);
        assertFails(file("short-header.safetensors", shifted.array()), "1 bytes after the end of the last tensor 'a'");
        ByteBuffer exact = shifted.duplicate().order(ByteOrder.LITTLE_ENDIAN).putLong(0, json.length);
        try (SafeTensorsFile f = SafeTensors.open(file("exact.safetensors", exact.array()))) {
            assertArrayEquals(new float[] {1f, 2f}, f.floats("a"), "trailing spaces in the header are padding");
        }
        // tensors listed out of offset order and empty tensors are valid
        try (SafeTensorsFile f = SafeTensors.open(safetensors("unordered.safetensors", "{" + tensor("b", 4, 8) + ", "
                + tensor("e", 4, 4) + ", " + tensor("a", 0, 4) + "}", 8))) {
            assertEquals(java.util.Set.of("a", "b", "e"), f.names());
        }
    }

    // ---------------------------------------------------------------- writing

    @Test
    void writeThenOpenRoundTrips() throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("z.first", Nd4j.arange(12).castTo(DataType.FLOAT).reshape('c', 3, 4));
        tensors.put("a.transposed", Nd4j.arange(6).castTo(DataType.FLOAT).reshape('c', 2, 3).transpose()); // a view
        tensors.put("m.double", Nd4j.create(new double[] {0.1, -2.5, 1e-3}, new long[] {3}, DataType.DOUBLE));
        tensors.put("scalar", Nd4j.scalar(7.5f));
        tensors.put("half", Nd4j.create(new float[] {1.5f, -0.25f}, new long[] {1, 2}, 'c').castTo(DataType.HALF));
        Map<String, String> metadata = Map.of("format", "pt", "source", "test");
        Path out = tmp.resolve("out.safetensors");
        SafeTensors.write(out, tensors, metadata);

        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList(), "no temporary file left");
        }
        Path plain = Files.createFile(tmp.resolve("plain"));
        assertEquals(Files.getPosixFilePermissions(plain), Files.getPosixFilePermissions(out), "default permissions");
        Files.delete(plain);
        byte[] bytes = Files.readAllBytes(out);
        long headerLength = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, headerLength % 8, "header padded to 8 bytes");
        String header = new String(bytes, 8, (int) headerLength, StandardCharsets.UTF_8);
        assertTrue(header.startsWith("{") && header.stripTrailing().endsWith("}"), header);
        assertTrue(header.substring(header.stripTrailing().length()).chars().allMatch(c -> c == ' '), "padding is spaces");
        List<String> order = new ArrayList<>();
        long previousEnd = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = JSON.readTree(header).fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals("__metadata__")) {
                order.add(e.getKey());
                assertEquals("F32", e.getValue().get("dtype").asText());
                assertEquals(previousEnd, e.getValue().get("data_offsets").get(0).asLong(), "data in insertion order");
                previousEnd = e.getValue().get("data_offsets").get(1).asLong();
            }
        }
        assertEquals(new ArrayList<>(tensors.keySet()), order, "insertion order kept");

        try (SafeTensorsFile f = SafeTensors.open(out)) {
            assertEquals(metadata, f.metadata());
            assertEquals(tensors.keySet(), f.names());
            for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
                INDArray expected = e.getValue().castTo(DataType.FLOAT);
                assertArrayEquals(expected.shape(), f.info(e.getKey()).shape(), e.getKey());
                assertEquals(expected, f.array(e.getKey()), e.getKey());
            }
            assertArrayEquals(new float[] {0, 3, 1, 4, 2, 5}, f.floats("a.transposed"));
            assertArrayEquals(new float[] {0.1f, -2.5f, 1e-3f}, f.floats("m.double"));
            assertArrayEquals(new float[] {7.5f}, f.floats("scalar"));
            assertArrayEquals(new long[0], f.info("scalar").shape());
        }
    }

    @Test
    void failedWriteLeavesNoFileAndKeepsTheOldOne() throws IOException {
        Map<String, INDArray> bad = new LinkedHashMap<>();
        bad.put("ok", Nd4j.ones(DataType.FLOAT, 1000));
        bad.put("ids", Nd4j.create(new long[] {1, 2, 3}, new long[] {3}, DataType.LONG));
        Path out = tmp.resolve("w.safetensors");
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.write(out, bad, Map.of()));
        assertTrue(e.getMessage().contains("'ids'") && e.getMessage().contains("LONG") && e.getMessage().contains(out.toString()),
                e.getMessage());
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(), files.toList(), "target absent and no temporary file");
        }

        SafeTensors.write(out, Map.of("x", Nd4j.ones(DataType.FLOAT, 2)), Map.of());
        byte[] before = Files.readAllBytes(out);
        assertThrows(WeightsException.class, () -> SafeTensors.write(out, bad, Map.of()));
        assertArrayEquals(before, Files.readAllBytes(out), "existing file untouched");
        try (Stream<Path> files = Files.list(tmp)) {
            assertEquals(List.of(out), files.toList());
        }
    }

    @Test
    void writesIntegerTensorsAndRefusesDataOfTheWrongSize(@org.junit.jupiter.api.io.TempDir Path dir) {
        Path file = dir.resolve("q.safetensors");
        byte[] q = {-127, 0, 5, 127, 1, 2};
        SafeTensors.write(file, List.of(new SafeTensors.Tensor("q", DType.I8, new long[]{2, 3},
                out -> out.write(ByteBuffer.wrap(q)))), Map.of("k", "v"));
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            assertEquals(new TensorInfo("q", DType.I8, new long[]{2, 3}), f.storedTensors().get("q"));
            assertFalse(f.names().contains("q"), "integer tensors are not listed as floating");
            ByteBuffer got = ByteBuffer.allocate(4);
            f.bytes("q", 2, got);
            assertArrayEquals(new byte[]{5, 127, 1, 2}, got.array());
            assertEquals("v", f.metadata().get("k"));
        }
        WeightsException e = assertThrows(WeightsException.class, () -> SafeTensors.write(file,
                List.of(new SafeTensors.Tensor("q", DType.U8, new long[]{4}, out -> out.write(ByteBuffer.wrap(q)))),
                Map.of()));
        assertTrue(e.getMessage().contains("tensor 'q' wrote 6 bytes") && e.getMessage().contains("needs 4"),
                e.getMessage());
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(file), s.toList(), "the old file kept, no temporary file left");
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
        try (SafeTensorsFile f = SafeTensors.open(file)) {
            assertEquals(DType.I8, f.storedTensors().get("q").dtype());
        }
    }
}
