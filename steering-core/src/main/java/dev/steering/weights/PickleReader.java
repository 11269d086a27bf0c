package dev.steering.weights;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A restricted pickle interpreter for PyTorch state dicts. It never executes anything: it knows only
 * the opcodes a state dict uses and only the globals listed in {@link #CALLABLES} and
 * {@link #STORAGE_TYPES}, whose effect it reproduces itself. Any other global or opcode is refused.
 */
final class PickleReader {
    private static final Logger LOG = LoggerFactory.getLogger(PickleReader.class);

    /** torch storage classes, by {@code "module name"}, with their element type. */
    static final Map<String, DType> STORAGE_TYPES = Map.ofEntries(
            Map.entry("torch DoubleStorage", DType.F64),
            Map.entry("torch FloatStorage", DType.F32),
            Map.entry("torch HalfStorage", DType.F16),
            Map.entry("torch BFloat16Storage", DType.BF16),
            Map.entry("torch LongStorage", DType.I64),
            Map.entry("torch IntStorage", DType.I32),
            Map.entry("torch ShortStorage", DType.I16),
            Map.entry("torch CharStorage", DType.I8),
            Map.entry("torch ByteStorage", DType.U8),
            Map.entry("torch BoolStorage", DType.BOOL));

    private static final String ORDERED_DICT = "collections OrderedDict";
    private static final String REBUILD_TENSOR = "torch._utils _rebuild_tensor_v2";
    private static final String REBUILD_PARAMETER = "torch._utils _rebuild_parameter";
    /** The callables a state dict needs, by {@code "module name"}. */
    static final Set<String> CALLABLES = Set.of(ORDERED_DICT, REBUILD_TENSOR, REBUILD_PARAMETER);

    /** A global reference {@code module.name}; only allowed ones are ever created. */
    record Global(String qualified) {
    }

    /** A tuple; distinct from a list, which is an {@link ArrayList}. */
    record Tuple(List<Object> items) {
    }

    /** Persistent id of a storage: the archive entry {@code data/<key>} holding {@code numel} elements. */
    record StorageRef(String key, DType dtype, long numel) {
    }

    /** A tensor view of a storage, with offset and strides in elements. */
    record TensorRef(StorageRef storage, long offset, long[] size, long[] stride) {
    }

    private final String source;
    private final Path file;
    private final ByteBuffer in;
    private final List<Object> stack = new ArrayList<>();
    private final Deque<Integer> marks = new ArrayDeque<>();
    private final Map<Long, Object> memo = new HashMap<>();
    private int opOffset;

    private PickleReader(Path file, String source, byte[] pickle) {
        this.file = file;
        this.source = source;
        this.in = ByteBuffer.wrap(pickle).order(ByteOrder.LITTLE_ENDIAN);
    }

    /**
     * Interprets a pickle.
     *
     * @param file the checkpoint file, for messages
     * @param source where the pickle comes from (file and archive entry), for messages
     * @param pickle the pickle bytes
     * @return the unpickled object: maps are {@link LinkedHashMap}, lists {@link ArrayList}, integers
     *     {@link Long}, plus the records of this class
     * @throws WeightsException on a disallowed global, an unsupported opcode or a malformed pickle
     */
    static Object read(Path file, String source, byte[] pickle) {
        PickleReader r = new PickleReader(file, source, pickle);
        try {
            return r.run();
        } catch (BufferUnderflowException e) {
            throw new WeightsException(source + ": truncated pickle: opcode at offset " + r.opOffset
                    + " needs more bytes than the " + pickle.length + " there are", e);
        }
    }

    private Object run() {
        while (true) {
            opOffset = in.position();
            int op = in.get() & 0xff;
            switch (op) {
                case 0x80 -> { // PROTO
                    int version = u8();
                    if (version > 5) {
                        throw fail("unsupported pickle protocol " + version + ": expected at most 5");
                    }
                }
                case 0x95 -> in.getLong(); // FRAME: length of the next frame; frames need no handling
                case '.' -> { // STOP
                    return pop();
                }
                case '}' -> push(new LinkedHashMap<>()); // EMPTY_DICT
                case ']' -> push(new ArrayList<>()); // EMPTY_LIST
                case ')' -> push(new Tuple(List.of())); // EMPTY_TUPLE
                case '(' -> marks.push(stack.size()); // MARK
                case 't' -> push(new Tuple(popToMark())); // TUPLE
                case 0x85 -> push(tupleOf(1)); // TUPLE1
                case 0x86 -> push(tupleOf(2)); // TUPLE2
                case 0x87 -> push(tupleOf(3)); // TUPLE3
                case 's' -> { // SETITEM
                    Object value = pop();
                    Object key = pop();
                    dictOnTop().put(key, value);
                }
                case 'u' -> { // SETITEMS
                    List<Object> items = popToMark();
                    if (items.size() % 2 != 0) {
                        throw fail("SETITEMS with an odd number (" + items.size() + ") of keys and values");
                    }
                    Map<Object, Object> dict = dictOnTop();
                    for (int i = 0; i < items.size(); i += 2) {
                        dict.put(items.get(i), items.get(i + 1));
                    }
                }
                case 'a' -> { // APPEND
                    Object value = pop();
                    listOnTop().add(value);
                }
                case 'e' -> { // APPENDS
                    List<Object> items = popToMark();
                    listOnTop().addAll(items);
                }
                case 'J' -> push((long) in.getInt()); // BININT
                case 'K' -> push((long) u8()); // BININT1
                case 'M' -> push((long) (in.getShort() & 0xffff)); // BININT2
                case 0x8a -> push(long1()); // LONG1
                case 'X' -> push(string(in.getInt() & 0xffffffffL)); // BINUNICODE
                case 0x8c -> push(string(u8())); // SHORT_BINUNICODE
                case 0x8d -> push(string(in.getLong())); // BINUNICODE8
                case 'G' -> push(Double.longBitsToDouble(Long.reverseBytes(in.getLong()))); // BINFLOAT (big-endian)
                case 0x88 -> push(Boolean.TRUE); // NEWTRUE
                case 0x89 -> push(Boolean.FALSE); // NEWFALSE
                case 'N' -> push(null); // NONE
                case 'q' -> memo.put((long) u8(), peek()); // BINPUT
                case 'r' -> memo.put(in.getInt() & 0xffffffffL, peek()); // LONG_BINPUT
                case 0x94 -> memo.put((long) memo.size(), peek()); // MEMOIZE
                case 'h' -> push(memoGet(u8())); // BINGET
                case 'j' -> push(memoGet(in.getInt() & 0xffffffffL)); // LONG_BINGET
                case 'c' -> push(global(line(), line())); // GLOBAL
                case 0x93 -> { // STACK_GLOBAL
                    String name = popAs(String.class, "STACK_GLOBAL name");
                    String module = popAs(String.class, "STACK_GLOBAL module");
                    push(global(module, name));
                }
                case 'R' -> { // REDUCE
                    Tuple args = popAs(Tuple.class, "REDUCE arguments");
                    Global callable = popAs(Global.class, "REDUCE callable");
                    push(call(callable, args.items()));
                }
                case 'b' -> build(); // BUILD
                case 'Q' -> push(storage(popAs(Tuple.class, "persistent id"))); // BINPERSID
                default -> throw fail(String.format(Locale.ROOT,
                        "unsupported pickle opcode 0x%02x%s: a state dict never needs it", op,
                        op >= 0x20 && op < 0x7f ? " ('" + (char) op + "')" : ""));
            }
        }
    }

    private WeightsException fail(String message) {
        return new WeightsException(source + " at offset " + opOffset + ": " + message);
    }

    private Global global(String module, String name) {
        String qualified = module + " " + name;
        if (!CALLABLES.contains(qualified) && !STORAGE_TYPES.containsKey(qualified)) {
            throw new WeightsException("refusing to load " + file + ": pickle references global '" + qualified
                    + "' which a state dict never needs");
        }
        return new Global(qualified);
    }

    private Object call(Global callable, List<Object> args) {
        switch (callable.qualified()) {
            case ORDERED_DICT -> {
                if (!args.isEmpty()) {
                    throw fail("OrderedDict called with " + args.size() + " arguments: expected none");
                }
                return new LinkedHashMap<>();
            }
            case REBUILD_TENSOR -> {
                if (args.size() != 6 && args.size() != 7) {
                    throw fail("_rebuild_tensor_v2 called with " + args.size() + " arguments: expected 6 or 7");
                }
                StorageRef storage = as(args.get(0), StorageRef.class, "_rebuild_tensor_v2 storage");
                long offset = as(args.get(1), Long.class, "_rebuild_tensor_v2 storage_offset");
                long[] size = longs(as(args.get(2), Tuple.class, "_rebuild_tensor_v2 size"), "size");
                long[] stride = longs(as(args.get(3), Tuple.class, "_rebuild_tensor_v2 stride"), "stride");
                if (size.length != stride.length) {
                    throw fail("_rebuild_tensor_v2 with " + size.length + " sizes but " + stride.length + " strides");
                }
                return new TensorRef(storage, offset, size, stride);
            }
            case REBUILD_PARAMETER -> {
                if (args.size() != 3) {
                    throw fail("_rebuild_parameter called with " + args.size() + " arguments: expected 3");
                }
                return as(args.get(0), TensorRef.class, "_rebuild_parameter data");
            }
            default -> throw fail("'" + callable.qualified() + "' is not callable in a state dict");
        }
    }

    private void build() {
        Object state = pop();
        Object target = peek();
        if (!(target instanceof Map) && !(target instanceof TensorRef)) {
            throw fail("BUILD on " + typeName(target) + ": expected a dict or tensor");
        }
        LOG.debug("{}: ignoring BUILD state {} of {}", source, typeName(state), typeName(target));
    }

    private StorageRef storage(Tuple pid) {
        List<Object> p = pid.items();
        if (p.size() != 5 || !"storage".equals(p.get(0))) {
            throw fail("persistent id " + p + ": expected ('storage', type, key, location, numel)");
        }
        Global type = as(p.get(1), Global.class, "storage type");
        DType dtype = STORAGE_TYPES.get(type.qualified());
        if (dtype == null) {
            throw fail("'" + type.qualified() + "' is not a storage type");
        }
        String key = as(p.get(2), String.class, "storage key");
        long numel = as(p.get(4), Long.class, "storage numel");
        return new StorageRef(key, dtype, numel);
    }

    private long[] longs(Tuple t, String what) {
        long[] out = new long[t.items().size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = as(t.items().get(i), Long.class, "_rebuild_tensor_v2 " + what);
            if (out[i] < 0) {
                throw fail("_rebuild_tensor_v2 " + what + " " + t.items() + ": expected non-negative integers");
            }
        }
        return out;
    }

    private long long1() {
        int n = u8();
        if (n > 8) {
            throw fail("LONG1 of " + n + " bytes: expected at most 8");
        }
        long v = 0;
        for (int i = 0; i < n; i++) {
            v |= (long) u8() << (8 * i);
        }
        if (n > 0 && n < 8 && (v >>> (8 * n - 1) & 1) == 1) {
            v |= -1L << (8 * n); // sign-extend
        }
        return v;
    }

    private String string(long length) {
        if (length < 0 || length > in.remaining()) {
            throw fail("string of " + length + " bytes: only " + in.remaining() + " bytes remain");
        }
        byte[] b = new byte[(int) length];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private String line() {
        int start = in.position();
        while (in.get() != '\n') {
            if (in.position() - start > 256) {
                throw fail("GLOBAL name longer than 256 bytes");
            }
        }
        return new String(in.array(), start, in.position() - 1 - start, StandardCharsets.UTF_8);
    }

    private int u8() {
        return in.get() & 0xff;
    }

    private Object memoGet(long index) {
        if (!memo.containsKey(index)) {
            throw fail("memo index " + index + " was never stored");
        }
        return memo.get(index);
    }

    private void push(Object o) {
        stack.add(o);
    }

    private Object peek() {
        if (stack.isEmpty() || (!marks.isEmpty() && marks.peek() == stack.size())) {
            throw fail("stack is empty");
        }
        return stack.get(stack.size() - 1);
    }

    private Object pop() {
        Object o = peek();
        stack.remove(stack.size() - 1);
        return o;
    }

    private <T> T popAs(Class<T> type, String what) {
        return as(pop(), type, what);
    }

    private <T> T as(Object o, Class<T> type, String what) {
        if (!type.isInstance(o)) {
            throw fail(what + ": expected " + type.getSimpleName() + ", found " + typeName(o));
        }
        return type.cast(o);
    }

    private Tuple tupleOf(int n) {
        if (stack.size() - (marks.isEmpty() ? 0 : marks.peek()) < n) {
            throw fail("TUPLE" + n + " needs " + n + " items on the stack");
        }
        List<Object> top = stack.subList(stack.size() - n, stack.size());
        Tuple t = new Tuple(new ArrayList<>(top));
        top.clear();
        return t;
    }

    private List<Object> popToMark() {
        if (marks.isEmpty()) {
            throw fail("no MARK on the stack");
        }
        List<Object> top = stack.subList(marks.pop(), stack.size());
        List<Object> items = new ArrayList<>(top);
        top.clear();
        return items;
    }

    @SuppressWarnings("unchecked")
    private Map<Object, Object> dictOnTop() {
        return as(peek(), Map.class, "dict to set items in");
    }

    @SuppressWarnings("unchecked")
    private List<Object> listOnTop() {
        return as(peek(), ArrayList.class, "list to append to");
    }

    private static String typeName(Object o) {
        return o == null ? "None" : o.getClass().getSimpleName();
    }
}
