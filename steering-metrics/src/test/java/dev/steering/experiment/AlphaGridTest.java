package dev.steering.experiment;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code experiment.alphas}: one grid per intervention. */
class AlphaGridTest {
    private static ExperimentConfig load(String... overrides) {
        return ExperimentConfig.load("smoke", List.of(overrides),
                ExperimentConfig.BundledConfigs.classpath(List.of("smoke")));
    }

    @Test
    void eachInterventionHasItsOwnGrid() {
        ExperimentConfig c = load("experiment.alphas={add: [0, 8, 16], ablate: [0, 0.5, 1]}");
        assertEquals(List.of(0.0, 8.0, 16.0), c.experiment().alphas().of("add"));
        assertEquals(List.of(0.0, 0.5, 1.0), c.experiment().alphas().of("ablate"));
        ExperimentConfig again = ExperimentConfig.load(YamlConfig.read(write(c.toYaml()),
                ExperimentConfig.BundledConfigs.classpath(List.of())), List.of());
        assertEquals(c.experiment().alphas(), again.experiment().alphas(), "the saved config.yaml reads back");
    }

    @Test
    void aListIsTheAddGridAndAblateKeepsItsDefault() {
        ExperimentConfig c = load("experiment.alphas=[0, 8, 28]");
        assertEquals(List.of(0.0, 8.0, 28.0), c.experiment().alphas().of("add"));
        assertEquals(ExperimentConfig.Alphas.DEFAULT_ABLATE, c.experiment().alphas().of("ablate"),
                "the add grid's large alphas never reach ablate");
        assertTrue(c.experiment().alphas().of("ablate").stream().allMatch(a -> a <= 1));
    }

    @Test
    void overSubtractionOnlyWhenAskedAndNamed() {
        ExperimentConfig c = load("experiment.alphas={add: [4], ablate: [1, 1.5]}");
        assertEquals(List.of(1.0, 1.5), c.experiment().alphas().of("ablate"));
        assertTrue(ExperimentConfig.Alphas.isOverSubtraction("ablate", 1.5));
        assertFalse(ExperimentConfig.Alphas.isOverSubtraction("ablate", 1));
        assertFalse(ExperimentConfig.Alphas.isOverSubtraction("add", 20));
        assertEquals("L2 ablate α=1.5 (over-subtraction)", new dev.steering.report.Setting(2, "ablate", 1.5).label());
    }

    @Test
    void badGridsAreErrorsNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> load("experiment.alphas={add: [4], ablate: [-1]}"));
        assertTrue(e.getMessage().contains("experiment.alphas.ablate"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load("experiment.alphas={add: [4], steer: [1]}"));
        assertTrue(e.getMessage().contains("experiment.alphas.steer"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load("experiment.alphas={add: [], ablate: [1]}"));
        assertTrue(e.getMessage().contains("experiment.alphas.add"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> load("experiment.alphas={add: [x]}"));
        assertTrue(e.getMessage().contains("experiment.alphas.add"), e.getMessage());
    }

    private static String write(String yaml) {
        try {
            java.nio.file.Path f = java.nio.file.Files.createTempFile("cfg", ".yaml");
            java.nio.file.Files.writeString(f, yaml);
            f.toFile().deleteOnExit();
            return f.toString();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
