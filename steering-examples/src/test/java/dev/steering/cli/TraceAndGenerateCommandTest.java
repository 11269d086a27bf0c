package dev.steering.cli;

import dev.steering.weights.SafeTensors;
import dev.steering.weights.SafeTensorsFile;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code trace} and {@code generate} commands end to end on the GPT-NeoX fixture. */
class TraceAndGenerateCommandTest {
    static final Path NEOX = Path.of("../steering-core/src/test/resources/fixtures/gpt-neox-tiny");

    @TempDir
    Path tmp;

    @Test
    void traceWritesLogitsAndEveryHookMatchingTheReference() {
        Path out = tmp.resolve("trace.safetensors");
        assertEquals(0, run("trace", "--model", NEOX.toString(), "--tokens", "42,717,247,1071,15", "--out", out.toString()));
        try (SafeTensorsFile trace = SafeTensors.open(out);
             SafeTensorsFile ref = SafeTensors.open(NEOX.resolve("reference.safetensors"))) {
            assertEquals(1 + 3 * 4 + 1, trace.names().size());
            assertArrayEquals(new long[]{5, 50304}, trace.info("logits").shape());
            float[] expected = ref.floats("p2.blocks.2.hook_resid_post");
            float[] got = trace.floats("blocks.2.hook_resid_post");
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], got[i], 1e-4 + 1e-4 * Math.abs(expected[i]));
            }
        }
    }

    @Test
    void traceAtInt8WritesFiniteLogitsCloseToFloat32() {
        Path f32 = tmp.resolve("f32.safetensors");
        Path int8 = tmp.resolve("int8.safetensors");
        String tokens = "42,717,247,1071,15";
        assertEquals(0, run("trace", "--model", NEOX.toString(), "--tokens", tokens, "--out", f32.toString()));
        assertEquals(0, run("trace", "--model", NEOX.toString(), "--tokens", tokens, "--dtype", "int8",
                "--out", int8.toString()));
        try (SafeTensorsFile a = SafeTensors.open(f32); SafeTensorsFile b = SafeTensors.open(int8)) {
            float[] x = a.floats("logits");
            float[] y = b.floats("logits");
            double dot = 0;
            double nx = 0;
            double ny = 0;
            for (int i = 0; i < x.length; i++) {
                assertTrue(Float.isFinite(y[i]), "logit " + i);
                dot += x[i] * y[i];
                nx += x[i] * x[i];
                ny += y[i] * y[i];
            }
            double cos = dot / Math.sqrt(nx * ny);
            assertTrue(cos > 0.995 && cos < 1, "cosine " + cos);
        }
        assertEquals(2, run("trace", "--model", NEOX.toString(), "--tokens", tokens, "--dtype", "int3",
                "--out", int8.toString()));
    }

    @Test
    void steeredGreedyGenerationMatchesTheReference() throws Exception {
        Path vec = tmp.resolve("v.safetensors");
        try (SafeTensorsFile ref = SafeTensors.open(NEOX.resolve("reference.safetensors"))) {
            SafeTensors.write(vec, Map.of("v", Nd4j.createFromArray(ref.floats("steer.v"))), Map.of());
        }
        ByteArrayOutputStream stdout = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, run("generate", "--model", NEOX.toString(), "--tokens",
                    "2347,513,309,1056,247,15221,32,309,476,626,1361,342,326,15", "--greedy", "--max-new-tokens", "2",
                    "--edit", "add", "--hook", "blocks.1.hook_resid_post", "--alpha", "4", "--vector", vec.toString()));
        } finally {
            System.setOut(old);
        }
        // reference.json case: prompt 0, add 4.0 at blocks.1.hook_resid_post -> greedy10 starts 27730, 17863
        assertTrue(stdout.toString(StandardCharsets.UTF_8).startsWith("{\"tokens\":[27730,17863]"), stdout.toString());
    }

    @Test
    void badInputGivesOneLineErrorsAndNoOutputFile() {
        Path out = tmp.resolve("x.safetensors");
        assertEquals(2, run("trace", "--model", NEOX.toString(), "--out", out.toString()));
        assertEquals(2, run("trace", "--model", NEOX.toString(), "--tokens", "1,x", "--out", out.toString()));
        assertEquals(2, run("trace", "--model", NEOX.toString(), "--tokens", "1", "--bogus", "1", "--out", out.toString()));
        assertEquals(2, run("trace", "--model", NEOX.toString(), "--tokens", "1", "--edit", "add", "--hook",
                "blocks.7.hook_resid_post", "--alpha", "1", "--vector", "nope", "--out", out.toString()));
        assertEquals(2, run("trace", "--model", tmp.resolve("missing").toString(), "--tokens", "1", "--out", out.toString()));
        assertEquals(2, run("nonsense"));
        assertFalse(Files.exists(out));
    }

    private static int run(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(err, true, StandardCharsets.UTF_8));
        String msg = err.toString(StandardCharsets.UTF_8).strip();
        if (code != 0) {
            assertEquals(1, msg.lines().count(), "one-line error expected, got: " + msg);
        }
        return code;
    }
}
