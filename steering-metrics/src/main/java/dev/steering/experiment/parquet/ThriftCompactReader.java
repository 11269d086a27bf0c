package dev.steering.experiment.parquet;

import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Decodes Thrift compact-protocol structs schema-lessly: a struct becomes a map from field id to value, where a value is
 * a {@link Long} (byte, i16, i32, i64), {@link Boolean}, {@link Double}, {@code byte[]} (binary/string), {@link List}
 * or a nested struct map. Unknown fields are therefore skipped naturally.
 */
final class ThriftCompactReader {
    private final ByteBuffer buf;

    /** Reads from {@code buf}'s position on, advancing it. */
    ThriftCompactReader(ByteBuffer buf) {
        this.buf = buf.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** The position after the last byte read. */
    int position() {
        return buf.position();
    }

    /** Reads one struct. */
    Map<Integer, Object> readStruct() throws IOException {
        try {
            return struct(0);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IOException("truncated Thrift metadata", e);
        }
    }

    private Map<Integer, Object> struct(int depth) throws IOException {
        if (depth > 64) {
            throw new IOException("Thrift metadata nested too deeply");
        }
        Map<Integer, Object> fields = new HashMap<>();
        int lastId = 0;
        while (true) {
            int b = buf.get() & 0xFF;
            if (b == 0) {
                return fields;
            }
            int type = b & 0x0F;
            int delta = b >>> 4;
            int id = delta != 0 ? lastId + delta : (int) unzigzag(varint());
            lastId = id;
            Object value = switch (type) {
                case ThriftCompactWriter.TYPE_BOOL_TRUE -> Boolean.TRUE;
                case ThriftCompactWriter.TYPE_BOOL_FALSE -> Boolean.FALSE;
                default -> value(type, depth);
            };
            fields.put(id, value);
        }
    }

    private Object value(int type, int depth) throws IOException {
        switch (type) {
            case 3:
                return (long) buf.get();
            case 4:
            case 5:
            case 6:
                return unzigzag(varint());
            case 7:
                return buf.getDouble();
            case 8: {
                int n = length();
                byte[] b = new byte[n];
                buf.get(b);
                return b;
            }
            case 9:
            case 10: {
                int h = buf.get() & 0xFF;
                int size = h >>> 4;
                int elementType = h & 0x0F;
                if (size == 15) {
                    size = length();
                }
                List<Object> list = new ArrayList<>(Math.min(size, 1024));
                for (int i = 0; i < size; i++) {
                    if (elementType == ThriftCompactWriter.TYPE_BOOL_TRUE || elementType == ThriftCompactWriter.TYPE_BOOL_FALSE) {
                        list.add(buf.get() == ThriftCompactWriter.TYPE_BOOL_TRUE);
                    } else {
                        list.add(value(elementType, depth + 1));
                    }
                }
                return list;
            }
            case 11: {
                int size = length();
                Map<Object, Object> map = new HashMap<>();
                if (size > 0) {
                    int kv = buf.get() & 0xFF;
                    for (int i = 0; i < size; i++) {
                        map.put(value(kv >>> 4, depth + 1), value(kv & 0x0F, depth + 1));
                    }
                }
                return map;
            }
            case 12:
                return struct(depth + 1);
            default:
                throw new IOException("unknown Thrift compact type " + type + " at byte " + (buf.position() - 1));
        }
    }

    private int length() throws IOException {
        long n = varint();
        if (n < 0 || n > buf.remaining()) {
            throw new IOException("bad Thrift length " + n + " at byte " + buf.position());
        }
        return (int) n;
    }

    private long varint() throws IOException {
        long result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            int b = buf.get() & 0xFF;
            result |= (long) (b & 0x7F) << shift;
            if ((b & 0x80) == 0) {
                return result;
            }
        }
        throw new IOException("Thrift varint too long at byte " + buf.position());
    }

    private static long unzigzag(long v) {
        return (v >>> 1) ^ -(v & 1);
    }

    /** Decodes a binary field as UTF-8. */
    static String string(Object binary) {
        return new String((byte[]) binary, StandardCharsets.UTF_8);
    }
}
