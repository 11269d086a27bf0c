package dev.steering.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ServiceLoader;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlotsCommandTest {
    @Test
    void isRegistered() {
        assertTrue(ServiceLoader.load(Command.class).stream().anyMatch(p -> p.type() == PlotsCommand.class));
    }

    @Test
    void namesTheMissingResultsFile(@TempDir Path dir) {
        String e = failure("--run", dir.toString());
        assertTrue(e.contains(dir.resolve("results.parquet").toString()), e);
        String noDir = failure("--run", dir.resolve("nope").toString());
        assertTrue(noDir.contains("no such directory"), noDir);
    }

    /** Runs {@code plots}, expects exit code 2, returns the one-line message. */
    private static String failure(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        assertEquals(2, Main.run(new PlotsCommand(), new PrintStream(err, true, StandardCharsets.UTF_8), argv));
        return err.toString(StandardCharsets.UTF_8).strip();
    }
}
