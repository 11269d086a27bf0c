package dev.steering.weights;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.fuzz.JsonMutator;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Bounded, seeded fuzzing of the checkpoint readers: every mutated safetensors file (header values, header bytes,
 * truncation) and torch pickle either opens and reads consistently or fails with a {@link WeightsException} naming
 * the file; never another exception or a hang.
 */
@Timeout(60)
class WeightsFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int MUTATIONS = 300;

    @TempDir
    Path tmp;

    /** Opens the file and reads every tensor: the outcome is a load or a WeightsException naming the file. */
    private static boolean readsOrFailsNamingTheFile(Path file, java.util.function.Function<Path, TensorSource> open) {
        try (TensorSource s = open.apply(file)) {
            for (String name : s.names()) {
                float[] v = s.floats(name);
                if (v.length != s.info(name).numel()) {
                    fail(file + ": tensor " + name + " read " + v.length + " values for " + s.info(name));
                }
            }
            return true;
        } catch (WeightsException e) {
            assertTrue(e.getMessage().contains(file.toString()), "names the file: " + e.getMessage());
            return false;
        } catch (RuntimeException | OutOfMemoryError e) {
            fail(file + " gave " + e, e);
            return false;
        }
    }

    @Test
    void mutatedSafetensorsOpenOrFailNamingTheFile() throws IOException {
        Path valid = tmp.resolve("valid.safetensors");
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        tensors.put("a.weight", Nd4j.arange(12).castTo(DataType.FLOAT).reshape(3, 4));
        tensors.put("b.bias", Nd4j.ones(DataType.FLOAT, 5));
        tensors.put("c.scalar", Nd4j.scalar(2f));
        SafeTensors.write(valid, tensors, Map.of("format", "pt"));
        byte[] bytes = Files.readAllBytes(valid);
        int headerLength = (int) ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong();
        JsonNode header = JSON.readTree(new String(bytes, 8, headerLength, StandardCharsets.UTF_8));
        byte[] data = Arrays.copyOfRange(bytes, 8 + headerLength, bytes.length);
        JsonMutator mutator = new JsonMutator(2);
        SplittableRandom rng = new SplittableRandom(2);
        int loaded = 0;
        int rejected = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] mutated = switch (i % 3) {
                case 0 -> file(JSON.writeValueAsBytes(mutator.mutate(header)), data, 0);
                case 1 -> { // bytes of the header or its length
                    byte[] b = bytes.clone();
                    for (int k = 0; k <= rng.nextInt(3); k++) {
                        b[rng.nextInt(8 + headerLength)] = (byte) rng.nextInt(256);
                    }
                    yield b;
                }
                default -> { // truncated, extended, or the declared length off by a few bytes
                    yield rng.nextBoolean() ? Arrays.copyOf(bytes, rng.nextInt(bytes.length + 16))
                            : file(Arrays.copyOfRange(bytes, 8, 8 + headerLength), data, rng.nextInt(-9, 10));
                }
            };
            Path f = Files.write(tmp.resolve("m" + i + ".safetensors"), mutated);
            if (readsOrFailsNamingTheFile(f, SafeTensors::open)) {
                loaded++;
            } else {
                rejected++;
            }
        }
        assertTrue(loaded > 0 && rejected > 0, "loaded " + loaded + ", rejected " + rejected);
    }

    /** A safetensors file of this header and data, declaring the header {@code lengthError} bytes longer than it is. */
    private static byte[] file(byte[] header, byte[] data, int lengthError) {
        ByteBuffer b = ByteBuffer.allocate(8 + header.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(header.length + lengthError).put(header).put(data);
        return b.array();
    }

    @Test
    void mutatedPicklesOpenOrFailNamingTheFile() throws IOException {
        PickleBytes p = new PickleBytes().op(0x80, 2);
        p.global("collections", "OrderedDict").op(')', 'R', '(');
        p.str("t").tensor("FloatStorage", "0", 12, 2, new int[] {2, 3}, new int[] {1, 2});
        p.str("h").tensor("HalfStorage", "1", 2, 0, new int[] {2}, new int[] {1});
        p.op('u', '.');
        byte[] pickle = p.bytes();
        Map<String, byte[]> data = new LinkedHashMap<>();
        ByteBuffer floats = ByteBuffer.allocate(48).order(ByteOrder.LITTLE_ENDIAN);
        for (int k = 0; k < 12; k++) {
            floats.putFloat(k);
        }
        data.put("0", floats.array());
        data.put("1", new byte[] {0x00, 0x3c, 0x00, (byte) 0xc0});
        Path valid = tmp.resolve("valid.bin");
        PickleBytes.zip(valid, pickle, data);
        assertTrue(readsOrFailsNamingTheFile(valid, TorchPickle::open), "the unmutated pickle loads");
        SplittableRandom rng = new SplittableRandom(3);
        int loaded = 0;
        int rejected = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] m = pickle.clone();
            switch (i % 3) {
                case 0 -> { // a random byte, or the argument of a BININT1 (sizes, strides, offsets, numels)
                    int at = rng.nextInt(m.length);
                    if (rng.nextBoolean()) {
                        while (at < m.length - 1 && m[at] != 'K') {
                            at++;
                        }
                        at = Math.min(at + 1, m.length - 1);
                    }
                    m[at] = (byte) rng.nextInt(256);
                }
                case 1 -> m = Arrays.copyOf(m, rng.nextInt(m.length));
                default -> {
                    int at = rng.nextInt(m.length);
                    byte[] extra = new byte[1 + rng.nextInt(6)];
                    for (int k = 0; k < extra.length; k++) {
                        extra[k] = (byte) rng.nextInt(256);
                    }
                    byte[] longer = new byte[m.length + extra.length];
                    System.arraycopy(m, 0, longer, 0, at);
                    System.arraycopy(extra, 0, longer, at, extra.length);
                    System.arraycopy(m, at, longer, at + extra.length, m.length - at);
                    m = longer;
                }
            }
            Path f = tmp.resolve("m" + i + ".bin");
            PickleBytes.zip(f, m, data);
            if (readsOrFailsNamingTheFile(f, TorchPickle::open)) {
                loaded++;
            } else {
                rejected++;
            }
        }
        assertTrue(loaded > 0 && rejected > 0, "loaded " + loaded + ", rejected " + rejected);
    }
}
