package dev.steering.weights;

import dev.steering.weights.PickleReader.StorageRef;
import dev.steering.weights.PickleReader.TensorRef;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads {@code pytorch_model.bin} state dicts written by {@code torch.save} (zip format) without
 * executing any code: the pickle is interpreted by a restricted reader that accepts only the globals
 * and opcodes a state dict needs, and refuses everything else.
 */
public final class TorchPickle {
    private static final Logger LOG = LoggerFactory.getLogger(TorchPickle.class);
    /** The largest pickle accepted, as a guard against hostile archives. */
    private static final long MAX_PICKLE_BYTES = 100L * 1024 * 1024;

    private TorchPickle() {
    }

    /**
     * Opens a {@code torch.save} zip archive holding a state dict (a dict of tensor name to tensor).
     * Entries that are not tensors are skipped with a warning.
     *
     * @param pytorchModelBin the archive, typically {@code pytorch_model.bin}
     * @return its floating tensors; close it when done
     * @throws WeightsException if the archive is malformed, uses the legacy non-zip format, or its pickle
     *     references anything a state dict never needs (the message names the global or opcode)
     */
    public static TensorSource open(Path pytorchModelBin) {
        return openFile(pytorchModelBin);
    }

    /** {@link #open(Path)} for use by the sharded reader. */
    static FileTensorSource openFile(Path pytorchModelBin) {
        ZipFile zip;
        try {
            zip = new ZipFile(pytorchModelBin.toFile());
        } catch (ZipException e) {
            throw new WeightsException(pytorchModelBin + ": not a zip archive as torch.save writes since PyTorch 1.6"
                    + " (the legacy format is not supported): " + e.getMessage(), e);
        } catch (IOException e) {
            throw new WeightsException("cannot open " + pytorchModelBin + ": " + e, e);
        }
        try {
            return read(pytorchModelBin, zip);
        } catch (IOException | RuntimeException e) {
            try {
                zip.close();
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            if (e instanceof WeightsException w) {
                throw w;
            }
            throw new WeightsException("cannot read " + pytorchModelBin + ": " + e, e);
        }
    }

    private static FileTensorSource read(Path file, ZipFile zip) throws IOException {
        String prefix = archivePrefix(file, zip);
        ZipEntry byteorder = zip.getEntry(prefix + "byteorder");
        if (byteorder != null) {
            String order = new String(readEntry(zip, byteorder, 16), StandardCharsets.US_ASCII).trim();
            if (!order.equals("little")) {
                throw new WeightsException(file + ": entry " + byteorder.getName() + " says '" + order
                        + "': expected 'little' (big-endian storages are not supported)");
            }
        }
        ZipEntry pkl = zip.getEntry(prefix + "data.pkl");
        Object root = PickleReader.read(file, file + "!" + pkl.getName(), readEntry(zip, pkl, MAX_PICKLE_BYTES));
        if (!(root instanceof Map<?, ?> dict)) {
            throw new WeightsException(file + ": pickle holds " + (root == null ? "None" : root.getClass().getSimpleName())
                    + ": expected a state dict (a dict of name to tensor)");
        }
        Map<String, TensorRef> tensors = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : dict.entrySet()) {
            if (e.getKey() instanceof String name && e.getValue() instanceof TensorRef t) {
                checkStorage(file, zip, prefix, name, t);
                tensors.put(name, t);
            } else {
                LOG.warn("{}: skipping state dict entry '{}' which is not a tensor", file, e.getKey());
            }
        }
        return new PickleTensorSource(file, zip, prefix, tensors);
    }

    /** @return the archive's top-level folder with a trailing slash, the one holding {@code data.pkl} */
    private static String archivePrefix(Path file, ZipFile zip) {
        List<String> found = new ArrayList<>();
        for (Enumeration<? extends ZipEntry> en = zip.entries(); en.hasMoreElements(); ) {
            String name = en.nextElement().getName();
            int slash = name.indexOf('/');
            if (slash > 0 && name.substring(slash + 1).equals("data.pkl")) {
                found.add(name.substring(0, slash + 1));
            }
        }
        if (found.size() != 1) {
            throw new WeightsException(file + ": expected exactly one '<folder>/data.pkl' entry as torch.save writes, found "
                    + found.size() + (found.isEmpty() ? "" : " " + found));
        }
        return found.get(0);
    }

    private static byte[] readEntry(ZipFile zip, ZipEntry entry, long maxBytes) throws IOException {
        if (entry.getSize() > maxBytes) {
            throw new WeightsException(zip.getName() + ": entry " + entry.getName() + " has " + entry.getSize()
                    + " bytes: expected at most " + maxBytes);
        }
        try (InputStream in = zip.getInputStream(entry)) {
            return in.readNBytes((int) maxBytes);
        }
    }

    private static void checkStorage(Path file, ZipFile zip, String prefix, String name, TensorRef t) {
        StorageRef s = t.storage();
        String where = file + ": tensor '" + name + "'";
        ZipEntry data = zip.getEntry(prefix + "data/" + s.key());
        if (data == null) {
            throw new WeightsException(where + ": its storage entry " + prefix + "data/" + s.key() + " is missing");
        }
        long expectedBytes = s.numel() * s.dtype().byteSize();
        if (data.getSize() >= 0 && data.getSize() != expectedBytes) {
            throw new WeightsException(where + ": storage " + data.getName() + " has " + data.getSize() + " bytes: expected "
                    + s.numel() + " " + s.dtype() + " elements = " + expectedBytes + " bytes");
        }
        if (numel(t.size()) > 0 && lastIndex(t) >= s.numel()) {
            throw new WeightsException(where + ": view (offset " + t.offset() + ", size " + Arrays.toString(t.size())
                    + ", stride " + Arrays.toString(t.stride()) + ") reaches element " + lastIndex(t)
                    + ": expected below the storage's " + s.numel() + " elements");
        }
    }

