package dev.steering.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The jar's entry point picks libnd4j's oneDNN build where the CPU can run it, and respects the user's choice. */
class NativeBuildChoiceTest {

    @Test
    void prefersOneDnnOnAvx2MachinesUnlessTheUserChose() throws Exception {
        String old = System.getProperty(Main.PLATFORM_EXTENSION);
        try {
            System.setProperty(Main.PLATFORM_EXTENSION, "");          // the user asked for the plain build
            Main.preferOneDnn();
            assertEquals("", System.getProperty(Main.PLATFORM_EXTENSION));

            System.clearProperty(Main.PLATFORM_EXTENSION);
            Main.preferOneDnn();
            Path cpuinfo = Path.of("/proc/cpuinfo");
            boolean avx2 = Files.isReadable(cpuinfo) && Files.readAllLines(cpuinfo).stream()
                    .filter(l -> l.startsWith("flags")).findFirst()
                    .map(l -> l.contains(" avx2") && l.contains(" fma")).orElse(false);
            // the oneDNN build is on the test class path (a dependency of this module)
            assertEquals(avx2 ? "-onednn-avx2" : null, System.getProperty(Main.PLATFORM_EXTENSION));
        } finally {
            if (old == null) {
                System.clearProperty(Main.PLATFORM_EXTENSION);
            } else {
                System.setProperty(Main.PLATFORM_EXTENSION, old);
            }
        }
    }
}
