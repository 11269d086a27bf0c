package dev.steering.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Relaunches {@code java -jar steering.jar} (or {@code java -cp … dev.steering.cli.Main}) once with what large
 * models need, so that a plain launch works: the Vector API module ({@code --add-modules jdk.incubator.vector}, for
 * the compact-weight kernels, docs/precision.md) and, unless the user chose a heap size, a heap of 75 % of the
 * machine's memory ({@code -XX:MaxRAMPercentage=75}: compact weights live on the Java heap, whose default maximum is
 * a quarter of it) collected by the serial collector with a young generation of at most 192 MB
 * ({@code -XX:+UseSerialGC -XX:MaxNewSize=192m}, unless a collector is chosen): the weights are a few large
 * arrays that live as long as the process, and every collector otherwise sizes its young generation, which the
 * garbage of a run touches in full, in proportion to the heap (G1 and the serial collector's default gave
 * 0.4-2.4 GB more peak RSS on the large shapes). The child is the same {@code java} binary with the original JVM
 * options, class path and arguments; it inherits stdin and stdout, its stderr is copied without the JVM's
 * {@code WARNING: Using incubator modules} line, its exit code is returned, and it is destroyed if this process is
 * killed. {@code -Dsteering.relaunch=false} disables the relaunch; the child runs with
 * {@code -Dsteering.relaunched=true}. Code that embeds the library (JShell, Maven) adds the flags itself (README).
 */
final class Launcher {
    /** Set (to true) on the relaunched child. */
    static final String RELAUNCHED = "steering.relaunched";
    /** {@code false} disables the relaunch. */
    static final String RELAUNCH = "steering.relaunch";
    static final String VECTOR_MODULE = "jdk.incubator.vector";
    static final String HEAP_FLAG = "-XX:MaxRAMPercentage=75";
    static final List<String> GC_FLAGS = List.of("-XX:+UseSerialGC", "-XX:MaxNewSize=192m");
    private static final String MAIN = Main.class.getName();
    private static final byte[] INCUBATOR_WARNING = "WARNING: Using incubator modules".getBytes(StandardCharsets.UTF_8);

    private Launcher() {
    }

    /**
     * How this JVM was started.
     *
     * @param java        the java binary
     * @param jvmArgs     the JVM options ({@code RuntimeMXBean.getInputArguments()})
     * @param javaCommand the main class or jar and the arguments ({@code sun.java.command})
     * @param classPath   {@code java.class.path}
     * @param hasVector   whether the boot layer has {@value #VECTOR_MODULE}
     */
    record Jvm(String java, List<String> jvmArgs, String javaCommand, String classPath, boolean hasVector) {
        static Jvm current() {
            return new Jvm(ProcessHandle.current().info().command().orElse(null),
                    ManagementFactory.getRuntimeMXBean().getInputArguments(),
                    System.getProperty("sun.java.command", ""), System.getProperty("java.class.path", ""),
                    ModuleLayer.boot().findModule(VECTOR_MODULE).isPresent());
        }
    }

