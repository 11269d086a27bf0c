package dev.steering;

import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Shared models: closing a use never breaks another use or a later load; unload frees the shared copy. */
class SteeringSharingTest {
    private static final String DIR = Reference.fixture("gpt-neox-tiny").toString();

    @AfterEach
    void clear() {
        Steering.clear();
    }

    @Test
    void closingALoadedModelKeepsTheSharedCopyWorking() {
        LanguageModel first;
        try (LanguageModel m = Steering.load(DIR)) {
            first = m;
        }
        assertFalse(first.isClosed(), "the shared copy outlives one user's close");
        try (LanguageModel again = Steering.load(DIR)) {
            assertSame(first, again, "reused, not reloaded");
        }
        SteeredModel s = Steering.model(DIR).baseline();
        assertSame(first, s.model());
        assertFalse(s.generate(java.util.List.of("a"), dev.steering.generate.GenerationConfig.greedy(2)).isEmpty());
    }

    private static LanguageModel fresh(String dir) {
        LanguageModel m = Steering.load(dir);
        m.close();
        Steering.clear();
        return m;
    }

    @Test
    void unloadFreesTheSharedCopyOnceItsUsersClose() {
        LanguageModel held = Steering.load(DIR);
        assertTrue(Steering.unload(DIR));
        assertFalse(held.isClosed(), "a user still holds it");
        held.close();
        assertTrue(held.isClosed());
        try (LanguageModel fresh = Steering.load(DIR)) {
            assertNotSame(held, fresh);
            assertFalse(fresh.isClosed());
        }
        Steering.clear();
        assertTrue(fresh(DIR).isClosed(), "clear frees a copy nobody holds");
    }
}
