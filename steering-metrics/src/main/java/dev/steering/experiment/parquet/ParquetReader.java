package dev.steering.experiment.parquet;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads flat Parquet files of the kind {@link ParquetWriter} writes back into rows: flat schemas of the types in
 * {@link ColumnType}, uncompressed V1 data pages, PLAIN values and RLE/bit-packed definition levels. Anything else
 * (nested schemas, compression, dictionary encoding, data page V2) is reported as an {@link IOException} naming the
 * file and the unsupported feature. The whole file is read into memory.
 */
public final class ParquetReader {
    private ParquetReader() {
    }

    /** Reads the whole file. */
    public static ParquetTable read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        try {
            return read(bytes);
        } catch (IOException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        } catch (BufferUnderflowException | IndexOutOfBoundsException | ClassCastException | NullPointerException e) {
            throw new IOException(file + ": corrupt Parquet file (" + e + ")", e);
        }
    }

    private static ParquetTable read(byte[] bytes) throws IOException {
        int n = bytes.length;
        if (n < 12 || !Arrays.equals(bytes, 0, 4, ParquetWriter.MAGIC, 0, 4)
                || !Arrays.equals(bytes, n - 4, n, ParquetWriter.MAGIC, 0, 4)) {
            throw new IOException("not a Parquet file (no PAR1 magic at start and end)");
        }
        ByteBuffer buf = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int footerLength = buf.getInt(n - 8);
        if (footerLength <= 0 || footerLength > n - 12) {
            throw new IOException("bad footer length " + footerLength);
        }
        Map<Integer, Object> meta = new ThriftCompactReader(buf.duplicate().position(n - 8 - footerLength)).readStruct();

        List<Map<Integer, Object>> elements = structs(meta.get(2));
        if (elements.isEmpty()) {
            throw new IOException("empty schema");
        }
        List<ParquetSchema.Column> columns = new ArrayList<>();
        for (Map<Integer, Object> e : elements.subList(1, elements.size())) {
            String name = ThriftCompactReader.string(e.get(4));
            if (e.containsKey(5)) {
                throw new IOException("column '" + name + "': nested schemas are not supported");
            }
            ColumnType type = e.get(1) == null ? null : ColumnType.ofPhysical(((Long) e.get(1)).intValue());
            if (type == null) {
                throw new IOException("column '" + name + "': unsupported physical type " + e.get(1));
            }
            long repetition = e.get(3) == null ? ParquetWriter.REPETITION_REQUIRED : (Long) e.get(3);
            if (repetition != ParquetWriter.REPETITION_REQUIRED && repetition != ParquetWriter.REPETITION_OPTIONAL) {
                throw new IOException("column '" + name + "': repeated columns are not supported");
            }
            columns.add(new ParquetSchema.Column(name, type, repetition == ParquetWriter.REPETITION_OPTIONAL));
        }
        ParquetSchema schema = new ParquetSchema(columns);

        long numRows = (Long) meta.get(3);
        if (numRows > Integer.MAX_VALUE) {
            throw new IOException("too many rows: " + numRows);
        }
        List<Object[]> columnValues = new ArrayList<>();
        for (int c = 0; c < columns.size(); c++) {
            columnValues.add(new Object[(int) numRows]);
        }
        List<Map<Integer, Object>> rowGroups = structs(meta.get(4));
        int rowBase = 0;
        for (Map<Integer, Object> rg : rowGroups) {
            int groupRows = (int) (long) (Long) rg.get(3);
            List<Map<Integer, Object>> chunks = structs(rg.get(1));
            if (chunks.size() != columns.size()) {
                throw new IOException("row group has " + chunks.size() + " column chunks for " + columns.size() + " columns");
            }
            for (int c = 0; c < columns.size(); c++) {
                readChunk(buf, columns.get(c), chunks.get(c), columnValues.get(c), rowBase, groupRows);
            }
            rowBase += groupRows;
        }
        if (rowBase != numRows) {
            throw new IOException("row groups hold " + rowBase + " rows but the footer says " + numRows);
        }

        List<Map<String, Object>> rows = new ArrayList<>((int) numRows);
        for (int r = 0; r < numRows; r++) {
            Map<String, Object> row = new LinkedHashMap<>();
            for (int c = 0; c < columns.size(); c++) {
                row.put(columns.get(c).name(), columnValues.get(c)[r]);
            }
            rows.add(Collections.unmodifiableMap(row));
        }
        Map<String, String> kv = new LinkedHashMap<>();
        for (Map<Integer, Object> e : structs(meta.get(5))) {
            kv.put(ThriftCompactReader.string(e.get(1)), e.get(2) == null ? null : ThriftCompactReader.string(e.get(2)));
        }
        String createdBy = meta.get(6) == null ? null : ThriftCompactReader.string(meta.get(6));
        return new ParquetTable(schema, Collections.unmodifiableList(rows), Collections.unmodifiableMap(kv), createdBy,
                rowGroups.size());
    }

    @SuppressWarnings("unchecked")
    private static List<Map<Integer, Object>> structs(Object list) {
        return list == null ? List.of() : (List<Map<Integer, Object>>) (List<?>) list;
    }

    @SuppressWarnings("unchecked")
    private static void readChunk(ByteBuffer file, ParquetSchema.Column column, Map<Integer, Object> chunk,
                                  Object[] out, int rowBase, int groupRows) throws IOException {
        Map<Integer, Object> md = (Map<Integer, Object>) chunk.get(3);
        if (md == null) {
            throw new IOException("column '" + column.name() + "': column chunk without metadata");
        }
        if ((Long) md.get(4) != ParquetWriter.CODEC_UNCOMPRESSED) {
            throw new IOException("column '" + column.name() + "': compression codec " + md.get(4) + " is not supported");
        }
        if (md.get(11) != null) {
            throw new IOException("column '" + column.name() + "': dictionary encoding is not supported");
        }
        long numValues = (Long) md.get(5);
        if (numValues != groupRows) {
            throw new IOException("column '" + column.name() + "': " + numValues + " values in a row group of " + groupRows);
        }
        long pos = (Long) md.get(9);
        int row = rowBase;
        while (row < rowBase + groupRows) {
            ThriftCompactReader headerReader = new ThriftCompactReader(file.duplicate().position((int) pos));
            Map<Integer, Object> header = headerReader.readStruct();
            int size = (int) (long) (Long) header.get(3);
            int dataStart = headerReader.position();
            if ((Long) header.get(1) != ParquetWriter.PAGE_TYPE_DATA) {
                throw new IOException("column '" + column.name() + "': page type " + header.get(1) + " is not supported");
            }
            Map<Integer, Object> dph = (Map<Integer, Object>) header.get(5);
            int pageValues = (int) (long) (Long) dph.get(1);
            if ((Long) dph.get(2) != ParquetWriter.ENCODING_PLAIN) {
                throw new IOException("column '" + column.name() + "': value encoding " + dph.get(2) + " is not supported");
            }
            if (row + pageValues > rowBase + groupRows) {
                throw new IOException("column '" + column.name() + "': page overruns its row group");
            }
            ByteBuffer page = file.duplicate().order(ByteOrder.LITTLE_ENDIAN).position(dataStart).limit(dataStart + size)
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            int[] levels = null;
            if (column.nullable()) {
                int len = page.getInt();
                ByteBuffer levelBuf = page.duplicate().limit(page.position() + len);
                levels = RleHybrid.decode(levelBuf, 1, pageValues);
                page.position(page.position() + len);
            }
            int bit = 0;
            for (int i = 0; i < pageValues; i++, row++) {
                if (levels != null && levels[i] == 0) {
                    out[row] = null;
                    continue;
                }
                out[row] = switch (column.type()) {
                    case STRING -> {
                        int len = page.getInt();
                        byte[] b = new byte[len];
                        page.get(b);
                        yield new String(b, StandardCharsets.UTF_8);
                    }
                    case INT32 -> page.getInt();
                    case INT64 -> page.getLong();
                    case DOUBLE -> page.getDouble();
                    case BOOLEAN -> {
                        boolean v = ((page.get(page.position() + (bit >>> 3)) >>> (bit & 7)) & 1) != 0;
                        bit++;
                        yield v;
                    }
                };
            }
            pos = dataStart + (long) size;
        }
    }
}
