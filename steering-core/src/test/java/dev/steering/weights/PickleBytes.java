package dev.steering.weights;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes pickle opcodes by hand, and torch.save-style zip archives, for tests. */
final class PickleBytes {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    PickleBytes op(int... bytes) {
        for (int b : bytes) {
            out.write(b);
        }
        return this;
    }

    PickleBytes global(String module, String name) {
        op('c');
        out.writeBytes((module + "\n" + name + "\n").getBytes(StandardCharsets.UTF_8));
        return this;
    }

    /** SHORT_BINUNICODE. */
    PickleBytes str(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return op(0x8c, b.length).raw(b);
    }

    /** BININT1. */
    PickleBytes int1(int v) {
        return op('K', v);
    }

    PickleBytes raw(byte[] b) {
        out.writeBytes(b);
        return this;
    }

    byte[] bytes() {
        return out.toByteArray();
    }

    /** Pushes {@code _rebuild_tensor_v2(storage(type, key, numel), offset, size, stride, False, OrderedDict())}. */
    PickleBytes tensor(String storageType, String key, int numel, int offset, int[] size, int[] stride) {
        global("torch._utils", "_rebuild_tensor_v2").op('(');
        op('(').str("storage").str("torch").str(storageType).op(0x93).str(key).str("cpu").int1(numel).op('t', 'Q');
        int1(offset);
        op('(');
        for (int s : size) {
            int1(s);
        }
        op('t', '(');
        for (int s : stride) {
            int1(s);
        }
        op('t', 0x89);
        global("collections", "OrderedDict").op(')', 'R');
        return op('t', 'R');
    }

    /** Writes a torch.save-style archive: {@code archive/data.pkl}, {@code archive/version} and the given data entries. */
    static void zip(Path file, byte[] pickle, Map<String, byte[]> data) throws IOException {
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            put(zip, "archive/data.pkl", pickle);
            for (Map.Entry<String, byte[]> e : data.entrySet()) {
                put(zip, "archive/data/" + e.getKey(), e.getValue());
            }
            put(zip, "archive/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static void put(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }
}
