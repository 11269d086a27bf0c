package dev.steering.cli;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The contract every command shares: help generated from the declared options, unknown or malformed options
 * rejected before anything loads (one line, with a suggestion, exit code 2), runtime failures exit 1.
 */
class CommandLineContractTest {
    @TempDir
    Path tmp;

    private static CliRun run(String... argv) {
        return CliRun.of(argv);
    }

    @Test
    void everyCommandHasGeneratedHelpListingItsOptions() {
        Map<String, CommandLine> commands = Main.commandLine(System.err).getSubcommands();
        assertTrue(commands.keySet().containsAll(java.util.List.of("trace", "generate", "score", "bench", "run-all",
                "direction", "make-prompts", "train-toy", "plots", "classify")), commands.keySet().toString());
        for (Map.Entry<String, CommandLine> c : commands.entrySet()) {
            if (c.getKey().equals("help")) {
                continue;
            }
            CliRun r = run(c.getKey(), "--help");
            assertEquals(0, r.code(), c.getKey() + ": " + r.err());
            for (String option : c.getValue().getCommandSpec().optionsMap().keySet()) {
                if (option.startsWith("--")) {
                    assertTrue(r.out().contains(option), c.getKey() + " --help does not list " + option + ":\n" + r.out());
                }
            }
        }
    }

    @Test
    void unknownOptionIsAUsageErrorWithASuggestionBeforeAnyModelLoads() {
        // the model does not exist: the option error must come first
        CliRun r = run("trace", "--model", tmp.resolve("nope").toString(), "--tokens", "1", "--out",
                tmp.resolve("t.safetensors").toString(), "--tokns", "2");
        assertEquals(2, r.code());
        assertEquals(1, r.err().lines().count(), r.err());
        assertTrue(r.err().startsWith("steering trace: Unknown option") && r.err().contains("'--tokns'"), r.err());
        assertTrue(r.err().contains("did you mean --tokens"), r.err());
        for (String command : Main.commandLine(System.err).getSubcommands().keySet()) {
            if (!command.equals("help")) {
                CliRun u = run(command, "--no-such-option");
                assertEquals(2, u.code(), command + ": " + u.err());
                assertTrue(u.err().startsWith("steering " + command + ": Unknown option: '--no-such-option'"), u.err());
            }
        }
    }

    @Test
    void malformedValuesAndMissingOptionsAreUsageErrors() {
        CliRun r = run("generate", "--model", "bundled:toy-refusal", "--tokens", "1", "--greedy", "--max-new-tokens",
                "8.7");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("--max-new-tokens") && r.err().contains("8.7"), r.err());
        CliRun missing = run("score", "--out", tmp.resolve("s.jsonl").toString());
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--in"), missing.err());
        CliRun command = run("trase");
        assertEquals(2, command.code());
        assertTrue(command.err().contains("trace"), command.err());
        assertEquals(2, run().code());
        assertEquals(0, run("help").code());
    }

    @Test
    void writeFailuresSayWhereAndWhy() {
        CliRun r = run("trace", "--model", "bundled:toy-refusal", "--tokens", "1",
                "--out", "/missing-folder/t.safetensors");
        assertEquals(2, r.code());
        assertEquals("steering trace: --out /missing-folder/t.safetensors: cannot write there, the folder "
                + "/missing-folder does not exist", r.err());
    }
}
