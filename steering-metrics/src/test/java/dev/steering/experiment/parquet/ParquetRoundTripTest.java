package dev.steering.experiment.parquet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParquetRoundTripTest {

    /** Written on every test run so that CI can check it with an independent reader (.ci/check-parquet.mjs). */
    private static final Path SAMPLE_DIR = Path.of("target", "parquet-samples");

    @TempDir
    Path dir;

    static ParquetSchema kitchenSinkSchema() {
        return ParquetSchema.builder()
                .int64("id")
                .string("prompt")
                .string("note", true)
                .int32("layer", true)
                .int64("big", true)
                .float64("score", true)
                .float64("alpha")
                .bool("refused", true)
                .bool("flag")
                .build();
    }

    /** 10,000 rows covering nulls, empty strings, unicode, a large string, extreme numbers. */
    static List<Map<String, Object>> kitchenSinkRows() {
        String[] texts = {"", "plain ascii", "naïve café — “quotes”", "日本語のテキスト", "emoji 🙂🚀 and 𝄞",
            "line\nbreak\ttab", "comma, \"quote\""};
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int i = 0; i < 10_000; i++) {
            Map<String, Object> r = new HashMap<>();
            r.put("id", (long) i);
            r.put("prompt", i == 7 ? "x".repeat(200_000) : texts[i % texts.length] + " #" + i);
            r.put("note", i % 3 == 0 ? null : texts[(i / 3) % texts.length]);
            r.put("layer", i % 5 == 0 ? null : switch (i % 4) {
                case 0 -> Integer.MIN_VALUE;
                case 1 -> Integer.MAX_VALUE;
                default -> i - 5000;
            });
            r.put("big", i % 2 == 0 ? null : (i % 7 == 1 ? Long.MAX_VALUE : (long) i * 1_000_000_007L));
            r.put("score", i < 40 ? null : i % 11 == 0 ? -0.0 : i / 7.0);
            r.put("alpha", i % 13 == 0 ? Double.MAX_VALUE : -i * 0.125);
            r.put("refused", i % 6 == 0 ? null : i % 4 < 2);
            r.put("flag", i % 3 == 1);
            rows.add(r);
        }
        return rows;
    }

    private static void assertRowsEqual(ParquetSchema schema, List<Map<String, Object>> expected,
                                        List<Map<String, Object>> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            for (ParquetSchema.Column c : schema.columns()) {
                Object e = expected.get(i).get(c.name());
                Object a = actual.get(i).get(c.name());
                if (e instanceof Integer && c.type() == ColumnType.INT64) {
                    e = ((Integer) e).longValue();
                }
                assertEquals(e, a, "row " + i + ", column " + c.name());
            }
        }
    }

    @Test
    void kitchenSinkRoundTripsAcrossSeveralRowGroupsAndPages() throws IOException {
        Path file = dir.resolve("sink.parquet");
        List<Map<String, Object>> rows = kitchenSinkRows();
        ParquetWriter.write(file, kitchenSinkSchema(), rows, Map.of("run", "abc", "seed", "42"),
                new ParquetWriter.Options(3000, 16 * 1024));
        ParquetTable t = ParquetReader.read(file);
        assertEquals(kitchenSinkSchema(), t.schema());
        assertEquals(4, t.rowGroups());
        assertEquals(Map.of("run", "abc", "seed", "42"), t.keyValueMetadata());
        assertEquals(ParquetWriter.CREATED_BY, t.createdBy());
        assertRowsEqual(kitchenSinkSchema(), rows, t.rows());
        assertEquals(List.of("id", "prompt", "note", "layer", "big", "score", "alpha", "refused", "flag"),
                new ArrayList<>(t.rows().get(0).keySet()));
    }

    @Test
    void writesSampleForExternalReaders() throws IOException {
        Files.createDirectories(SAMPLE_DIR);
        Path file = SAMPLE_DIR.resolve("kitchen-sink.parquet");
        List<Map<String, Object>> rows = kitchenSinkRows();
        ParquetWriter.write(file, kitchenSinkSchema(), rows, Map.of("generator", "ParquetRoundTripTest"),
                new ParquetWriter.Options(2500, 64 * 1024));
        // expected values as JSON lines; 64-bit integers and doubles as strings so that no JSON reader rounds them
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (Map<String, Object> r : rows) {
            Map<String, Object> o = new LinkedHashMap<>();
            for (ParquetSchema.Column c : kitchenSinkSchema().columns()) {
                Object v = r.get(c.name());
                o.put(c.name(), v instanceof Long || v instanceof Double ? v.toString() : v);
            }
            sb.append(json.writeValueAsString(o)).append('\n');
        }
        Files.writeString(SAMPLE_DIR.resolve("kitchen-sink.expected.jsonl"), sb.toString());
        assertEquals(rows.size(), ParquetReader.read(file).rows().size());
    }

    @Test
    void wideTableWithManyRowGroupsUsesLongThriftListHeaders() throws IOException {
        ParquetSchema.Builder b = ParquetSchema.builder();
        for (int c = 0; c < 20; c++) {
            b.int32("c" + c, c % 2 == 0);
        }
        ParquetSchema schema = b.build();
        List<Map<String, Object>> rows = new ArrayList<>();
        for (int r = 0; r < 40; r++) {
            Map<String, Object> row = new HashMap<>();
            for (int c = 0; c < 20; c++) {
                row.put("c" + c, (c % 2 == 0 && r % 3 == 0) ? null : r * 100 + c);
            }
            rows.add(row);
        }
        Files.createDirectories(SAMPLE_DIR);
        Path file = SAMPLE_DIR.resolve("wide.parquet");
        ParquetWriter.write(file, schema, rows, Map.of(), new ParquetWriter.Options(2, 1 << 20));
        ParquetTable t = ParquetReader.read(file);
        assertEquals(20, t.rowGroups());
        assertEquals(schema, t.schema());
        assertRowsEqual(schema, rows, t.rows());
    }

    @Test
    void emptyTableHasNoRowGroups() throws IOException {
        Path file = dir.resolve("empty.parquet");
        ParquetWriter.write(file, kitchenSinkSchema(), List.of(), Map.of());
        ParquetTable t = ParquetReader.read(file);
        assertEquals(0, t.rowGroups());
        assertTrue(t.rows().isEmpty());
        assertEquals(kitchenSinkSchema(), t.schema());
    }

    @Test
    void allNullAndSingleRowColumns() throws IOException {
        ParquetSchema s = ParquetSchema.builder().string("s", true).bool("b", true).float64("d", true).build();
        Map<String, Object> allNull = new HashMap<>();
        Path file = dir.resolve("nulls.parquet");
        ParquetWriter.write(file, s, List.of(allNull, allNull, allNull), Map.of());
        for (Map<String, Object> r : ParquetReader.read(file).rows()) {
            assertNull(r.get("s"));
            assertNull(r.get("b"));
            assertNull(r.get("d"));
        }
    }

    @Test
    void fileStartsAndEndsWithMagicAndFooterLengthIsConsistent() throws IOException {
        Path file = dir.resolve("m.parquet");
        ParquetWriter.write(file, kitchenSinkSchema(), kitchenSinkRows().subList(0, 100), Map.of("k", "v"));
        byte[] b = Files.readAllBytes(file);
        byte[] magic = "PAR1".getBytes(StandardCharsets.US_ASCII);
        assertArrayEquals(magic, Arrays.copyOfRange(b, 0, 4));
        assertArrayEquals(magic, Arrays.copyOfRange(b, b.length - 4, b.length));
        int footer = ByteBuffer.wrap(b, b.length - 8, 4).order(ByteOrder.LITTLE_ENDIAN).getInt();
        assertTrue(footer > 0 && footer < b.length - 12);
        String footerText = new String(b, b.length - 8 - footer, footer, StandardCharsets.ISO_8859_1);
        assertTrue(footerText.contains(ParquetWriter.CREATED_BY));
        assertTrue(footerText.contains("prompt"));
    }

    @Test
    void thriftCompactEncodingOfSmallStruct() throws IOException {
        ThriftCompactWriter w = new ThriftCompactWriter();
        w.beginStructElement();
        w.i32(1, -1);          // delta 1, type 5: 0x15, zigzag(-1) = 1
        w.i64(20, 300);        // delta 19 > 15: long form 0x06, zigzag(20)=40 (0x28), zigzag(300)=600 = 0xD8 0x04
        w.string(21, "ab");    // delta 1, type 8: 0x18, len 2
        w.bool(22, true);      // 0x11
        w.endStruct();
        byte[] expected = {0x15, 0x01, 0x06, 0x28, (byte) 0xD8, 0x04, 0x18, 0x02, 'a', 'b', 0x11, 0x00};
        assertArrayEquals(expected, w.toByteArray());
        Map<Integer, Object> back = new ThriftCompactReader(ByteBuffer.wrap(expected)).readStruct();
        assertEquals(-1L, back.get(1));
        assertEquals(300L, back.get(20));
        assertEquals("ab", ThriftCompactReader.string(back.get(21)));
        assertEquals(true, back.get(22));
    }

    @Test
    void rleHybridDecodesRunsAndBitPackedGroups() throws IOException {
        byte[] levels = {1, 1, 1, 0, 1, 0, 0, 0, 0, 1};
        byte[] enc = RleHybrid.encodeBitWidth1(levels, levels.length);
        int[] dec = RleHybrid.decode(ByteBuffer.wrap(enc), 1, levels.length);
        for (int i = 0; i < levels.length; i++) {
            assertEquals(levels[i], dec[i]);
        }
        // one bit-packed group of 8 values (header (1 << 1) | 1 = 3): 0b10110101, LSB first
        int[] packed = RleHybrid.decode(ByteBuffer.wrap(new byte[] {3, (byte) 0b10110101}), 1, 6);
        assertArrayEquals(new int[] {1, 0, 1, 0, 1, 1}, packed);
    }

    @Test
    void wrongTypeNamesRowAndColumnAndLeavesNoFile() {
        Path file = dir.resolve("bad.parquet");
        List<Map<String, Object>> rows = new ArrayList<>(kitchenSinkRows().subList(0, 10));
        Map<String, Object> bad = new HashMap<>(rows.get(4));
        bad.put("layer", "twelve");
        rows.set(4, bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParquetWriter.write(file, kitchenSinkSchema(), rows, Map.of()));
        assertTrue(e.getMessage().contains("row 4") && e.getMessage().contains("'layer'"), e.getMessage());
        assertFalse(Files.exists(file));
        assertNoTempFiles();
    }

    @Test
    void nullInRequiredColumnNamesRowAndColumn() {
        List<Map<String, Object>> rows = new ArrayList<>(kitchenSinkRows().subList(0, 3));
        Map<String, Object> bad = new HashMap<>(rows.get(2));
        bad.remove("prompt");
        rows.set(2, bad);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParquetWriter.write(dir.resolve("x.parquet"), kitchenSinkSchema(), rows, Map.of()));
        assertTrue(e.getMessage().contains("row 2") && e.getMessage().contains("'prompt'")
                && e.getMessage().contains("required"), e.getMessage());
    }

    @Test
    void unknownColumnAndBadUnicodeAreRejected() {
        Map<String, Object> row = new HashMap<>(kitchenSinkRows().get(0));
        row.put("extra", 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParquetWriter.write(dir.resolve("x.parquet"), kitchenSinkSchema(), List.of(row), Map.of()));
        assertTrue(e.getMessage().contains("row 0") && e.getMessage().contains("'extra'"), e.getMessage());

        Map<String, Object> surrogate = new HashMap<>(kitchenSinkRows().get(1));
        surrogate.put("note", "broken \uD800 text");
        e = assertThrows(IllegalArgumentException.class, () -> ParquetWriter.write(dir.resolve("x.parquet"),
                kitchenSinkSchema(), List.of(kitchenSinkRows().get(0), surrogate), Map.of()));
        assertTrue(e.getMessage().contains("row 1") && e.getMessage().contains("'note'"), e.getMessage());
    }

    @Test
    void int32RejectsLongAndInt64AcceptsInteger() throws IOException {
        ParquetSchema s = ParquetSchema.builder().int32("a").int64("b").build();
        Path file = dir.resolve("i.parquet");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ParquetWriter.write(file, s, List.of(Map.of("a", 1L, "b", 2L)), Map.of()));
        assertTrue(e.getMessage().contains("row 0, column 'a'"), e.getMessage());
        ParquetWriter.write(file, s, List.of(Map.of("a", 1, "b", 2)), Map.of());
        assertEquals(Map.of("a", 1, "b", 2L), ParquetReader.read(file).rows().get(0));
    }

    @Test
    void atomicWriteReplacesExistingFileAndLeavesNoTemp() throws IOException {
        Path file = dir.resolve("a.parquet");
        Files.writeString(file, "old content");
        ParquetSchema s = ParquetSchema.builder().string("x").build();
        ParquetWriter.write(file, s, List.of(Map.of("x", "new")), Map.of());
        assertEquals("new", ParquetReader.read(file).rows().get(0).get("x"));
        assertNoTempFiles();
    }

    @Test
    void streamingWriterWithoutCommitWritesNothing() throws IOException {
        Path file = dir.resolve("s.parquet");
        ParquetSchema s = ParquetSchema.builder().string("x").build();
        try (ParquetWriter w = ParquetWriter.open(file, s, Map.of(), ParquetWriter.Options.defaults())) {
            w.writeRow(Map.of("x", "a"));
            assertEquals(1, w.rowCount());
        }
        assertFalse(Files.exists(file));
        assertNoTempFiles();
        try (ParquetWriter w = ParquetWriter.open(file, s, Map.of(), new ParquetWriter.Options(1, 1))) {
            w.writeRow(Map.of("x", "a"));
            w.writeRow(Map.of("x", "b"));
            w.commit();
        }
        ParquetTable t = ParquetReader.read(file);
        assertEquals(2, t.rowGroups());
        assertEquals(List.of(Map.of("x", "a"), Map.of("x", "b")), t.rows());
    }

    @Test
    void readerRejectsNonParquet() throws IOException {
        Path file = dir.resolve("n.parquet");
        Files.writeString(file, "this is not a parquet file at all");
        IOException e = assertThrows(IOException.class, () -> ParquetReader.read(file));
        assertTrue(e.getMessage().contains("n.parquet"), e.getMessage());
    }

    @Test
    void schemaRejectsDuplicateNames() {
        assertThrows(IllegalArgumentException.class, () -> ParquetSchema.builder().string("a").int32("a").build());
    }

    private void assertNoTempFiles() {
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of(), s.filter(p -> p.getFileName().toString().endsWith(".tmp")).toList());
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
