package dev.steering.hub;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelRefTest {

    @Test
    void existingDirectoryWins(@TempDir Path dir) throws Exception {
        Path model = Files.createDirectories(dir.resolve("pythia-160m"));
        assertEquals(new ModelRef.Local(model), ModelRef.parse(model.toString()));
        assertEquals(model.toAbsolutePath(), ((ModelRef.Local) ModelRef.parse(model + "/")).dir());
    }

    @Test
    void aliasesAreCaseInsensitiveAndTakeRevisions() {
        assertEquals(new ModelRef.Hub("EleutherAI/pythia-160m", "main", "model"), ModelRef.parse("pythia-160m"));
        assertEquals(new ModelRef.Hub("openai-community/gpt2-medium"), ModelRef.parse("GPT2-Medium"));
        assertEquals(new ModelRef.Hub("EleutherAI/pythia-160m", "step3000"), ModelRef.parse("pythia-160m@step3000"));
    }

    @Test
    void repoIdsWithAndWithoutRevision() {
        assertEquals(new ModelRef.Hub("EleutherAI/pythia-160m", "main", "model"), ModelRef.parse("EleutherAI/pythia-160m"));
        assertEquals(new ModelRef.Hub("EleutherAI/pythia-160m", "step3000", "model"),
                ModelRef.parse("EleutherAI/pythia-160m@step3000"));
        assertEquals("refs/pr/1", ((ModelRef.Hub) ModelRef.parse("org/model.v2@refs/pr/1")).revision());
        String sha = "0123456789abcdef0123456789abcdef01234567";
        assertEquals(sha, ((ModelRef.Hub) ModelRef.parse("Qwen/Qwen2.5-0.5B-Instruct@" + sha)).revision());
        assertEquals(new ModelRef.Hub("stanfordnlp/imdb", "main", "dataset"), ModelRef.parse("datasets/stanfordnlp/imdb"));
        assertEquals("datasets/stanfordnlp/imdb@main", ModelRef.parse("datasets/stanfordnlp/imdb").toString());
    }

    @Test
    void hubDefaults() {
        assertEquals(new ModelRef.Hub("a/b", "main", "model"), new ModelRef.Hub("a/b", null, null));
        assertThrows(HubException.class, () -> new ModelRef.Hub("a/b", "main", "space"));
    }

    @Test
    void anythingElseExplainsTheAcceptedForms() {
        for (String bad : new String[] {"", "  ", "not-an-alias", "a/b/c", "org/na me", "org/name@", "org--x/y", "./no/such/dir"}) {
            HubException e = assertThrows(HubException.class, () -> ModelRef.parse(bad), bad);
            assertTrue(e.getMessage().contains("Accepted forms") && e.getMessage().contains("org/name@revision"),
                    e.getMessage());
        }
        assertTrue(assertThrows(HubException.class, () -> ModelRef.parse("/no/such/dir")).getMessage()
                .contains("no such directory"));
    }
}