    private static long numel(long[] size) {
        long n = 1;
        for (long d : size) {
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    /** @return the storage index of the view's last element (for a non-empty view) */
    private static long lastIndex(TensorRef t) {
        long last = t.offset();
        for (int i = 0; i < t.size().length; i++) {
            last = Math.addExact(last, Math.multiplyExact(t.size()[i] - 1, t.stride()[i]));
        }
        return last;
    }

    /** The tensors of an open archive; storages are read from the zip when a tensor is requested. */
    private static final class PickleTensorSource extends FileTensorSource {
        private final ZipFile zip;
        private final String prefix;
        private final Map<String, TensorRef> tensors;

        PickleTensorSource(Path file, ZipFile zip, String prefix, Map<String, TensorRef> tensors) {
            super(file, tensors.entrySet().stream()
                    .map(e -> new TensorInfo(e.getKey(), e.getValue().storage().dtype(), e.getValue().size()))
                    .toList());
            this.zip = zip;
            this.prefix = prefix;
            this.tensors = Collections.unmodifiableMap(tensors);
        }

        @Override
        public float[] floats(String name) {
            TensorInfo info = info(name);
            TensorRef t = tensors.get(name);
            float[] out = new float[checkedLength(info)];
            if (out.length == 0) {
                return out;
            }
            long spanElements = lastIndex(t) - t.offset() + 1;
            int elementSize = info.dtype().byteSize();
            if (spanElements > (Integer.MAX_VALUE - 8) / elementSize) {
                throw new WeightsException(file + ": tensor '" + name + "' spans " + spanElements
                        + " storage elements, more than can be read at once");
            }
            float[] span = new float[(int) spanElements];
            ZipEntry entry = zip.getEntry(prefix + "data/" + t.storage().key());
            try (InputStream in = zip.getInputStream(entry)) {
                in.skipNBytes(t.offset() * elementSize);
                byte[] bytes = in.readNBytes(span.length * elementSize);
                if (bytes.length != span.length * elementSize) {
                    throw new WeightsException(file + ": tensor '" + name + "': storage " + entry.getName()
                            + " ended after " + bytes.length + " of " + span.length * elementSize + " bytes");
                }
                FloatDecoding.decode(info.dtype(), ByteBuffer.wrap(bytes), span, 0, span.length);
            } catch (IOException e) {
                throw new WeightsException(file + ": cannot read tensor '" + name + "' from " + entry.getName() + ": " + e, e);
            }
            if (span.length == out.length && isContiguous(t)) {
                return span;
            }
            gather(span, t.size(), t.stride(), out);
            return out;
        }

        /** A contiguous tensor's block is streamed from its storage entry; a strided view is read whole. */
        @Override
        public void floats(String name, long from, float[] dst, int dstOffset, int count) {
            TensorInfo info = info(name);
            TensorRef t = tensors.get(name);
            java.util.Objects.checkFromIndexSize(from, count, info.numel());
            java.util.Objects.checkFromIndexSize(dstOffset, count, dst.length);
            if (!isContiguous(t)) {
                System.arraycopy(floats(name), (int) from, dst, dstOffset, count);
                return;
            }
            int elementSize = info.dtype().byteSize();
            ZipEntry entry = zip.getEntry(prefix + "data/" + t.storage().key());
            byte[] chunk = new byte[Math.min(count, 1 << 18) * elementSize];
            try (InputStream in = zip.getInputStream(entry)) {
                in.skipNBytes((t.offset() + from) * elementSize);
                for (int done = 0; done < count; ) {
                    int n = Math.min(count - done, chunk.length / elementSize);
                    if (in.readNBytes(chunk, 0, n * elementSize) != n * elementSize) {
                        throw new WeightsException(file + ": tensor '" + name + "': storage " + entry.getName()
                                + " ended before element " + (from + done + n));
                    }
                    FloatDecoding.decode(info.dtype(), ByteBuffer.wrap(chunk, 0, n * elementSize), dst,
                            dstOffset + done, n);
                    done += n;
                }
            } catch (java.io.EOFException e) {
                throw new WeightsException(file + ": tensor '" + name + "': storage " + entry.getName()
                        + " is shorter than the tensor", e);
            } catch (IOException e) {
                throw new WeightsException(file + ": cannot read tensor '" + name + "' from " + entry.getName() + ": " + e, e);
            }
        }

        @Override
        public void close() {
            try {
                zip.close();
            } catch (IOException e) {
                throw new WeightsException("cannot close " + file + ": " + e, e);
            }
        }
    }

    private static boolean isContiguous(TensorRef t) {
        long expected = 1;
        for (int i = t.size().length - 1; i >= 0; i--) {
            if (t.size()[i] != 1 && t.stride()[i] != expected) {
                return false;
            }
            expected *= t.size()[i];
        }
        return true;
    }

    /** Copies the view of {@code span} (offset 0) given by size and stride into {@code out}, row-major. */
    private static void gather(float[] span, long[] size, long[] stride, float[] out) {
        int rank = size.length;
        long[] index = new long[rank];
        long src = 0;
        for (int i = 0; i < out.length; i++) {
            out[i] = span[(int) src];
            for (int d = rank - 1; d >= 0; d--) {
                index[d]++;
                src += stride[d];
                if (index[d] < size[d]) {
                    break;
                }
                src -= stride[d] * size[d];
                index[d] = 0;
            }
        }
    }
}
