package dev.steering.experiment.parquet;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The subset of the Thrift compact protocol needed for Parquet metadata: structs, i32/i64/bool/binary fields and lists
 * of i32, strings and structs. Field ids must increase within a struct (as Thrift-generated code writes them).
 */
final class ThriftCompactWriter {
    static final int TYPE_BOOL_TRUE = 1;
    static final int TYPE_BOOL_FALSE = 2;
    static final int TYPE_I16 = 4;
    static final int TYPE_I32 = 5;
    static final int TYPE_I64 = 6;
    static final int TYPE_BINARY = 8;
    static final int TYPE_LIST = 9;
    static final int TYPE_STRUCT = 12;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final Deque<Integer> lastIds = new ArrayDeque<>();
    private int lastId;

    /** The bytes written so far. */
    byte[] toByteArray() {
        return out.toByteArray();
    }

    void i16(int id, short value) {
        fieldHeader(id, TYPE_I16);
        varint(zigzag(value));
    }

    void i32(int id, int value) {
        fieldHeader(id, TYPE_I32);
        varint(zigzag(value));
    }

    void i64(int id, long value) {
        fieldHeader(id, TYPE_I64);
        varint(zigzag(value));
    }

    void bool(int id, boolean value) {
        fieldHeader(id, value ? TYPE_BOOL_TRUE : TYPE_BOOL_FALSE);
    }

    void string(int id, String value) {
        binary(id, value.getBytes(StandardCharsets.UTF_8));
    }

    void binary(int id, byte[] value) {
        fieldHeader(id, TYPE_BINARY);
        varint(value.length);
        out.writeBytes(value);
    }

    /** Starts a struct-valued field; close it with {@link #endStruct()}. */
    void beginStruct(int id) {
        fieldHeader(id, TYPE_STRUCT);
        beginStructElement();
    }

    /** Starts a struct that is a list element (or the top-level struct); close it with {@link #endStruct()}. */
    void beginStructElement() {
        lastIds.push(lastId);
        lastId = 0;
    }

    /** Writes the stop byte of the current struct. */
    void endStruct() {
        out.write(0);
        lastId = lastIds.pop();
    }

    /** Starts a list-valued field; follow with exactly {@code size} elements of {@code elementType}. */
    void beginList(int id, int elementType, int size) {
        fieldHeader(id, TYPE_LIST);
        if (size < 15) {
            out.write((size << 4) | elementType);
        } else {
            out.write(0xF0 | elementType);
            varint(size);
        }
    }

    void i32Element(int value) {
        varint(zigzag(value));
    }

    void stringElement(String value) {
        byte[] b = value.getBytes(StandardCharsets.UTF_8);
        varint(b.length);
        out.writeBytes(b);
    }

    private void fieldHeader(int id, int type) {
        int delta = id - lastId;
        if (delta > 0 && delta <= 15) {
            out.write((delta << 4) | type);
        } else {
            out.write(type);
            varint(zigzag(id));
        }
        lastId = id;
    }

    private void varint(long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    private static long zigzag(long v) {
        return (v << 1) ^ (v >> 63);
    }
}
