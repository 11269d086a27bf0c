package dev.steering.cli;

import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.ServiceLoader;
import picocli.CommandLine;

/**
 * Entry point of {@code steering.jar}: {@code java -jar steering.jar <command> [options]}. Commands are found with
 * {@link ServiceLoader} ({@code META-INF/services/dev.steering.cli.Command}) and parsed by picocli. Exit codes, the
 * same in every command: 0 success; 2 a usage or input error (unknown or malformed option, missing or malformed
 * file), reported as one line on stderr; 1 any other failure, one line too (set {@code STEERING_DEBUG=1} for the
 * stack trace). A plain launch first relaunches itself with the Vector API module and a larger heap
 * ({@link Launcher}).
 */
public final class Main {
    /** Exit code of a usage or input error. */
    public static final int USAGE_ERROR = 2;
    /** Exit code of a failure while running. */
    public static final int RUNTIME_ERROR = 1;

    private Main() {
    }

    /** The JavaCPP property that selects a variant of a native library ({@code -onednn-avx2}, …). */
    static final String PLATFORM_EXTENSION = "org.bytedeco.javacpp.platform.extension";
    private static final String ONEDNN = "-onednn-avx2";

    /** The root command: only subcommands and help. */
    @CommandLine.Command(name = "java -jar steering.jar", mixinStandardHelpOptions = true,
            versionProvider = Main.Version.class, subcommands = CommandLine.HelpCommand.class,
            synopsisSubcommandLabel = "COMMAND",
            description = "Activation steering on transformer language models (README.md).",
            footer = "'java -jar steering.jar COMMAND --help' describes one command.")
    static final class Root implements Command {
        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getErr());
            return USAGE_ERROR;
        }
    }

    /** {@code --version}: the library version. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[]{"steering " + dev.steering.direction.LibraryVersion.get(), String.format(
                    java.util.Locale.ROOT, "Java %s, max heap %.1f GB, Vector API %s", Runtime.version(),
                    Runtime.getRuntime().maxMemory() / (double) (1L << 30),
                    ModuleLayer.boot().findModule(Launcher.VECTOR_MODULE).isPresent() ? "on" : "off")};
        }
    }

    public static void main(String[] argv) {
        java.util.Optional<Integer> relaunched = Launcher.relaunch(argv);   // with the Vector API and a larger heap
        if (relaunched.isPresent()) {
            System.exit(relaunched.get());
        }
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
        return execute(commandLine(err), argv);
    }

    /** Runs one command object (already constructed, e.g. with its own output stream) on its options. */
    static int run(Command command, PrintStream err, String... argv) {
        return execute(configure(new CommandLine(command), err), argv);
    }

    /** The root command line with every registered command as a subcommand, reporting errors to {@code err}. */
    static CommandLine commandLine(PrintStream err) {
        CommandLine root = new CommandLine(new Root());
        for (Command c : ServiceLoader.load(Command.class)) {
            root.addSubcommand(new CommandLine(c));
        }
        return configure(root, err);
    }

    /** Installs the one-line error reporting and exit codes on {@code cl} and every subcommand added so far. */
    private static CommandLine configure(CommandLine cl, PrintStream err) {
        cl.setErr(new PrintWriter(new java.io.OutputStreamWriter(err, StandardCharsets.UTF_8), true));
        cl.setOut(new PrintWriter(new java.io.OutputStreamWriter(System.out, StandardCharsets.UTF_8), true));
        cl.setAbbreviatedOptionsAllowed(false);
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> failure(e, cmd));
        return cl;
    }

    private static int execute(CommandLine cl, String[] argv) {
        try {
            return cl.execute(argv);
        } catch (Error e) {            // picocli passes Errors (e.g. OutOfMemoryError) through
            return failure(e, cl);
        }
    }

    /** A malformed command line: one line naming the option, with picocli's suggestions. */
    private static int usageError(CommandLine.ParameterException e, String[] argv) {
        CommandLine cmd = e.getCommandLine();
        if (e instanceof CommandLine.MissingParameterException) {
            e = unknownOption(cmd, argv).orElse(e);   // picocli checks required options first; a typo explains more
        }
        String msg = oneLine(e.getMessage());
        if (e instanceof CommandLine.UnmatchedArgumentException u && !u.getSuggestions().isEmpty()) {
            msg += " (did you mean " + String.join(" or ", u.getSuggestions().subList(0,
                    Math.min(3, u.getSuggestions().size()))) + "?)";
        }
        cmd.getErr().println(prefix(cmd) + ": " + msg + "; see --help");
        return USAGE_ERROR;
    }

    /** The first {@code --word} on the command line that {@code cmd} does not declare, as picocli reports it. */
    private static java.util.Optional<CommandLine.ParameterException> unknownOption(CommandLine cmd, String[] argv) {
        return java.util.Arrays.stream(argv).filter(a -> a.startsWith("--") && a.length() > 2)
                .filter(a -> !cmd.getCommandSpec().optionsMap().containsKey(a.split("=", 2)[0]))
                .findFirst().map(a -> new CommandLine.UnmatchedArgumentException(cmd, List.of(a)));
    }

    /** An exception from a command: {@link CliException} is an input error (2), anything else a failure (1). */
    private static int failure(Throwable e, CommandLine cmd) {
        if (e instanceof CliException) {
            cmd.getErr().println(prefix(cmd) + ": " + oneLine(e.getMessage()));
            return USAGE_ERROR;
        }
        if (System.getenv("STEERING_DEBUG") != null) {
            e.printStackTrace(cmd.getErr());
        }
        String hint = e instanceof OutOfMemoryError ? " (out of memory: give java more with -Xmx, or use a more"
                + " compact --dtype; docs/performance.md)" : "";
        cmd.getErr().println(prefix(cmd) + ": " + oneLine(describe(e)) + hint);
        return RUNTIME_ERROR;
    }

    /** {@code steering trace}: the program and the command that failed. */
    private static String prefix(CommandLine cmd) {
        String name = cmd.getCommandName();
        return cmd.getParent() == null && cmd.getCommand() instanceof Root ? "steering" : "steering " + name;
    }

    /** Errors are one line: parser messages that span several lines are joined. */
    private static String oneLine(String msg) {
        return msg == null ? "" : msg.strip().replaceAll("\\s*\\R\\s*", " ");
    }

    /** The first message in the cause chain; a file-system failure also says why (its message is only a path). */
    private static String describe(Throwable e) {
        String msg = e.getMessage();
        for (Throwable c = e.getCause(); (msg == null || msg.isBlank()) && c != null; c = c.getCause()) {
            msg = c.getMessage();
        }
        msg = msg == null ? e.getClass().getSimpleName() : msg;
        var fs = IoErrors.find(e);
        if (fs.isPresent() && !msg.contains(IoErrors.why(fs.get()))) {
            msg += " (" + IoErrors.reason(fs.get()) + ")";
        }
        return msg;
    }
}
