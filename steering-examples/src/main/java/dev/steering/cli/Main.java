package dev.steering.cli;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Entry point of {@code steering.jar}: {@code java -jar steering.jar <command> [options]}. Commands are found with
 * {@link ServiceLoader} ({@code META-INF/services/dev.steering.cli.Command}). A user error prints one line on stderr
 * and exits 2; any other failure prints one line and exits 1 (set {@code STEERING_DEBUG=1} for the stack trace).
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] argv) {
        System.exit(run(argv, System.err));
    }

    /** Runs one command line and returns its exit code (never calls {@code System.exit}). */
    public static int run(String[] argv, PrintStream err) {
        Map<String, Command> commands = new LinkedHashMap<>();
        for (Command c : ServiceLoader.load(Command.class)) {
            commands.put(c.name(), c);
        }
        if (argv.length == 0 || argv[0].equals("--help") || argv[0].equals("help")) {
            err.println("usage: java -jar steering.jar <command> [options]\ncommands: " + String.join(", ", commands.keySet())
                    + "\n'java -jar steering.jar <command> --help' describes one.");
            return argv.length == 0 ? 2 : 0;
        }
        Command command = commands.get(argv[0]);
        if (command == null) {
            err.println("steering: unknown command '" + argv[0] + "' (commands: " + String.join(", ", commands.keySet()) + ")");
            return 2;
        }
        List<String> rest = Arrays.asList(argv).subList(1, argv.length);
        if (rest.contains("--help")) {
            err.println(command.usage());
            return 0;
        }
        try {
            return command.run(new ArgsFactory(rest).forCommand(command));
        } catch (CliException e) {
            err.println("steering " + command.name() + ": " + oneLine(e.getMessage()));
            return 2;
        } catch (Exception | Error e) {
            if (System.getenv("STEERING_DEBUG") != null) {
                e.printStackTrace(err);
            }
            err.println("steering " + command.name() + ": " + oneLine(describe(e)));
            return 1;
        }
    }

    /** Errors are one line: parser messages that span several lines are joined. */
    private static String oneLine(String msg) {
        return msg == null ? "" : msg.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    private static String describe(Throwable e) {
        String msg = e.getMessage();
        for (Throwable c = e.getCause(); (msg == null || msg.isBlank()) && c != null; c = c.getCause()) {
            msg = c.getMessage();
        }
        return msg == null ? e.getClass().getSimpleName() : msg;
    }

    /** Lets a command declare its flags before parsing. */
    private record ArgsFactory(List<String> argv) {
        Args forCommand(Command c) {
            return new Args(argv, c instanceof FlagCommand f ? f.flags() : java.util.Set.of());
        }
    }
}
