package dev.steering.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlotsCommandTest {
    @Test
    void isRegistered() {
        assertTrue(ServiceLoader.load(Command.class).stream().anyMatch(p -> p.type() == PlotsCommand.class));
    }

    @Test
    void namesTheMissingResultsFile(@TempDir Path dir) {
        CliException e = assertThrows(CliException.class,
                () -> new PlotsCommand().run(new Args(List.of("--run", dir.toString()), Set.of())));
        assertTrue(e.getMessage().contains(dir.resolve("results.parquet").toString()), e.getMessage());
        CliException noDir = assertThrows(CliException.class,
                () -> new PlotsCommand().run(new Args(List.of("--run", dir.resolve("nope").toString()), Set.of())));
        assertTrue(noDir.getMessage().contains("no such directory"), noDir.getMessage());
    }
}
