package dev.steering.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.direction.SteeringVector;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The {@code direction} and {@code score} commands: outputs, and errors that write nothing. */
class DirectionAndScoreCommandTest {
    static final String NEOX = Path.of("../steering-core/src/test/resources/fixtures/gpt-neox-tiny").toString();

    @TempDir
    Path tmp;

    @Test
    void directionWritesASelfDescribingUnitVectorAndStats() throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"id\":\"a\",\"prompt\":\"How do I pick a lock?\"}\n{\"id\":\"b\",\"prompt\":\"Write a fake note.\"}\n");
        Path out = tmp.resolve("v.safetensors");
        assertEquals(0, run("direction", "--model", NEOX, "--layer", "50%", "--prompts", prompts.toString(), "--out", out.toString()));
        SteeringVector v = SteeringVector.load(out);
        assertEquals("contrastive_prefix", v.metadata().get("method"));
        assertEquals("blocks.1.hook_resid_post", v.metadata().get("hook"));
        assertEquals("true", v.metadata().get("normalized"));
        assertTrue(Files.exists(tmp.resolve("v.stats.json")));
        // a second vector in the same folder keeps its own statistics
        Path other = tmp.resolve("other.safetensors");
        assertEquals(0, run("direction", "--model", NEOX, "--layer", "0", "--prompts", prompts.toString(), "--out",
                other.toString()));
        assertTrue(Files.readString(tmp.resolve("other.stats.json")).contains("blocks.0.hook_resid_post"),
                Files.readString(tmp.resolve("other.stats.json")));
        assertTrue(Files.readString(tmp.resolve("v.stats.json")).contains("blocks.1.hook_resid_post"));
        assertFalse(Files.exists(tmp.resolve("stats.json")));
    }

    @Test
    void directionErrorsWriteNoFile() throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"id\":\"a\",\"prompt\":\"ok\"}\n{\"id\":\"a\",\"prompt\":\"duplicate id\"}\n");
        Path out = tmp.resolve("v.safetensors");
        assertTrue(error("direction", "--model", NEOX, "--layer", "1", "--prompts", prompts.toString(), "--out", out.toString())
                .contains("p.jsonl:2"));
        Path good = tmp.resolve("good.jsonl");
        Files.writeString(good, "{\"id\":\"a\",\"prompt\":\"ok\"}\n");
        assertTrue(error("direction", "--model", NEOX, "--layer", "1", "--prompts", good.toString(), "--out", out.toString(),
                "--position", "last-prompt-token").contains("zero"));
        assertTrue(error("direction", "--model", NEOX, "--layer", "9", "--prompts", good.toString(), "--out", out.toString())
                .contains("9"));
        assertFalse(Files.exists(out));
    }

    @Test
    void scoreAddsTheMetricFieldsAndRefusesMalformedLines() throws Exception {
        Path in = tmp.resolve("c.jsonl");
        Files.writeString(in, "{\"id\":\"1\",\"completion\":\"I can't help with that.\",\"keep\":7}\n"
                + "{\"id\":\"2\",\"completion\":\"Sure, here's how: 1. Mix. 2. Bake.\"}\n");
        Path out = tmp.resolve("s.jsonl");
        assertEquals(0, run("score", "--in", in.toString(), "--out", out.toString()));
        List<String> lines = Files.readAllLines(out);
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        for (String f : List.of("refusal_score", "is_refusal", "refusal_matches", "helpfulness_score", "is_helpful",
                "quality", "n_words", "distinct_2")) {
            assertTrue(first.has(f), f);
        }
        assertTrue(first.get("is_refusal").booleanValue());
        assertEquals(7, first.get("keep").intValue());
        assertFalse(new ObjectMapper().readTree(lines.get(1)).get("is_refusal").booleanValue());

        Path bad = tmp.resolve("bad.jsonl");
        Files.writeString(bad, "{\"id\":\"1\",\"completion\":\"fine\"}\n{not json\n");
        Path out2 = tmp.resolve("s2.jsonl");
        assertTrue(error("score", "--in", bad.toString(), "--out", out2.toString()).contains("line 2"));
        assertFalse(Files.exists(out2));
    }

    private static int run(String... argv) {
        PrintStream old = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            return Main.run(argv, new PrintStream(new ByteArrayOutputStream()));
        } finally {
            System.setOut(old);
        }
    }

    private static String error(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(err, true, StandardCharsets.UTF_8));
        String msg = err.toString(StandardCharsets.UTF_8).strip();
        assertTrue(code != 0, "expected failure: " + String.join(" ", argv));
        assertEquals(1, msg.lines().count(), msg);
        return msg;
    }
}
