package dev.steering.model.compact;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.Progress;
import dev.steering.weights.DType;
import dev.steering.weights.SafeTensors;
import dev.steering.weights.SafeTensorsFile;
import dev.steering.weights.TensorInfo;
import dev.steering.weights.TensorSource;
import dev.steering.weights.WeightsException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A safetensors file of quantized weights (docs/precision.md, "Saving quantized weights"): each quantized
 * checkpoint matrix {@code <name>} is stored as its {@link StorageType#INT8} / {@link StorageType#INT4} blocks,
 * {@code <name>.qweight} ({@code I8 [out, G·32]} for Q8_0, {@code U8 [out, G·16]} for Q4_0, two levels per byte)
 * and {@code <name>.scales} ({@code F16 [out, G]}), {@code G = ceil(in / 32)}; the other tensors are stored as
 * ordinary safetensors tensors. {@code __metadata__} names the scheme ({@value #SCHEME_KEY}), the format version
 * ({@value #VERSION_KEY}), the group size, and per quantized tensor its scheme and {@code [out, in]} shape
 * ({@value #TENSOR_KEY_PREFIX}{@code <name>}). The blocks are those of the {@code [out, in]} matrix the model
 * multiplies by: the checkpoint tensor itself, or its transpose for a {@code "transposed"} layout (GPT-2's
 * {@code Conv1D} weights, stored {@code [in, out]}).
 */
public final class QuantizedSafeTensors implements TensorSource {
    /** Metadata key of the format name, {@value #FORMAT}. */
    public static final String FORMAT_KEY = "steering.format";
    /** The format name. */
    public static final String FORMAT = "steering-quantized";
    /** Metadata key of the format version, {@value #VERSION}. */
    public static final String VERSION_KEY = "steering.format_version";
    /** The format version this class writes and reads. */
    public static final String VERSION = "1";
    /** Metadata key of the file's working scheme, {@code q8_0} or {@code q4_0}. */
    public static final String SCHEME_KEY = "steering.quantization";
    /** Metadata key of the group size, {@value StorageType#GROUP}. */
    public static final String GROUP_KEY = "steering.group_size";
    /** Prefix of the metadata key of each quantized tensor (a JSON object: scheme, out, in, layout). */
    public static final String TENSOR_KEY_PREFIX = "steering.tensor.";
    /** Suffix of a quantized tensor's quants. */
    public static final String QWEIGHT = ".qweight";
    /** Suffix of a quantized tensor's F16 scales. */
    public static final String SCALES = ".scales";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int GROUP = StorageType.GROUP;
    /** Values converted per write of a plain tensor. */
    private static final int CHUNK = 1 << 16;

    /**
     * A quantized matrix to save under checkpoint name {@code name}.
     *
     * @param name       the checkpoint tensor's name
     * @param type       INT8 or INT4
     * @param out        rows of the {@code [out, in]} matrix
     * @param in         its columns
     * @param transposed true if the checkpoint stores the tensor {@code [in, out]} (GPT-2's Conv1D)
     * @param matrix     supplies the {@code [out, in]} blocks when they are written (called twice: quants, scales)
     */
    public record Quantized(String name, StorageType type, int out, int in, boolean transposed,
                            java.util.function.Supplier<CompactMatrix> matrix) {
        /** Checks the type. */
        public Quantized {
            if (!type.grouped()) {
                throw new IllegalArgumentException(name + ": " + type + " is not quantized");
            }
        }
    }

    /** What the metadata says of one quantized tensor. */
    private record Stored(StorageType type, int out, int in, boolean transposed) {
    }

    private final SafeTensorsFile file;
    private final StorageType scheme;
    private final Map<String, Stored> quantized;
    private final Set<String> names;

    private QuantizedSafeTensors(SafeTensorsFile file, StorageType scheme, Map<String, Stored> quantized) {
        this.file = file;
        this.scheme = scheme;
        this.quantized = quantized;
        Set<String> n = new TreeSet<>();
        for (String name : file.names()) {
            if (!(name.endsWith(SCALES) && quantized.containsKey(name.substring(0, name.length() - SCALES.length())))) {
                n.add(name);
            }
        }
        n.addAll(quantized.keySet());
        this.names = Collections.unmodifiableSet(n);
    }

    /** The scheme name of a grouped type: {@code q8_0} or {@code q4_0}. */
    public static String schemeName(StorageType type) {
        return switch (type) {
            case INT8 -> "q8_0";
            case INT4 -> "q4_0";
            default -> throw new IllegalArgumentException(type + " is not a quantized type");
        };
    }

    private static StorageType parseScheme(String where, String value) {
        if ("q8_0".equals(value)) {
            return StorageType.INT8;
        } else if ("q4_0".equals(value)) {
            return StorageType.INT4;
        }
        throw new WeightsException(where + " = '" + value + "': expected q8_0 or q4_0");
    }

    /** True if the file's metadata says it is a quantized file of this format (of any version). */
    public static boolean isQuantized(TensorSource tensors) {
        return tensors instanceof SafeTensorsFile f && f.metadata().containsKey(FORMAT_KEY);
    }

    /**
     * Reads the quantized view of an open file ({@link #isQuantized}), validating its metadata and each quantized
     * tensor's blocks against the shape the metadata states. The file stays owned by the caller.
     *
     * @throws WeightsException naming the file (and tensor) if the format, version, scheme, group size or a
     *                          tensor's type or shape is not what this version writes
     */
    public static QuantizedSafeTensors of(SafeTensorsFile file) {
        Map<String, String> meta = file.metadata();
        Path path = file.path();
        expect(path, meta, FORMAT_KEY, FORMAT);
        expect(path, meta, VERSION_KEY, VERSION);
        expect(path, meta, GROUP_KEY, String.valueOf(GROUP));
        StorageType scheme = parseScheme(path + ": __metadata__ '" + SCHEME_KEY + "'", meta.get(SCHEME_KEY));
        Map<String, TensorInfo> stored = file.storedTensors();
        Map<String, Stored> quantized = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : meta.entrySet()) {
            if (e.getKey().startsWith(TENSOR_KEY_PREFIX)) {
                String name = e.getKey().substring(TENSOR_KEY_PREFIX.length());
                quantized.put(name, parseTensor(path, name, e.getValue(), stored));
            }
        }
        for (String name : stored.keySet()) {
            String base = name.endsWith(QWEIGHT) ? name.substring(0, name.length() - QWEIGHT.length())
                    : name.endsWith(SCALES) ? name.substring(0, name.length() - SCALES.length()) : null;
            if (base != null && !quantized.containsKey(base) && !stored.get(name).dtype().isFloat()) {
                throw new WeightsException(path + ": tensor '" + name + "' has no metadata entry '"
                        + TENSOR_KEY_PREFIX + base + "'");
            }
        }
        return new QuantizedSafeTensors(file, scheme, quantized);
    }

    private static void expect(Path file, Map<String, String> meta, String key, String value) {
        if (!value.equals(meta.get(key))) {
            throw new WeightsException(file + ": __metadata__ '" + key + "' = "
                    + (meta.containsKey(key) ? "'" + meta.get(key) + "'" : "nothing") + ": this version reads '"
                    + value + "'");
        }
    }

    private static Stored parseTensor(Path file, String name, String json, Map<String, TensorInfo> stored) {
        String where = file + ": tensor '" + name + "'";
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new WeightsException(where + ": metadata '" + TENSOR_KEY_PREFIX + name + "' is not JSON: "
                    + e.getOriginalMessage());
        }
        if (node == null || !node.path("scheme").isTextual() || !node.path("out").canConvertToInt()
                || !node.path("in").canConvertToInt() || !node.path("layout").isTextual()
                || node.path("out").intValue() <= 0 || node.path("in").intValue() <= 0) {
            throw new WeightsException(where + ": metadata '" + TENSOR_KEY_PREFIX + name + "' = " + json
                    + ": expected {\"scheme\": \"q8_0\"|\"q4_0\", \"out\": N, \"in\": K, \"layout\": "
                    + "\"linear\"|\"transposed\"}");
        }
        StorageType type = parseScheme(where + ": scheme", node.get("scheme").textValue());
        String layout = node.get("layout").textValue();
        if (!layout.equals("linear") && !layout.equals("transposed")) {
            throw new WeightsException(where + ": layout '" + layout + "': expected linear or transposed");
        }
        int out = node.get("out").intValue();
        int in = node.get("in").intValue();
        long groups = (in + GROUP - 1) / GROUP;
        checkTensor(file, stored, name + QWEIGHT, type == StorageType.INT8 ? DType.I8 : DType.U8,
                new long[]{out, groups * (type == StorageType.INT8 ? GROUP : GROUP / 2)});
        checkTensor(file, stored, name + SCALES, DType.F16, new long[]{out, groups});
        return new Stored(type, out, in, layout.equals("transposed"));
    }

    private static void checkTensor(Path file, Map<String, TensorInfo> stored, String name, DType dtype,
                                    long[] shape) {
        TensorInfo t = stored.get(name);
        if (t == null || t.dtype() != dtype || !Arrays.equals(t.shape(), shape)) {
            throw new WeightsException(file + ": tensor '" + name + "': expected " + dtype + Arrays.toString(shape)
                    + ", found " + (t == null ? "no such tensor" : t.dtype() + Arrays.toString(t.shape())));
        }
    }

    /** The file's working type: {@link StorageType#INT8} (q8_0) or {@link StorageType#INT4} (q4_0). */
    public StorageType scheme() {
        return scheme;
    }

    /** The file. */
    public Path path() {
        return file.path();
    }

    /** True if checkpoint tensor {@code name} is stored quantized. */
    public boolean isQuantized(String name) {
        return quantized.containsKey(name);
    }

    /** True if quantized tensor {@code name} is stored as the transpose of its checkpoint layout. */
    public boolean isTransposed(String name) {
        return stored(name).transposed();
    }

    private Stored stored(String name) {
        Stored s = quantized.get(name);
        if (s == null) {
            throw new WeightsException(file.path() + ": tensor '" + name + "' is not stored quantized");
        }
        return s;
    }

    /**
     * The stored blocks of quantized tensor {@code name} as a matrix {@code [out, in]}, read onto the heap (not
     * re-quantized: the very blocks that were saved).
     *
     * @throws WeightsException naming the file and tensor if it is not quantized or cannot be read
     */
    public CompactMatrix matrix(String name) {
        Stored s = stored(name);
        int groups = (s.in() + GROUP - 1) / GROUP;
        byte[] quants = new byte[Math.multiplyExact(Math.multiplyExact(s.out(), groups),
                s.type() == StorageType.INT8 ? GROUP : GROUP / 2)];
        file.bytes(name + QWEIGHT, 0, ByteBuffer.wrap(quants));
        ByteBuffer scaleBytes = ByteBuffer.allocate(2 * s.out() * groups).order(ByteOrder.LITTLE_ENDIAN);
        file.bytes(name + SCALES, 0, scaleBytes);
        short[] scales = new short[s.out() * groups];
        scaleBytes.flip().asShortBuffer().get(scales);
        return CompactMatrix.ofBlocks(file.path() + ": " + name, s.type(), s.out(), s.in(), quants, scales);
    }

    @Override
    public Set<String> names() {
        return names;
    }

    /**
     * The stored tensor, or for a quantized one its checkpoint shape ({@code [out, in]}, or {@code [in, out]} if
     * transposed) with type F32 (what it stands for).
     */
    @Override
    public TensorInfo info(String name) {
        Stored s = quantized.get(name);
        if (s == null) {
            if (!names.contains(name)) {
                throw new WeightsException("no tensor '" + name + "' in " + file.path());
            }
            return file.info(name);
        }
        return new TensorInfo(name, DType.F32, s.transposed() ? new long[]{s.in(), s.out()}
                : new long[]{s.out(), s.in()});
    }

    @Override
    public float[] floats(String name) {
        requirePlain(name);
        return file.floats(name);
    }

    @Override
    public void floats(String name, long from, float[] dst, int dstOffset, int count) {
        requirePlain(name);
        file.floats(name, from, dst, dstOffset, count);
    }

    private void requirePlain(String name) {
        if (quantized.containsKey(name)) {
            Stored s = quantized.get(name);
            throw new WeightsException(file.path() + ": tensor '" + name + "' is stored quantized ("
                    + schemeName(s.type()) + "): it loads only as a " + s.type() + " matrix");
        }
        info(name);
    }

    /** Does nothing: the file stays open until its owner closes it. */
    @Override
    public void close() {
    }

    /**
     * Writes a quantized checkpoint file, atomically ({@link SafeTensors#write(Path, List, Map)}): the quantized
     * matrices as blocks, the 16-bit matrices {@code halves} names converted to that type (embedding tables kept
     * 16-bit), and every other floating tensor of {@code source} as stored (F64 as F32).
     *
     * @param file      the target file
     * @param source    the checkpoint's tensors (read for everything that is not quantized)
     * @param quantized the quantized matrices, by checkpoint name
     * @param halves    checkpoint names of the matrices to store as {@link StorageType#BF16} or
     *                  {@link StorageType#F16}
     * @param scheme    the working type, INT8 or INT4
     * @throws WeightsException if the file cannot be written
     */
    public static void write(Path file, TensorSource source, List<Quantized> quantized,
                             Map<String, StorageType> halves, StorageType scheme) {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(FORMAT_KEY, FORMAT);
        meta.put(VERSION_KEY, VERSION);
        meta.put(SCHEME_KEY, schemeName(scheme));
        meta.put(GROUP_KEY, String.valueOf(GROUP));
        Map<String, Quantized> byName = new LinkedHashMap<>();
        for (Quantized q : quantized) {
            byName.put(q.name(), q);
        }
        List<SafeTensors.Tensor> tensors = new ArrayList<>();
        Progress.Task progress = Progress.logging(5000).start("writing " + file + " (parameters)",
                source.elementCount());
        for (String name : source.names()) {
            Quantized q = byName.get(name);
            if (q != null) {
                addQuantized(tensors, meta, q, progress);
            } else {
                TensorInfo info = source.info(name);
                StorageType half = halves.get(name);
                DType dtype = half == StorageType.BF16 ? DType.BF16 : half == StorageType.F16 ? DType.F16
                        : info.dtype() == DType.F64 ? DType.F32 : info.dtype();
                tensors.add(new SafeTensors.Tensor(name, dtype, info.shape(), out -> {
                    writeFloats(source, info, dtype, out);
                    progress.step(info.numel());
                }));
            }
        }
        SafeTensors.write(file, tensors, meta);
        progress.close();
    }

    private static void addQuantized(List<SafeTensors.Tensor> tensors, Map<String, String> meta, Quantized q,
                                     Progress.Task progress) {
        ObjectNode node = JSON.createObjectNode();
        node.put("scheme", schemeName(q.type()));
        node.put("out", q.out());
        node.put("in", q.in());
        node.put("layout", q.transposed() ? "transposed" : "linear");
        meta.put(TENSOR_KEY_PREFIX + q.name(), node.toString());
        int groups = (q.in() + GROUP - 1) / GROUP;
        tensors.add(new SafeTensors.Tensor(q.name() + QWEIGHT, q.type() == StorageType.INT8 ? DType.I8 : DType.U8,
                new long[]{q.out(), (long) groups * (q.type() == StorageType.INT8 ? GROUP : GROUP / 2)},
                out -> out.write(ByteBuffer.wrap(blocks(q).storedQuants()))));
        tensors.add(new SafeTensors.Tensor(q.name() + SCALES, DType.F16, new long[]{q.out(), groups}, out -> {
            short[] scales = blocks(q).storedScales();
            ByteBuffer b = ByteBuffer.allocate(2 * scales.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asShortBuffer().put(scales);
            out.write(b);
            progress.step((long) q.out() * q.in());
        }));
    }

    /** The supplied matrix, checked against what the header says of it. */
    private static CompactMatrix blocks(Quantized q) {
        CompactMatrix m = q.matrix().get();
        if (m.type() != q.type() || m.outFeatures() != q.out() || m.inFeatures() != q.in() || m.quants == null) {
            throw new IllegalArgumentException(q.name() + ": supplied " + m + ", expected " + q.type() + " ["
                    + q.out() + ", " + q.in() + "]");
        }
        return m;
    }

    /** Writes a tensor's values converted to {@code dtype} (F32, F16 or BF16; exact for its own stored type). */
    private static void writeFloats(TensorSource source, TensorInfo info, DType dtype, SafeTensors.ByteSink out)
            throws java.io.IOException {
        long n = info.numel();
        float[] values = new float[(int) Math.min(CHUNK, n)];
        ByteBuffer bytes = ByteBuffer.allocate(values.length * dtype.byteSize()).order(ByteOrder.LITTLE_ENDIAN);
        for (long at = 0; at < n; at += values.length) {
            int count = (int) Math.min(values.length, n - at);
            source.floats(info.name(), at, values, 0, count);
            bytes.clear();
            for (int i = 0; i < count; i++) {
                switch (dtype) {
                    case F32 -> bytes.putFloat(values[i]);
                    case F16 -> bytes.putShort(HalfFloats.floatToHalf(values[i]));
                    case BF16 -> bytes.putShort(HalfFloats.floatToBf16(values[i]));
                    default -> throw new IllegalArgumentException(info + ": cannot write as " + dtype);
                }
            }
            out.write(bytes.flip());
        }
    }
}