    /**
     * The child's command line, or empty when no relaunch is wanted: the JVM has the module and a heap flag, the
     * relaunch is disabled or done, a debugger agent holds a port, or the launch is neither {@code -jar} of this
     * jar nor {@code -cp … dev.steering.cli.Main}.
     */
    static Optional<List<String>> command(Jvm jvm, List<String> argv, String relaunch, String relaunched) {
        boolean heapGiven = jvm.jvmArgs().stream().anyMatch(Launcher::isHeapFlag);
        if ("false".equalsIgnoreCase(relaunch) || "true".equalsIgnoreCase(relaunched) || jvm.java() == null
                || (jvm.hasVector() && heapGiven)
                || jvm.jvmArgs().stream().anyMatch(a -> a.startsWith("-agentlib:jdwp"))) {
            return Optional.empty();
        }
        List<String> launch;
        String cp = jvm.classPath();
        String cmd = jvm.javaCommand();
        if (!cp.isEmpty() && cp.endsWith(".jar") && (cmd.equals(cp) || cmd.startsWith(cp + " "))) {
            launch = List.of("-jar", cp);
        } else if (cmd.equals(MAIN) || cmd.startsWith(MAIN + " ")) {
            launch = List.of("-cp", cp, MAIN);
        } else {
            return Optional.empty();
        }
        List<String> out = new ArrayList<>();
        out.add(jvm.java());
        out.addAll(jvm.jvmArgs());
        if (!jvm.hasVector()) {
            out.add("--add-modules=" + VECTOR_MODULE);
        }
        if (!heapGiven) {
            out.add(HEAP_FLAG);
            if (jvm.jvmArgs().stream().noneMatch(a -> a.matches("-XX:[+-]Use\\w*GC"))) {
                out.addAll(GC_FLAGS);
            }
        }
        out.add("-D" + RELAUNCHED + "=true");
        out.addAll(launch);
        out.addAll(argv);
        return Optional.of(out);
    }

    /** A flag that sets the maximum heap. */
    static boolean isHeapFlag(String arg) {
        return arg.startsWith("-Xmx") || arg.startsWith("-XX:MaxHeapSize=") || arg.startsWith("-XX:MaxRAMPercentage=")
                || arg.startsWith("-XX:MaxRAM=") || arg.startsWith("-XX:MaxRAMFraction=");
    }

    /**
     * Runs the child if this JVM should be relaunched and returns its exit code; empty if it should not (or the
     * child cannot be started, which is logged to stderr and the command runs here).
     */
    static Optional<Integer> relaunch(String[] argv) {
        Optional<List<String>> cmd = command(Jvm.current(), List.of(argv), System.getProperty(RELAUNCH),
                System.getProperty(RELAUNCHED));
        if (cmd.isEmpty()) {
            return Optional.empty();
        }
        Process child;
        try {
            child = new ProcessBuilder(cmd.get()).redirectInput(ProcessBuilder.Redirect.INHERIT)
                    .redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        } catch (IOException | RuntimeException e) {
            System.err.println("steering: could not relaunch with --add-modules " + VECTOR_MODULE + " (" + e.getMessage()
                    + "); running without it");
            return Optional.empty();
        }
        Thread hook = new Thread(child::destroy, "steering-relaunch-cleanup");
        Runtime.getRuntime().addShutdownHook(hook);
        Thread copier = new Thread(() -> copyStderr(child.getErrorStream(), System.err), "steering-relaunch-stderr");
        copier.setDaemon(true);
        copier.start();
        try {
            int code = child.waitFor();
            copier.join(5000);
            return Optional.of(code);
        } catch (InterruptedException e) {
            child.destroy();
            Thread.currentThread().interrupt();
            return Optional.of(Main.RUNTIME_ERROR);
        }
    }

    /**
     * Copies the child's stderr as it comes (progress bars included) except a first line that is the JVM's
     * incubator-module warning.
     */
    static void copyStderr(InputStream in, OutputStream out) {
        try {
            byte[] head = new byte[INCUBATOR_WARNING.length];
            int n = 0;
            int b = 0;
            while (n < head.length && (b = in.read()) >= 0) {
                head[n++] = (byte) b;
                if (head[n - 1] != INCUBATOR_WARNING[n - 1]) {
                    break;
                }
            }
            if (n == head.length && b >= 0) {
                while ((b = in.read()) >= 0 && b != '\n') {
                    // the rest of the warning line
                }
            } else {
                out.write(head, 0, n);
                out.flush();
            }
            byte[] buf = new byte[8192];
            for (int r; (r = in.read(buf)) >= 0; ) {
                out.write(buf, 0, r);
                out.flush();
            }
        } catch (IOException e) {
            // the child's stderr closed or ours did: nothing more to copy
        }
    }
}
