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

    /** The JavaCPP property that selects a variant of a native library ({@code -onednn-avx2}, …). */
    static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";
    private static final String ONEDNN = "-onednn-avx2";

    public static void main(String[] argv) {
        preferOneDnn();
        dev.steering.NativeRuntime.prepare();             // OpenMP's wait policy, before ND4J loads
        System.exit(run(argv, System.err));
    }

    /**
     * Selects libnd4j's oneDNN build (bundled in the jar next to the plain one; faster GEMMs, see
     * docs/performance.md) before ND4J loads, unless the user set {@value #PLATFORM_EXTENSION} (even to an empty
     * value, which keeps the plain build), the build is not bundled, or the CPU lacks AVX2 and FMA.
     */
    static void preferOneDnn() {
        if (System.getProperty(PLATFORM_EXTENSION) != null) {
            return;
        }
        String platform = org.bytedeco.javacpp.Loader.getPlatform();
        boolean bundled = Main.class.getResource("/org/nd4j/linalg/cpu/nativecpu/bindings/" + platform + ONEDNN
                + "/" + System.mapLibraryName("jnind4jcpu")) != null;
        if (bundled && cpuHasAvx2()) {
            System.setProperty(PLATFORM_EXTENSION, ONEDNN);
        }
    }

    /** True if /proc/cpuinfo lists AVX2 and FMA (false where it cannot be read, e.g. off Linux). */
    private static boolean cpuHasAvx2() {
        try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> List.of(l.split("\\s+"))).map(f -> f.contains("avx2") && f.contains("fma")).orElse(false);
        } catch (java.io.IOException | RuntimeException e) {
            return false;
        }
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
