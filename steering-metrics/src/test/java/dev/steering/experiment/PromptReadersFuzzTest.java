package dev.steering.experiment;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bounded, seeded fuzzing of the prompt readers ({@link PromptSet#load}, {@link PromptIngest} for JSONL, JSON and
 * CSV): every mutated file either gives at least one valid prompt or fails with an {@link InputFormatException}
 * naming the file; never another exception or a hang.
 */
@Timeout(60)
class PromptReadersFuzzTest {
    static final int MUTATIONS = 300;
    private static final String[] INSERTS = {"{", "}", "[", "]", "\"", ",", ":", "\n", "\r\n", "\\", "\\u", "\u0000",
            " ", "\"id\"", "\"prompt\"", "null", "1e999", "\u00e9", "\uD83C\uDF5E"};

    @TempDir
    Path tmp;

    interface Reader {
        List<Prompt> read(Path file) throws IOException;
    }

    private void fuzz(String name, String valid, Reader reader, long seed) throws IOException {
        SplittableRandom rng = new SplittableRandom(seed);
        byte[] base = valid.getBytes(StandardCharsets.UTF_8);
        int loaded = 0;
        int rejected = 0;
        for (int i = 0; i < MUTATIONS; i++) {
            byte[] m = mutate(base, rng);
            Path f = Files.write(tmp.resolve(i + "-" + name), m);
            try {
                List<Prompt> prompts = reader.read(f);
                assertFalse(prompts.isEmpty(), f + " loaded without prompts");
                prompts.forEach(p -> assertFalse(p.prompt().isBlank() || p.id().isBlank(), f + ": " + p));
                loaded++;
            } catch (InputFormatException e) {
                assertTrue(e.getMessage().startsWith(f.toString()), "names the file: " + e.getMessage());
                rejected++;
            } catch (IOException | RuntimeException e) {
                fail(f + " (" + new String(m, StandardCharsets.UTF_8) + ") gave " + e, e);
            }
        }
        assertTrue(loaded > 0 && rejected > 0, name + ": loaded " + loaded + ", rejected " + rejected);
    }

    private static byte[] mutate(byte[] base, SplittableRandom rng) {
        byte[] b = base;
        for (int k = 0; k <= rng.nextInt(2); k++) {
            int at = rng.nextInt(b.length + 1);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(b, 0, at);
            switch (rng.nextInt(5)) {
                case 0 -> out.writeBytes(INSERTS[rng.nextInt(INSERTS.length)].getBytes(StandardCharsets.UTF_8));
                case 1 -> out.write(0x80 + rng.nextInt(0x80)); // a stray byte, often invalid UTF-8
                case 2 -> at = Math.min(b.length, at + 1 + rng.nextInt(4)); // delete a few bytes
                case 3 -> out.write(b, at, Math.min(b.length - at, 12)); // duplicate a piece
                default -> b = java.util.Arrays.copyOf(b, at); // truncate
            }
            if (at < b.length) {
                out.write(b, at, b.length - at);
            }
            b = out.toByteArray();
        }
        return b;
    }

    @Test
    void promptSetJsonl() throws IOException {
        fuzz("set.jsonl", "{\"id\":\"a\",\"prompt\":\"Hello there\",\"meta\":{\"family\":\"x\"}}\n"
                + "{\"id\":\"b\",\"prompt\":\"Wie geht's? \u00e9\"}\n", f -> PromptSet.load(f).prompts(), 1);
    }

    @Test
    void ingestJsonLinesAndArrays() throws IOException {
        fuzz("in.jsonl", "{\"q\":\"first prompt\",\"id\":1,\"topic\":\"t\"}\n{\"q\":\"second\",\"id\":2}\n",
                f -> PromptIngest.fromJson(f, "q", "id", "s"), 2);
        fuzz("in.json", "[\n {\"q\": \"first\", \"n\": [1, 2]},\n {\"q\": \"second\"}\n]",
                f -> PromptIngest.fromJson(f, "q", null, "s"), 3);
    }

    @Test
    void ingestCsv() throws IOException {
        fuzz("in.csv", "id,prompt,topic\n1,\"Hello, world\",a\n2,\"say \"\"hi\"\"\",b\n",
                f -> PromptIngest.fromCsv(f, "prompt", "id", "s"), 4);
    }
}
