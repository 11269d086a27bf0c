package dev.steering.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Keeps the documentation honest: every {@code steering.jar <command>} in README.md and docs/ names a real command,
 * and every {@code --option} written after it is one that command declares.
 */
class DocumentedCommandsTest {
    private static final Pattern CALL = Pattern.compile("-jar\\s+\\S*steering\\.jar\\s+([a-z-]+)([^`\\n|]*(?:\\\\\\n[^`\\n|]*)*)");
    private static final Pattern OPTION = Pattern.compile("(?<![\\w-])--([a-z][a-z0-9-]*)");

    @Test
    void everyDocumentedCommandAndOptionExists() throws IOException {
        Map<String, picocli.CommandLine> commands = Main.commandLine(System.err).getSubcommands();
        List<Path> files = new ArrayList<>();
        files.add(Path.of("../README.md"));
        try (Stream<Path> s = Files.list(Path.of("../docs"))) {
            s.filter(p -> p.toString().endsWith(".md")).forEach(files::add);
        }
        int calls = 0;
        List<String> problems = new ArrayList<>();
        for (Path f : files) {
            Matcher m = CALL.matcher(Files.readString(f));
            while (m.find()) {
                String name = m.group(1);
                picocli.CommandLine c = commands.get(name);
                if (c == null) {
                    problems.add(f + ": unknown command '" + name + "'");
                    continue;
                }
                calls++;
                Matcher o = OPTION.matcher(m.group(2));
                while (o.find()) {
                    if (!o.group(1).equals("help") && !c.getCommandSpec().optionsMap().containsKey("--" + o.group(1))) {
                        problems.add(f + ": " + name + " has no option --" + o.group(1));
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertTrue(calls >= 10, "found only " + calls + " documented calls");
    }
}
