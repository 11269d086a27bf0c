package dev.steering.experiment.parquet;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a flat table as a Parquet file: data pages V1, PLAIN encoding, no compression, definition levels (RLE, bit
 * width 1) for nullable columns, a {@code null_count} statistic per column chunk, one or more row groups.
 *
 * <p>The file is written to a temporary file in the target directory and moved into place atomically by
 * {@link #commit()}, so readers never see a half-written file. Rows are maps from column name to value; a missing key is
 * a null. A value of the wrong Java type (see {@link ColumnType}), a null in a required column, a key that is not a
 * column or a string that is not valid UTF-16 is an {@link IllegalArgumentException} naming the (0-based) row index and
 * the column.
 *
 * <pre>{@code
 * try (ParquetWriter w = ParquetWriter.open(file, schema, Map.of("run", "abc"), ParquetWriter.Options.defaults())) {
 *     for (Map<String, Object> row : rows) {
 *         w.writeRow(row);
 *     }
 *     w.commit();
 * }   // without commit() (e.g. after an exception) close() deletes the temporary file
 * }</pre>
 *
 * <p>Not thread-safe.
 */
public final class ParquetWriter implements Closeable {
    /** The {@code created_by} string written to the footer. */
    public static final String CREATED_BY = "steering parquet-writer 0.1";

    static final byte[] MAGIC = {'P', 'A', 'R', '1'};
    static final int ENCODING_PLAIN = 0;
    static final int ENCODING_RLE = 3;
    static final int PAGE_TYPE_DATA = 0;
    static final int CODEC_UNCOMPRESSED = 0;
    static final int CONVERTED_UTF8 = 0;
    static final int REPETITION_REQUIRED = 0;
    static final int REPETITION_OPTIONAL = 1;

    private static final Logger log = LoggerFactory.getLogger(ParquetWriter.class);

    /**
     * Layout limits.
     *
     * @param rowGroupRows rows per row group (the last one may be smaller)
     * @param pageBytes    a data page is closed once its values reach this many bytes
     */
    public record Options(int rowGroupRows, int pageBytes) {
        /** Validates that both limits are positive. */
        public Options {
            if (rowGroupRows < 1 || pageBytes < 1) {
                throw new IllegalArgumentException("rowGroupRows and pageBytes must be positive");
            }
        }

        /** 100,000 rows per row group and 1 MiB pages. */
        public static Options defaults() {
            return new Options(100_000, 1 << 20);
        }
    }

    private final Path file;
    private final Path temp;
    private final ParquetSchema schema;
    private final Map<String, String> keyValueMetadata;
    private final Options options;
    private final CountingOutputStream out;
    private final FileChannel channel;
    private final List<ColumnBuffer> buffers = new ArrayList<>();
    private final List<RowGroupInfo> rowGroups = new ArrayList<>();
    private final CharsetEncoder utf8 = StandardCharsets.UTF_8.newEncoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long rowIndex;
    private int rowsInGroup;
    private boolean committed;
    private boolean closed;

    private ParquetWriter(Path file, ParquetSchema schema, Map<String, String> keyValueMetadata, Options options)
            throws IOException {
        this.file = file.toAbsolutePath();
        this.schema = schema;
        this.keyValueMetadata = new LinkedHashMap<>(keyValueMetadata);
        this.options = options;
        Path dir = this.file.getParent();
        Files.createDirectories(dir);
        // not Files.createTempFile: its 0600 permissions would survive the move; CREATE_NEW honours the umask
        this.temp = dir.resolve("." + this.file.getFileName() + "." + Long.toHexString(System.nanoTime())
                + Integer.toHexString(ThreadLocalRandom.current().nextInt()) + ".tmp");
        this.channel = FileChannel.open(temp, StandardOpenOption.WRITE, StandardOpenOption.CREATE_NEW);
        this.out = new CountingOutputStream(new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16));
        for (ParquetSchema.Column c : schema.columns()) {
            buffers.add(new ColumnBuffer(c, options.pageBytes()));
        }
        try {
            out.write(MAGIC);
        } catch (IOException e) {
            close();
            throw e;
        }
    }

    /**
     * Opens a streaming writer; call {@link #writeRow(Map)} for each row, then {@link #commit()}, then {@link #close()}.
     *
     * @param file             the final path (its directory is created if needed)
     * @param keyValueMetadata footer key/value pairs (e.g. provenance); may be empty
     */
    public static ParquetWriter open(Path file, ParquetSchema schema, Map<String, String> keyValueMetadata, Options options)
            throws IOException {
        return new ParquetWriter(file, schema, keyValueMetadata, options);
    }

    /** Writes {@code rows} to {@code file} atomically with {@link Options#defaults()}. */
    public static void write(Path file, ParquetSchema schema, List<? extends Map<String, ?>> rows,
                             Map<String, String> keyValueMetadata) throws IOException {
        write(file, schema, rows, keyValueMetadata, Options.defaults());
    }

    /**
     * Writes {@code rows} to {@code file} atomically.
     *
     * @throws IllegalArgumentException for a bad value (naming the row index and column); no file is left behind
     */
    public static void write(Path file, ParquetSchema schema, List<? extends Map<String, ?>> rows,
                             Map<String, String> keyValueMetadata, Options options) throws IOException {
        try (ParquetWriter w = open(file, schema, keyValueMetadata, options)) {
            for (Map<String, ?> row : rows) {
                w.writeRow(row);
            }
            w.commit();
        }
    }

    /**
     * Appends one row.
     *
     * @throws IllegalArgumentException for an unknown column, a null in a required column or a value of the wrong
     *                                  type; the row is not written and the writer stays usable
     */
    public void writeRow(Map<String, ?> row) throws IOException {
        if (committed || closed) {
            throw new IllegalStateException("writer for " + file + " is already " + (committed ? "committed" : "closed"));
        }
        for (String key : row.keySet()) {
            if (schema.column(key) == null) {
                throw new IllegalArgumentException("row " + rowIndex + ": unknown column '" + key + "' (schema: "
                        + schema.names() + ")");
            }
        }
        Object[] values = new Object[buffers.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = convert(schema.columns().get(i), row.get(schema.columns().get(i).name()));
        }
        for (int i = 0; i < values.length; i++) {
            buffers.get(i).add(values[i]);
        }
        rowIndex++;
        if (++rowsInGroup >= options.rowGroupRows()) {
            flushRowGroup();
        }
    }

    /** The number of rows written so far. */
    public long rowCount() {
        return rowIndex;
    }

    /** Flushes the last row group, writes the footer and moves the file into place. */
    public void commit() throws IOException {
        if (committed || closed) {
            throw new IllegalStateException("writer for " + file + " is already " + (committed ? "committed" : "closed"));
        }
        if (rowsInGroup > 0) {
            flushRowGroup();
        }
        byte[] footer = footer();
        out.write(footer);
        out.write(new byte[] {(byte) footer.length, (byte) (footer.length >>> 8), (byte) (footer.length >>> 16),
                (byte) (footer.length >>> 24)});
        out.write(MAGIC);
        out.flush();
        channel.force(true);
        out.close();
        try {
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
        closed = true;
        log.debug("wrote {}: {} rows, {} row groups, {} bytes", file, rowIndex, rowGroups.size(), out.count);
    }

    /** Releases the file; without a prior {@link #commit()} the temporary file is deleted and nothing is written. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            out.close();
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    private Object convert(ParquetSchema.Column c, Object v) {
        if (v == null) {
            if (!c.nullable()) {
                throw new IllegalArgumentException("row " + rowIndex + ", column '" + c.name()
                        + "': null in a required column");
            }
            return null;
        }
        Object converted = switch (c.type()) {
            case STRING -> v instanceof String s ? encode(c, s) : null;
            case INT32 -> v instanceof Integer || v instanceof Short || v instanceof Byte ? ((Number) v).intValue() : null;
            case INT64 -> v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte
                    ? ((Number) v).longValue() : null;
            case DOUBLE -> v instanceof Double || v instanceof Float ? ((Number) v).doubleValue() : null;
            case BOOLEAN -> v instanceof Boolean ? v : null;
        };
        if (converted == null) {
            throw new IllegalArgumentException("row " + rowIndex + ", column '" + c.name() + "': expected "
                    + c.type() + " (" + c.type().javaType().getSimpleName() + ") but got "
                    + v.getClass().getSimpleName() + " " + abbreviate(String.valueOf(v)));
        }
        return converted;
    }

    private byte[] encode(ParquetSchema.Column c, String s) {
        try {
            ByteBuffer b = utf8.encode(CharBuffer.wrap(s));
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("row " + rowIndex + ", column '" + c.name()
                    + "': string is not valid UTF-16 (unpaired surrogate)", e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 40 ? "'" + s + "'" : "'" + s.substring(0, 40) + "...'";
    }

    private void flushRowGroup() throws IOException {
        List<ChunkInfo> chunks = new ArrayList<>(buffers.size());
        long groupStart = out.count;
        for (ColumnBuffer b : buffers) {
            ChunkInfo info = b.finishChunk(out.count);
            b.writeChunkTo(out);
            chunks.add(info);
        }
        rowGroups.add(new RowGroupInfo(chunks, rowsInGroup, groupStart, out.count - groupStart));
        rowsInGroup = 0;
    }

    private byte[] footer() {
        ThriftCompactWriter t = new ThriftCompactWriter();
        t.beginStructElement();
        t.i32(1, 1);
        List<ParquetSchema.Column> columns = schema.columns();
        t.beginList(2, ThriftCompactWriter.TYPE_STRUCT, columns.size() + 1);
        t.beginStructElement();
        t.string(4, "schema");
        t.i32(5, columns.size());
        t.endStruct();
        for (ParquetSchema.Column c : columns) {
            t.beginStructElement();
            t.i32(1, c.type().physicalType());
            t.i32(3, c.nullable() ? REPETITION_OPTIONAL : REPETITION_REQUIRED);
            t.string(4, c.name());
            if (c.type() == ColumnType.STRING) {
                t.i32(6, CONVERTED_UTF8);
                t.beginStruct(10);   // LogicalType union
                t.beginStruct(1);    // STRING: StringType {}
                t.endStruct();
                t.endStruct();
            }
            t.endStruct();
        }
        t.i64(3, rowIndex);
        t.beginList(4, ThriftCompactWriter.TYPE_STRUCT, rowGroups.size());
        for (int g = 0; g < rowGroups.size(); g++) {
            RowGroupInfo rg = rowGroups.get(g);
            t.beginStructElement();
            t.beginList(1, ThriftCompactWriter.TYPE_STRUCT, rg.chunks.size());
            for (int i = 0; i < rg.chunks.size(); i++) {
                writeColumnChunk(t, columns.get(i), rg.chunks.get(i));
            }
            t.i64(2, rg.byteSize);
            t.i64(3, rg.rows);
            t.i64(5, rg.fileOffset);
            t.i64(6, rg.byteSize);
            if (g <= Short.MAX_VALUE) {
                t.i16(7, (short) g);
            }
            t.endStruct();
        }
        if (!keyValueMetadata.isEmpty()) {
            t.beginList(5, ThriftCompactWriter.TYPE_STRUCT, keyValueMetadata.size());
            for (Map.Entry<String, String> e : keyValueMetadata.entrySet()) {
                t.beginStructElement();
                t.string(1, e.getKey());
                if (e.getValue() != null) {
                    t.string(2, e.getValue());
                }
                t.endStruct();
            }
        }
        t.string(6, CREATED_BY);
        t.endStruct();
        return t.toByteArray();
    }

    private static void writeColumnChunk(ThriftCompactWriter t, ParquetSchema.Column c, ChunkInfo chunk) {
        t.beginStructElement();
        t.i64(2, chunk.offset);
        t.beginStruct(3);
        t.i32(1, c.type().physicalType());
        if (c.nullable()) {
            t.beginList(2, ThriftCompactWriter.TYPE_I32, 2);
            t.i32Element(ENCODING_PLAIN);
            t.i32Element(ENCODING_RLE);
        } else {
            t.beginList(2, ThriftCompactWriter.TYPE_I32, 1);
            t.i32Element(ENCODING_PLAIN);
        }
        t.beginList(3, ThriftCompactWriter.TYPE_BINARY, 1);
        t.stringElement(c.name());
        t.i32(4, CODEC_UNCOMPRESSED);
        t.i64(5, chunk.numValues);
        t.i64(6, chunk.size);
        t.i64(7, chunk.size);
        t.i64(9, chunk.offset);
        t.beginStruct(12);
        t.i64(3, chunk.nullCount);
        t.endStruct();
        t.endStruct();
        t.endStruct();
    }

    private record ChunkInfo(long offset, long size, long numValues, long nullCount) {
    }

    private record RowGroupInfo(List<ChunkInfo> chunks, long rows, long fileOffset, long byteSize) {
    }

    /** Accumulates one column's pages for the current row group. */
    private static final class ColumnBuffer {
        private final ParquetSchema.Column column;
        private final int pageBytes;
        private final ByteArrayOutputStream chunk = new ByteArrayOutputStream();
        private final ByteArrayOutputStream values = new ByteArrayOutputStream();
        private final ByteBuffer scratch = ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        private byte[] levels = new byte[1024];
        private int pageValues;
        private int pageNulls;
        private int boolBits;
        private int boolByte;
        private long chunkValues;
        private long chunkNulls;

        ColumnBuffer(ParquetSchema.Column column, int pageBytes) {
            this.column = column;
            this.pageBytes = pageBytes;
        }

        void add(Object v) {
            if (column.nullable()) {
                if (pageValues == levels.length) {
                    levels = java.util.Arrays.copyOf(levels, levels.length * 2);
                }
                levels[pageValues] = (byte) (v == null ? 0 : 1);
            }
            pageValues++;
            if (v == null) {
                pageNulls++;
            } else {
                switch (column.type()) {
                    case STRING -> {
                        byte[] b = (byte[]) v;
                        writeInt(b.length);
                        values.writeBytes(b);
                    }
                    case INT32 -> writeInt((Integer) v);
                    case INT64 -> {
                        scratch.clear();
                        scratch.putLong((Long) v);
                        values.write(scratch.array(), 0, 8);
                    }
                    case DOUBLE -> {
                        scratch.clear();
                        scratch.putDouble((Double) v);
                        values.write(scratch.array(), 0, 8);
                    }
                    case BOOLEAN -> {
                        if ((Boolean) v) {
                            boolByte |= 1 << boolBits;
                        }
                        if (++boolBits == 8) {
                            values.write(boolByte);
                            boolBits = 0;
                            boolByte = 0;
                        }
                    }
                }
            }
            if (values.size() >= pageBytes) {
                flushPage();
            }
        }

        private void writeInt(int v) {
            scratch.clear();
            scratch.putInt(v);
            values.write(scratch.array(), 0, 4);
        }

        private void flushPage() {
            if (pageValues == 0) {
                return;
            }
            if (boolBits > 0) {
                values.write(boolByte);
                boolBits = 0;
                boolByte = 0;
            }
            byte[] rle = column.nullable() ? RleHybrid.encodeBitWidth1(levels, pageValues) : null;
            int pageSize = (rle == null ? 0 : 4 + rle.length) + values.size();
            ThriftCompactWriter h = new ThriftCompactWriter();
            h.beginStructElement();
            h.i32(1, PAGE_TYPE_DATA);
            h.i32(2, pageSize);
            h.i32(3, pageSize);
            h.beginStruct(5);
            h.i32(1, pageValues);
            h.i32(2, ENCODING_PLAIN);
            h.i32(3, ENCODING_RLE);
            h.i32(4, ENCODING_RLE);
            h.endStruct();
            h.endStruct();
            chunk.writeBytes(h.toByteArray());
            if (rle != null) {
                chunk.write(rle.length);
                chunk.write(rle.length >>> 8);
                chunk.write(rle.length >>> 16);
                chunk.write(rle.length >>> 24);
                chunk.writeBytes(rle);
            }
            chunk.writeBytes(values.toByteArray());
            chunkValues += pageValues;
            chunkNulls += pageNulls;
            values.reset();
            pageValues = 0;
            pageNulls = 0;
        }

        ChunkInfo finishChunk(long offset) {
            flushPage();
            return new ChunkInfo(offset, chunk.size(), chunkValues, chunkNulls);
        }

        void writeChunkTo(OutputStream out) throws IOException {
            chunk.writeTo(out);
            chunk.reset();
            chunkValues = 0;
            chunkNulls = 0;
        }
    }

    /** Counts bytes written, giving file offsets. */
    private static final class CountingOutputStream extends java.io.FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
