package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.model.compact.CompactMatrix;
import dev.steering.model.compact.QuantizedSafeTensors;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.WeightsException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Saved quantized checkpoints ({@link QuantizedCheckpoint}): a directory saved at int8/int4 loads (at its dtype and
 * at auto) the very weights and logits, bit for bit, of the source quantized at load; its file is plain safetensors
 * (checked byte by byte as a Python reader parses it) whose metadata names the scheme; unknown schemes, versions and
 * inconsistent shapes fail in one line naming the file and tensor.
 */
class QuantizedCheckpointTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** GPT-NeoX (F16/F32 with BOOL buffers, QKV rows reordered), GPT-2 (tied, Conv1D), Llama (F16, q/k/v stacked). */
    private static final List<String> FIXTURES = List.of("gpt-neox-tiny", "gpt2-tiny", "llama-family/llama-tiny",
            "llama-family/qwen2-tiny");

    @TempDir
    Path tmp;

    static Stream<Arguments> fixturesAndPrecisions() {
        return FIXTURES.stream().flatMap(f -> Stream.of(Precision.INT8, Precision.INT4).map(p -> Arguments.of(f, p)));
    }

    @ParameterizedTest
    @MethodSource("fixturesAndPrecisions")
    void aSavedCheckpointLoadsTheWeightsAndLogitsOfQuantizingAtLoad(String fixture, Precision p) {
        Path source = Reference.fixture(fixture);
        Path out = tmp.resolve("saved");
        QuantizedCheckpoint.save(source, out, p);
        Set<String> files = new TreeSet<>();
        try (Stream<Path> s = Files.list(out)) {
            s.forEach(f -> files.add(f.getFileName().toString()));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        assertTrue(files.contains("model.safetensors") && files.contains("config.json"), files.toString());
        assertTrue(files.stream().noneMatch(f -> f.endsWith(".tmp")), "no temporary file left: " + files);
        if (Files.exists(source.resolve("tokenizer.json"))) {
            assertTrue(files.contains("tokenizer.json"));
        }
        try (LanguageModel atLoad = LanguageModel.load(source, fixture, LoadOptions.precision(p));
             LanguageModel saved = LanguageModel.load(out, fixture, LoadOptions.precision(p));
             LanguageModel auto = LanguageModel.load(out, fixture, LoadOptions.precision(Precision.AUTO))) {
            for (LanguageModel m : List.of(saved, auto)) {
                assertSameWeights(atLoad.architecture().weights(), m.architecture().weights());
                for (long[] prompt : prompts(atLoad.config().vocabSize())) {
                    float[] want = logits(atLoad, prompt);
                    assertArrayEquals(want, logits(m, prompt), "logits of " + fixture + " saved at " + p);
                }
            }
        }
    }

    private static void assertSameWeights(Weights want, Weights got) {
        assertEquals(want.asMap().keySet(), got.asMap().keySet());
        assertEquals(want.compactMatrices().keySet(), got.compactMatrices().keySet());
        assertFalse(want.compactMatrices().isEmpty());
        want.compactMatrices().forEach((name, m) -> {
            CompactMatrix g = got.compact(name);
            assertEquals(m.type(), g.type(), name);
            assertEquals(m.storageBytes(), g.storageBytes(), name);
            assertArrayEquals(m.dequantize(), g.dequantize(), name);
        });
        want.asMap().forEach((name, a) -> assertArrayEquals(a.dup().data().asFloat(),
                got.get(name).dup().data().asFloat(), name));
        assertTrue(want.compactMatrices().values().stream().anyMatch(m -> m.type().grouped()));
    }

    @Test
    void theFileIsPlainSafetensorsWhoseMetadataNamesTheScheme() throws IOException {
        Path out = tmp.resolve("gpt2-q4");
        Path file = QuantizedCheckpoint.save(Reference.fixture("gpt2-tiny"), out, Precision.INT4);
        // as Python's safetensors reads it: u64 LE header length, a JSON object, contiguous offsets, known dtypes
        byte[] bytes = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, (8 + n) % 8, "header padded to 8 bytes");
        JsonNode header = JSON.readTree(new String(bytes, 8, (int) n, StandardCharsets.UTF_8).strip());
        JsonNode meta = header.get("__metadata__");
        assertEquals("q4_0", meta.get("steering.quantization").textValue());
        assertEquals("1", meta.get("steering.format_version").textValue());
        assertEquals("32", meta.get("steering.group_size").textValue());
        long end = 0;
        List<long[]> ranges = new ArrayList<>();
        int quantized = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = header.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("__metadata__")) {
                continue;
            }
            String dtype = e.getValue().get("dtype").textValue();
            assertTrue(Set.of("F32", "F16", "BF16", "I8", "U8").contains(dtype), dtype);
            long numel = 1;
            for (JsonNode d : e.getValue().get("shape")) {
                numel *= d.asLong();
            }
            long begin = e.getValue().get("data_offsets").get(0).asLong();
            long stop = e.getValue().get("data_offsets").get(1).asLong();
            assertEquals(numel * (dtype.equals("F32") ? 4 : dtype.endsWith("16") ? 2 : 1), stop - begin, e.getKey());
            ranges.add(new long[]{begin, stop});
            end = Math.max(end, stop);
            if (e.getKey().endsWith(".qweight")) {
                quantized++;
                String name = e.getKey().substring(0, e.getKey().length() - ".qweight".length());
                JsonNode t = JSON.readTree(meta.get("steering.tensor." + name).textValue());
                int groups = (t.get("in").intValue() + 31) / 32;
                String scheme = t.get("scheme").textValue();
                assertEquals(scheme.equals("q8_0") ? "I8" : "U8", dtype, name);
                assertEquals(JSON.createArrayNode().add(t.get("out").intValue())
                        .add(groups * (scheme.equals("q8_0") ? 32 : 16)), e.getValue().get("shape"), name);
                assertEquals("F16", header.get(name + ".scales").get("dtype").textValue());
                assertEquals(JSON.createArrayNode().add(t.get("out").intValue()).add(groups),
                        header.get(name + ".scales").get("shape"));
                assertEquals("transposed", t.get("layout").textValue(), "GPT-2's Conv1D weights: " + name);
            }
        }
        assertEquals(bytes.length, 8 + n + end, "the data ends the file");
        ranges.sort((a, b) -> Long.compare(a[0], b[0]));
        for (int i = 0, at = 0; i < ranges.size(); at = (int) ranges.get(i)[1], i++) {
            assertEquals(at, ranges.get(i)[0], "contiguous data");
        }
        assertEquals(8, quantized, "2 layers x 4 Conv1D matrices");
        JsonNode wte = header.get(header.has("wte.weight") ? "wte.weight" : "transformer.wte.weight");
        assertEquals("BF16", wte.get("dtype").textValue(), "the tied embedding of an F32 checkpoint, kept 16-bit");
    }

    @Test
    void unknownSchemesAndVersionsFailInOneLineNamingTheFile() throws IOException {
        Path out = tmp.resolve("llama-q8");
        Path file = QuantizedCheckpoint.save(Reference.fixture("llama-family/llama-tiny"), out, Precision.INT8);
        Map<String, String> edits = Map.of(
                "steering.quantization", "q9_9",
                "steering.format_version", "7",
                "steering.group_size", "64");
        for (Map.Entry<String, String> edit : edits.entrySet()) {
            rewriteMetadata(file, meta -> meta.put(edit.getKey(), edit.getValue()));
            WeightsException e = assertThrows(WeightsException.class,
                    () -> LanguageModel.load(out, "x", LoadOptions.precision(Precision.INT8)).close());
            assertOneLine(e, file.toString());
            assertTrue(e.getMessage().contains(edit.getKey()) && e.getMessage().contains(edit.getValue()),
                    e.getMessage());
            QuantizedCheckpoint.save(Reference.fixture("llama-family/llama-tiny"), out, Precision.INT8);
        }
        // a tensor's stated shape disagrees with its blocks
        String name = "model.layers.0.mlp.down_proj.weight";
        rewriteMetadata(file, meta -> meta.put("steering.tensor." + name,
                meta.get("steering.tensor." + name).textValue().replaceAll("\"in\":\\d+", "\"in\":1000")));
        WeightsException e = assertThrows(WeightsException.class,
                () -> LanguageModel.load(out, "x", LoadOptions.precision(Precision.INT8)).close());
        assertOneLine(e, file.toString());
        assertTrue(e.getMessage().contains(name + ".qweight"), e.getMessage());
    }

    @Test
    void shapesThatDisagreeWithConfigJsonFailNamingTheTensor() throws IOException {
        Path out = tmp.resolve("llama-q4");
        QuantizedCheckpoint.save(Reference.fixture("llama-family/llama-tiny"), out, Precision.INT4);
        Path config = out.resolve("config.json");
        ObjectNode cfg = (ObjectNode) JSON.readTree(config.toFile());
        cfg.put("intermediate_size", cfg.get("intermediate_size").intValue() * 2);
        JSON.writeValue(config.toFile(), cfg);
        WeightsException e = assertThrows(WeightsException.class,
                () -> LanguageModel.load(out, "x", LoadOptions.precision(Precision.INT4)).close());
        assertOneLine(e, "config.json");
        assertTrue(e.getMessage().contains("model.layers.0.mlp."), e.getMessage());
    }

    @Test
    void anotherDtypeIsRefusedInOneLine() {
        Path out = tmp.resolve("neox-q8");
        QuantizedCheckpoint.save(Reference.fixture("gpt-neox-tiny"), out, Precision.INT8);
        for (Precision p : List.of(Precision.FLOAT32, Precision.BFLOAT16, Precision.FLOAT16, Precision.INT4)) {
            WeightsException e = assertThrows(WeightsException.class,
                    () -> LanguageModel.load(out, "x", LoadOptions.precision(p)).close());
            assertOneLine(e, "model.safetensors");
            assertTrue(e.getMessage().contains("int8 or auto"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class,
                () -> QuantizedCheckpoint.save(Reference.fixture("gpt-neox-tiny"), tmp.resolve("x"),
                        Precision.BFLOAT16));
        assertThrows(WeightsException.class, () -> QuantizedCheckpoint.save(out, tmp.resolve("again"),
                Precision.INT8), "already quantized");
    }

    @Test
    void stackedRowsEqualTheEncodingOfTheStack() {
        SplittableRandom rnd = new SplittableRandom(3);
        float[] a = new float[5 * 40];
        float[] b = new float[3 * 40];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rnd.nextGaussian();
        }
        for (int i = 0; i < b.length; i++) {
            b[i] = (float) rnd.nextGaussian();
        }
        float[] ab = new float[8 * 40];
        System.arraycopy(b, 40, ab, 0, 2 * 40);          // rows 1-2 of b, then rows 0-4 of a, then row 0 of b
        System.arraycopy(a, 0, ab, 2 * 40, 5 * 40);
        System.arraycopy(b, 0, ab, 7 * 40, 40);
        for (StorageType t : StorageType.values()) {
            CompactMatrix ma = CompactMatrix.encode("a", a, 5, 40, t);
            CompactMatrix mb = CompactMatrix.encode("b", b, 3, 40, t);
            CompactMatrix stacked = CompactMatrix.stackRows("ab", List.of(new CompactMatrix.RowRange(mb, 1, 2),
                    new CompactMatrix.RowRange(ma, 0, 5), new CompactMatrix.RowRange(mb, 0, 1)));
            CompactMatrix whole = CompactMatrix.encode("ab", ab, 8, 40, t);
            assertEquals(whole.storageBytes(), stacked.storageBytes(), t.name());
            assertArrayEquals(whole.dequantize(), stacked.dequantize(), t.name());
        }
    }

    private static void assertOneLine(Exception e, String mentions) {
        assertNotNull(e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
        assertTrue(e.getMessage().contains(mentions), e.getMessage());
    }

    /** Rewrites a safetensors file with edited metadata (the tensors copied as stored). */
    private static void rewriteMetadata(Path file, java.util.function.Consumer<ObjectNode> edit) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int n = (int) ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        ObjectNode header = (ObjectNode) JSON.readTree(new String(bytes, 8, n, StandardCharsets.UTF_8).strip());
        edit.accept((ObjectNode) header.get("__metadata__"));
        byte[] json = JSON.writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + bytes.length - 8 - n).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(json);
        while (out.position() < 8 + padded) {
            out.put((byte) ' ');
        }
        out.put(bytes, 8 + n, bytes.length - 8 - n);
        Files.write(file, out.array());
    }

    private static float[] logits(LanguageModel m, long[] prompt) {
        INDArray l = m.graph(List.of()).run(ForwardInputs.single(prompt), null, List.of()).logits();
        return l.dup().data().asFloat();
    }

    private static List<long[]> prompts(int vocab) {
        SplittableRandom rnd = new SplittableRandom(11);
        return Stream.generate(() -> rnd.longs(12, 0, vocab).toArray()).limit(3).toList();
    }
}
