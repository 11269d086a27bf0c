package dev.steering.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TorchPickleTest {
    private static final Path PWNED = Path.of("/tmp/steering-pwned");

    @TempDir
    Path tmp;

    @Test
    void pickleCheckpointEqualsSafetensorsBitForBit() {
        try (TensorSource bin = TorchPickle.open(Fixtures.dir("gpt-neox-tiny-bin").resolve("pytorch_model.bin"));
             SafeTensorsFile st = SafeTensors.open(Fixtures.dir("gpt-neox-tiny").resolve("model.safetensors"))) {
            assertEquals(st.names(), bin.names());
            assertFalse(bin.contains("gpt_neox.layers.0.attention.bias"), "BOOL buffer skipped");
            assertEquals(DType.F16, bin.info("gpt_neox.embed_in.weight").dtype());
            assertEquals(DType.F32, bin.info("gpt_neox.layers.0.attention.masked_bias").dtype());
            int compared = 0;
            for (String name : st.names()) {
                assertEquals(st.info(name), bin.info(name), name);
                float[] a = st.floats(name);
                float[] b = bin.floats(name);
                assertEquals(a.length, b.length, name);
                for (int i = 0; i < a.length; i++) {
                    if (Float.floatToRawIntBits(a[i]) != Float.floatToRawIntBits(b[i])) {
                        throw new AssertionError(name + "[" + i + "]: " + a[i] + " vs " + b[i]);
                    }
                }
                int from = a.length / 3;                // a block of rows, as a compact load reads it
                float[] blockA = new float[a.length - from + 2];
                float[] blockB = new float[a.length - from + 2];
                st.floats(name, from, blockA, 2, a.length - from);
                bin.floats(name, from, blockB, 2, a.length - from);
                assertArrayEquals(java.util.Arrays.copyOfRange(a, from, a.length),
                        java.util.Arrays.copyOfRange(blockA, 2, blockA.length), name);
                assertArrayEquals(blockA, blockB, name);
                compared++;
            }
            assertTrue(compared > 40, "compared " + compared);
            assertEquals(st.array("embed_out.weight"), bin.array("embed_out.weight"));
        }
    }

    @Test
    void hostilePickleIsRefusedAndNothingRuns() throws IOException {
        Files.deleteIfExists(PWNED);
        Path bin = Fixtures.dir("hostile-bin").resolve("pytorch_model.bin");
        WeightsException e = assertThrows(WeightsException.class, () -> TorchPickle.open(bin));
        assertTrue(e.getMessage().contains("refusing to load " + bin), e.getMessage());
        assertTrue(e.getMessage().contains("global 'posix system'"), e.getMessage());
        try (Checkpoint c = Checkpoint.open(Fixtures.dir("hostile-bin"))) {
            assertThrows(WeightsException.class, c::tensors);
        }
        assertFalse(Files.exists(PWNED), "nothing was executed");
    }

    @Test
    void stackGlobalOfAnUnknownCallableIsRefused() throws IOException {
        byte[] pickle = new PickleBytes().op(0x80, 2).op('}').str("builtins").str("eval").op(0x93).bytes();
        Path file = tmp.resolve("eval.bin");
        PickleBytes.zip(file, pickle, Map.of());
        WeightsException e = assertThrows(WeightsException.class, () -> TorchPickle.open(file));
        assertTrue(e.getMessage().contains("global 'builtins eval' which a state dict never needs"), e.getMessage());
    }

    @Test
    void unknownOpcodeIsNamedWithItsOffset() throws IOException {
        // 'i' is INST, which would call an arbitrary class
        byte[] pickle = new PickleBytes().op(0x80, 2).op('}').op('i').bytes();
        Path file = tmp.resolve("inst.bin");
        PickleBytes.zip(file, pickle, Map.of());
        WeightsException e = assertThrows(WeightsException.class, () -> TorchPickle.open(file));
        assertTrue(e.getMessage().contains("opcode 0x69 ('i')") && e.getMessage().contains("offset 3"), e.getMessage());
        assertTrue(e.getMessage().contains("archive/data.pkl"), e.getMessage());
    }

    private static byte[] floats(float... v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float x : v) {
            b.putFloat(x);
        }
        return b.array();
    }

    /**
     * {@code OrderedDict(t = view of storage 0 at offset 2 with size (2,3), stride (1,2);
     * p = Parameter(half tensor); mask = bool tensor)} plus a BUILD of the dict's state.
     */
    private static byte[] viewsPickle() {
        PickleBytes p = new PickleBytes().op(0x80, 4).op(0x95, 0, 0, 0, 0, 0, 0, 0, 0);
        p.global("collections", "OrderedDict").op(')', 'R', 0x94).op('(');
        p.str("t").tensor("FloatStorage", "0", 12, 2, new int[] {2, 3}, new int[] {1, 2});
        p.str("p").global("torch._utils", "_rebuild_parameter").op('(')
                .tensor("HalfStorage", "1", 2, 0, new int[] {2}, new int[] {1}).op(0x88, 'N', 't', 'R');
        p.str("mask").tensor("BoolStorage", "2", 2, 0, new int[] {2}, new int[] {1});
        p.op('u');
        p.op('}').str("_metadata").op('}', 's', 'b'); // BUILD with the dict's state
        return p.op('.').bytes();
    }

    @Test
    void stridedViewsOffsetsParametersAndSkippedBuffers() throws IOException {
        Path file = tmp.resolve("views.bin");
        Map<String, byte[]> data = new LinkedHashMap<>();
        data.put("0", floats(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
        data.put("1", new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0}); // half 1.0, -2.0
        data.put("2", new byte[] {1, 0});
        PickleBytes.zip(file, viewsPickle(), data);
        try (TensorSource s = TorchPickle.open(file)) {
            assertEquals(Set.of("p", "t"), s.names());
            assertArrayEquals(new long[] {2, 3}, s.info("t").shape());
            // element [i][j] = storage[2 + i + 2j]
            assertArrayEquals(new float[] {2, 4, 6, 3, 5, 7}, s.floats("t"));
            float[] block = new float[3];
            s.floats("t", 2, block, 0, 3);                 // a strided view: read whole, then the block
            assertArrayEquals(new float[] {6, 3, 5}, block);
            assertEquals(5f, s.array("t").getFloat(1, 1));
            assertArrayEquals(new float[] {1, -2}, s.floats("p"));
            assertEquals(DType.F16, s.info("p").dtype());
            WeightsException e = assertThrows(WeightsException.class, () -> s.floats("mask"));
            assertTrue(e.getMessage().contains("no tensor 'mask' in " + file), e.getMessage());
        }
    }

    @Test
    void viewOutsideItsStorageIsRejected() throws IOException {
        Path file = tmp.resolve("outside.bin");
        byte[] pickle = new PickleBytes().op(0x80, 2).op('}').str("t")
                .tensor("FloatStorage", "0", 4, 1, new int[] {2, 2}, new int[] {2, 1}).op('s', '.').bytes();
        PickleBytes.zip(file, pickle, Map.of("0", floats(0, 1, 2, 3)));
        WeightsException e = assertThrows(WeightsException.class, () -> TorchPickle.open(file));
        assertTrue(e.getMessage().contains("tensor 't'") && e.getMessage().contains("reaches element 4")
                && e.getMessage().contains("4 elements"), e.getMessage());

        Path missing = tmp.resolve("missing.bin");
        PickleBytes.zip(missing, pickle, Map.of());
        e = assertThrows(WeightsException.class, () -> TorchPickle.open(missing));
        assertTrue(e.getMessage().contains("archive/data/0 is missing"), e.getMessage());

        Path wrongSize = tmp.resolve("size.bin");
        PickleBytes.zip(wrongSize, pickle, Map.of("0", floats(0, 1, 2)));
        e = assertThrows(WeightsException.class, () -> TorchPickle.open(wrongSize));
        assertTrue(e.getMessage().contains("has 12 bytes: expected 4 F32 elements = 16 bytes"), e.getMessage());
    }

    @Test
    void notAZipIsRejected() throws IOException {
        Path file = Files.write(tmp.resolve("legacy.bin"), new byte[] {(byte) 0x80, 2, '}', '.'});
        WeightsException e = assertThrows(WeightsException.class, () -> TorchPickle.open(file));
        assertTrue(e.getMessage().contains("not a zip archive") && e.getMessage().contains(file.toString()), e.getMessage());
    }
}
