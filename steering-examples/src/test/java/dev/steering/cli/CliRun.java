package dev.steering.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/**
 * Runs the command line in this JVM as {@code java -jar steering.jar ARGS} would, capturing standard output and the
 * error stream.
 *
 * @param code the exit code
 * @param out  what went to standard output
 * @param err  the error stream, stripped
 */
record CliRun(int code, String out, String err) {

    static CliRun of(String... argv) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run(argv, new PrintStream(err, true, StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
        return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8).strip());
    }
}
