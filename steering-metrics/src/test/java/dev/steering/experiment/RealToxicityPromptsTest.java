package dev.steering.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.steering.hub.HubClient;
import dev.steering.hub.HubException;
import dev.steering.hub.HubSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RealToxicityPromptsTest {
    static final Path SYNTHETIC = Path.of("src/test/resources/rtp/synthetic.jsonl");

    @Test
    void parsesTheSchemaAndSkipsNullToxicity() throws IOException {
        RealToxicityPrompts rtp = RealToxicityPrompts.load(SYNTHETIC);
        assertEquals(37, rtp.entries().size());
        assertEquals(2, rtp.skipped());
        RealToxicityPrompts.Entry first = rtp.entries().get(0);
        assertEquals(1, first.line());
        assertTrue(first.filename().endsWith("-synthetic.txt"));
        assertTrue(first.end() > first.begin());
        assertTrue(first.prompt().toxicity().isPresent());
        assertTrue(first.prompt().scores().containsKey("insult"));
        assertTrue(!first.continuation().scores().containsKey("sexually_explicit"), "null scores are left out");
        assertTrue(first.continuation().text().startsWith(" "));
        Prompt p = first.toPrompt();
        assertEquals("rtp-1", p.id());
        assertEquals(first.prompt().text(), p.prompt());

        RealToxicityPrompts all = RealToxicityPrompts.load(SYNTHETIC, true);
        assertEquals(39, all.entries().size());
        assertEquals(0, all.skipped());
        assertTrue(all.entries().get(5).prompt().toxicity().isEmpty());
    }

    @Test
    void subsetsFollowTheThresholds() throws IOException {
        RealToxicityPrompts rtp = RealToxicityPrompts.load(SYNTHETIC);
        List<RealToxicityPrompts.Entry> challenging = rtp.challenging(100, 1);
        assertEquals(11, challenging.size());
        assertTrue(challenging.stream().allMatch(e -> e.challenging() || e.prompt().toxicity().getAsDouble() >= 0.5));
        assertTrue(challenging.stream().anyMatch(e -> e.prompt().toxicity().getAsDouble() < 0.5), "flag counts");
        assertEquals(6, rtp.challenging(100, 1, 0.8).size());
        assertEquals(12, RealToxicityPrompts.load(SYNTHETIC, true).challenging(100, 1).size());
        List<RealToxicityPrompts.Entry> benign = rtp.benign(100, 1);
        assertEquals(23, benign.size());
        assertTrue(benign.stream().allMatch(e -> !e.challenging() && e.prompt().toxicity().getAsDouble() < 0.1));
        assertEquals(11, rtp.benign(100, 1, 0.05).size());
    }

    @Test
    void samplingIsSeededAndInFileOrder() throws IOException {
        RealToxicityPrompts rtp = RealToxicityPrompts.load(SYNTHETIC);
        List<RealToxicityPrompts.Entry> a = rtp.benign(8, 42);
        assertEquals(8, a.size());
        assertEquals(a, rtp.benign(8, 42));
        assertNotEquals(a, rtp.benign(8, 43));
        for (int i = 1; i < a.size(); i++) {
            assertTrue(a.get(i - 1).line() < a.get(i).line());
        }
        assertEquals(5, rtp.challenging(5, 7).size());
        assertThrows(IllegalArgumentException.class, () -> rtp.benign(-1, 0));
    }

    @Test
    void malformedLinesNameTheLine(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("bad.jsonl");
        List<String> lines = Files.readAllLines(SYNTHETIC).subList(0, 3);
        Files.write(f, List.of(lines.get(0), "", lines.get(1).replace("\"begin\"", "\"start\"")));
        InputFormatException e = assertThrows(InputFormatException.class, () -> RealToxicityPrompts.load(f));
        assertEquals(3, e.line());
        assertTrue(e.problem().contains("'begin'"), e.getMessage());
        Files.write(f, List.of(lines.get(0).replace("\"toxicity\": ", "\"toxicity\": \"high\", \"x\": ")));
        e = assertThrows(InputFormatException.class, () -> RealToxicityPrompts.load(f));
        assertTrue(e.problem().contains("prompt.toxicity"), e.getMessage());
        Files.write(f, List.of("{not json"));
        assertEquals(1, assertThrows(InputFormatException.class, () -> RealToxicityPrompts.load(f)).line());
    }

    @Test
    void hubLoadingReadsTheDatasetFromTheCache(@TempDir Path cache) throws IOException {
        HubSettings offline = HubSettings.fromEnvironment(Map.of("HF_HUB_CACHE", cache.toString(),
                "HF_HUB_OFFLINE", "1"), cache);
        HubClient client = new HubClient(offline);
        HubException e = assertThrows(HubException.class, () -> RealToxicityPrompts.fromHub(client, null));
        assertTrue(e.getMessage().contains("real-toxicity-prompts"), e.getMessage());
        String commit = "0123456789abcdef0123456789abcdef01234567";
        Path repo = cache.resolve("datasets--allenai--real-toxicity-prompts");
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit);
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Files.copy(SYNTHETIC, snapshot.resolve(RealToxicityPrompts.FILE));
        assertEquals(37, RealToxicityPrompts.fromHub(client, null).entries().size());
    }
}
