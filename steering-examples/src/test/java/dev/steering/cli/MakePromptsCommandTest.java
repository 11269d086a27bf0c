package dev.steering.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.steering.experiment.PromptSet;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MakePromptsCommandTest {
    @TempDir
    Path dir;

    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    private int run(String... argv) throws Exception {
        MakePromptsCommand c = new MakePromptsCommand(new PrintStream(stdout, true, StandardCharsets.UTF_8));
        stderr = new ByteArrayOutputStream();
        return Main.run(c, new PrintStream(stderr, true, StandardCharsets.UTF_8), argv);
    }

    private String error() {
        return stderr.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void generatesThreeSetsDeterministically() throws Exception {
        assertEquals(0, run("--out", dir.resolve("a").toString(), "--seed", "9", "--fast"));
        assertEquals(0, run("--out", dir.resolve("b").toString(), "--seed", "9", "--sizes", "60,60,60"));
        for (String f : List.of("harm_train.jsonl", "harm_test.jsonl", "benign.jsonl")) {
            PromptSet a = PromptSet.load(dir.resolve("a").resolve(f));
            assertEquals(60, a.size());
            assertEquals(a, PromptSet.load(dir.resolve("b").resolve(f)));
        }
        assertTrue(stdout.toString(StandardCharsets.UTF_8).contains("sha256"));
    }

    @Test
    void ingestsCsvAndReportsBadLinesAsCliErrors() throws Exception {
        Path csv = dir.resolve("in.csv");
        Files.writeString(csv, "q,text\n1,hello\n2,\n");
        Path out = dir.resolve("out.jsonl");
        assertEquals(2, run("--ingest", csv.toString(), "--column", "text", "--id-column", "q", "--split", "mine",
                "--out", out.toString()));
        assertEquals("steering make-prompts: " + csv + ":3: empty prompt", error());
        Files.writeString(csv, "q,text\n1,hello\n2,world\n");
        assertEquals(0, run("--ingest", csv.toString(), "--column", "text", "--split", "mine", "--out", out.toString()));
        assertEquals(Set.of("mine_0001", "mine_0002"),
                Set.copyOf(PromptSet.load(out).prompts().stream().map(p -> p.id()).toList()));
    }

    @Test
    void registeredWithTheDispatcher() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(new String[] {"make-prompts", "--out", dir.toString(), "--fast", "--seed", "1"},
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        assertTrue(Files.exists(dir.resolve("benign.jsonl")));
        assertEquals(2, Main.run(new String[] {"make-prompts", "--out", dir.toString(), "--sizes", "x"},
                new PrintStream(err, true, StandardCharsets.UTF_8)));
    }

    @Test
    void rejectsConflictingOptions() throws Exception {
        assertEquals(2, run("--out", dir.toString(), "--fast", "--sizes", "1,2,3"));
        assertTrue(error().contains("mutually exclusive"), error());
        assertEquals(2, run("--out", dir.toString(), "--sizes", "1,2"));
        assertEquals(2, run("--out", dir.toString(), "--bogus", "1"));
        assertTrue(error().contains("--bogus"), error());
        assertEquals(2, run("--out", dir.toString(), "--column", "text"));
        assertTrue(error().contains("need --ingest"), error());
    }
}
