package dev.steering.hub;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code bundled:NAME} specs resolve through {@link ModelLocator} from class-path resources {@code models/NAME/}. */
class BundledModelsTest {
    @TempDir
    Path cache;

    @BeforeEach
    void useTemporaryCache() {
        System.setProperty(BundledModels.CACHE_PROPERTY, cache.toString());
    }

    @AfterEach
    void restore() {
        System.clearProperty(BundledModels.CACHE_PROPERTY);
    }

    @Test
    void unpacksTheResourcesOnceIntoAContentNamedFolder() throws Exception {
        Path dir = ModelLocator.locate("bundled:locator-test");
        assertTrue(dir.startsWith(cache.resolve("models")), dir.toString());
        assertTrue(dir.getFileName().toString().matches("locator-test-[0-9a-f]{12}"), dir.toString());
        assertEquals("{\"model_type\": \"gpt_neox\"}", Files.readString(dir.resolve("config.json")).strip());
        assertTrue(Files.exists(dir.resolve("tokenizer.json")));
        assertFalse(Files.exists(dir.resolve("model.safetensors")), "only the files the resource folder has");
        long t = Files.getLastModifiedTime(dir.resolve("config.json")).toMillis();
        assertEquals(dir, ModelLocator.locate("bundled:locator-test"));
        assertEquals(t, Files.getLastModifiedTime(dir.resolve("config.json")).toMillis(), "not copied again");
        try (var s = Files.list(dir)) {
            assertEquals(2, s.count(), "no temporary files left");
        }
    }

    @Test
    void anUnknownNameIsAnErrorNamingTheResource() {
        assertTrue(BundledModels.exists("bundled:locator-test"));
        assertFalse(BundledModels.exists("bundled:nope"));
        assertFalse(BundledModels.exists("pythia-160m"));
        HubException e = assertThrows(HubException.class, () -> ModelLocator.locate("bundled:nope"));
        assertTrue(e.getMessage().contains("no bundled model 'nope'") && e.getMessage().contains("models/nope/config.json"),
                e.getMessage());
        assertThrows(HubException.class, () -> ModelLocator.locate("bundled:"));
    }
}
