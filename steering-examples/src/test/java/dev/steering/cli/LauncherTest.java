package dev.steering.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The relaunch of a plain {@code java -jar steering.jar} with the Vector API module and a larger heap. */
class LauncherTest {
    private static final List<String> ARGV = List.of("bench", "--shape", "qwen2.5-7b");

    private static Launcher.Jvm jar(List<String> jvmArgs, boolean vector) {
        return new Launcher.Jvm("/opt/jdk/bin/java", jvmArgs, "target/steering.jar bench --shape qwen2.5-7b",
                "target/steering.jar", vector);
    }

    @Test
    void aPlainJarLaunchGetsTheModuleAndTheHeapWithItsOwnOptionsAndArguments() {
        assertEquals(Optional.of(List.of("/opt/jdk/bin/java", "-Dfoo=1", "--add-modules=jdk.incubator.vector",
                        "-XX:MaxRAMPercentage=75", "-XX:+UseSerialGC", "-XX:MaxNewSize=192m",
                        "-Dsteering.relaunched=true", "-jar", "target/steering.jar", "bench", "--shape", "qwen2.5-7b")),
                Launcher.command(jar(List.of("-Dfoo=1"), false), ARGV, null, null));
    }

    @Test
    void aHeapTheUserChoseIsKept() {
        assertEquals(Optional.of(List.of("/opt/jdk/bin/java", "-Xmx8g", "--add-modules=jdk.incubator.vector",
                        "-Dsteering.relaunched=true", "-jar", "target/steering.jar", "bench", "--shape", "qwen2.5-7b")),
                Launcher.command(jar(List.of("-Xmx8g"), false), ARGV, null, null));
        assertEquals(Optional.empty(), Launcher.command(jar(List.of("-XX:MaxRAMPercentage=50",
                "--add-modules=jdk.incubator.vector"), true), ARGV, null, null), "nothing missing");
        assertEquals(Optional.of(List.of("/opt/jdk/bin/java", "-XX:+UseG1GC", "-XX:MaxRAMPercentage=75",
                        "-Dsteering.relaunched=true", "-jar", "target/steering.jar", "bench", "--shape", "qwen2.5-7b")),
                Launcher.command(jar(List.of("-XX:+UseG1GC"), true), ARGV, null, null),
                "only the heap is missing; the collector chosen is kept");
    }

    @Test
    void aMainClassLaunchKeepsItsClassPath() {
        var jvm = new Launcher.Jvm("java", List.of(), "dev.steering.cli.Main --version", "a.jar:b.jar", false);
        assertEquals(Optional.of(List.of("java", "--add-modules=jdk.incubator.vector", "-XX:MaxRAMPercentage=75",
                "-XX:+UseSerialGC", "-XX:MaxNewSize=192m", "-Dsteering.relaunched=true", "-cp", "a.jar:b.jar",
                "dev.steering.cli.Main", "--version")),
                Launcher.command(jvm, List.of("--version"), null, null));
    }

    @Test
    void noRelaunchWhenDisabledDoneDebuggedOrEmbedded() {
        assertEquals(Optional.empty(), Launcher.command(jar(List.of(), false), ARGV, "false", null));
        assertEquals(Optional.empty(), Launcher.command(jar(List.of(), false), ARGV, null, "true"));
        assertEquals(Optional.empty(), Launcher.command(jar(
                List.of("-agentlib:jdwp=transport=dt_socket,server=y,address=5005"), false), ARGV, null, null));
        assertEquals(Optional.empty(), Launcher.command(new Launcher.Jvm("java", List.of(),
                "org.example.App run", "app.jar:steering.jar", false), ARGV, null, null));
    }

    @Test
    void theIncubatorWarningIsDroppedAndEverythingElseCopied() {
        String warning = "WARNING: Using incubator modules: jdk.incubator.vector\n";
        assertEquals("progress 10%\rprogress 20%\nsteering bench: done\n",
                copy(warning + "progress 10%\rprogress 20%\nsteering bench: done\n"));
        assertEquals("WARNING: something else\n", copy("WARNING: something else\n"));
        assertEquals("WARN", copy("WARN"));
        assertEquals("", copy(""));
    }

    private static String copy(String stderr) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Launcher.copyStderr(new ByteArrayInputStream(stderr.getBytes(StandardCharsets.UTF_8)), out);
        return out.toString(StandardCharsets.UTF_8);
    }

    /** A real launch without the module or a heap flag runs its command in a child that has both. */
    @Test
    void theRelaunchedProcessHasTheVectorModule() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "--version"));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("Vector API on"), out);
        assertTrue(!out.contains("WARNING: Using incubator modules"), out);
        cmd.add(1, "-Dsteering.relaunch=false");
        Process q = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String plain = new String(q.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(q.waitFor(60, TimeUnit.SECONDS), plain);
        assertTrue(plain.contains("Vector API off"), plain);
    }
}
