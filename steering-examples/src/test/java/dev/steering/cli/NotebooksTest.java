package dev.steering.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import jdk.jshell.tool.JavaShellToolBuilder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The JShell notebooks run as a user runs them (the jshell tool, the module's class path) and show what they promise. */
class NotebooksTest {
    @TempDir
    Path tmp;

    /** Runs a notebook with the test class path; returns stdout and stderr together. */
    private static String jshell(String notebook, String... remoteProperties) {
        List<String> args = new ArrayList<>(List.of("--class-path", System.getProperty("java.class.path")));
        for (String p : remoteProperties) {
            args.add("-R-D" + p);
        }
        args.add(Path.of("jshell", notebook).toString());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        try {
            JavaShellToolBuilder.builder().out(ps).err(ps).run(args.toArray(String[]::new));
        } catch (Exception e) {
            throw new AssertionError("jshell failed: " + e + "\n" + out.toString(StandardCharsets.UTF_8), e);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void smokeNotebookShowsTheEffectItAnnounces() {
        String out = jshell("01-smoke.jsh");
        Matcher announced = Pattern.compile("== (\\d+) examples ==").matcher(out);
        assertTrue(announced.find(), out);
        int n = Integer.parseInt(announced.group(1));
        assertEquals(n, out.lines().filter(l -> l.startsWith("PROMPT   ")).count(), out);
        List<double[]> table = new ArrayList<>();
        Matcher row = Pattern.compile("\\s(\\d\\.\\d\\d)\\s+(\\d\\.\\d\\d)\\s*$", Pattern.MULTILINE)
                .matcher(out.substring(out.indexOf("== table ==")));
        while (row.find()) {
            table.add(new double[]{Double.parseDouble(row.group(1)), Double.parseDouble(row.group(2))});
        }
        assertEquals(n, table.size(), out);
        assertTrue(table.stream().filter(r -> r[1] > r[0] + 0.2).count() >= 2,
                "steering should raise the refusal score of the two disguised requests:\n" + out);
    }

    @Test
    void analysisNotebookOpensTheNewestCompletedRunNotAnEmptyOne() throws Exception {
        Path runs = tmp.resolve("runs");
        assertEquals(0, Main.run(new String[]{"run-all", "--config", "smoke", "--set",
                "experiment.output_dir=" + runs}, new PrintStream(new ByteArrayOutputStream())));
        Path completed;
        try (var dirs = Files.list(runs)) {
            completed = dirs.findFirst().orElseThrow();
        }
        Path unfinished = Files.createDirectories(runs.resolve("toy-refusal-00000000").resolve("parts"));
        assertTrue(unfinished.toFile().setLastModified(System.currentTimeMillis() + 60_000));
        String out = jshell("03-analysis.jsh", "steering.runs=" + runs);
        assertTrue(out.contains("run: " + completed), out);
        assertTrue(out.contains("result rows") && out.contains("== reports/examples.md =="), out);
        assertFalse(out.contains("Exception"), out);
    }
}
