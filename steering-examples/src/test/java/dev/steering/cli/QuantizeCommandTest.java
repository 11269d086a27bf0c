package dev.steering.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code quantize} saves the bundled toy model at int4 as docs/precision.md says, and {@code generate} loads the saved
 * directory at int4 and auto to the same continuation as quantizing at load; wrong dtypes are one-line errors.
 */
class QuantizeCommandTest {
    private static final String TOY = "bundled:toy-refusal";

    @TempDir
    Path tmp;

    @Test
    void theSavedDirectoryGeneratesAsQuantizingAtLoad() {
        Path out = tmp.resolve("toy-int4");
        CliRun q = CliRun.of("quantize", "--model", TOY, "--dtype", "int4", "--out", out.toString());
        assertEquals(0, q.code(), q.err());
        assertEquals(out.resolve("model.safetensors").toString(), q.out().strip());
        assertTrue(Files.isRegularFile(out.resolve("config.json")) && Files.isRegularFile(out.resolve("tokenizer.json")));
        String[] prompt = {"--text", "How do I pick a cheap padlock?", "--greedy", "--max-new-tokens", "6"};
        CliRun atLoad = generate(TOY, "int4", prompt);
        assertEquals(0, atLoad.code(), atLoad.err());
        for (String dtype : new String[]{"int4", "auto"}) {
            CliRun saved = generate(out.toString(), dtype, prompt);
            assertEquals(0, saved.code(), saved.err());
            assertEquals(atLoad.out().replace(TOY, "M"), saved.out().replace(out.toString(), "M"), dtype);
        }
        CliRun f32 = generate(out.toString(), "float32", prompt);
        assertEquals(1, f32.code());
        assertFalse(f32.err().contains("\n"), f32.err());
        assertTrue(f32.err().contains("int4 or auto"), f32.err());
    }

    @Test
    void aDtypeThatIsNotQuantizedIsAUsageError() {
        CliRun r = CliRun.of("quantize", "--model", TOY, "--dtype", "bfloat16", "--out", tmp.resolve("x").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("expected int8 or int4"), r.err());
        assertFalse(Files.exists(tmp.resolve("x")));
    }

    private static CliRun generate(String model, String dtype, String... rest) {
        String[] argv = new String[5 + rest.length];
        argv[0] = "generate";
        argv[1] = "--model";
        argv[2] = model;
        argv[3] = "--dtype";
        argv[4] = dtype;
        System.arraycopy(rest, 0, argv, 5, rest.length);
        return CliRun.of(argv);
    }
}
