package dev.steering.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** End-to-end resolution against {@link FakeHub}, checking the exact huggingface_hub cache layout. */
class ModelLocatorTest {
    static final String REPO = "EleutherAI/pythia-160m";
    static final String MAIN = "1111111111111111111111111111111111111111";
    static final String STEP3000 = "3333333333333333333333333333333333333333";

    @TempDir
    Path tmp;
    FakeHub hub;
    HubSettings settings;
    byte[] weights;
    String config = "{\"model_type\":\"gpt_neox\",\"hidden_size\":8}";

    @BeforeEach
    void start() throws Exception {
        weights = random(5000, 1);
        hub = new FakeHub();
        hub.add(REPO, "main", MAIN, FakeHub.files(
                "config.json", config,
                "tokenizer.json", "{\"model\":{}}",
                "tokenizer_config.json", "{}",
                "special_tokens_map.json", "{\"eos_token\":\"<|endoftext|>\"}",
                "model.safetensors", weights,
                "pytorch_model.bin", random(100, 2),
                "README.md", "# not wanted"));
        hub.add(REPO, "step3000", STEP3000, FakeHub.files(
                "config.json", config,
                "tokenizer.json", "{\"model\":{}}",
                "model.safetensors", random(4000, 3)));
        settings = new HubSettings(hub.endpoint(), Optional.empty(), tmp.resolve("hub"), false);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    Path repoDir() {
        return settings.cacheDir().resolve("models--EleutherAI--pythia-160m");
    }

    Path locate(String spec) {
        return ModelLocator.locate(spec, settings, DownloadProgress.silent());
    }

    @Test
    void freshDownloadCreatesTheHuggingfaceHubLayout() throws Exception {
        Path dir = locate(REPO);
        assertEquals(repoDir().resolve("snapshots").resolve(MAIN), dir);
        assertEquals(MAIN, Files.readString(repoDir().resolve("refs/main")));

        Path link = dir.resolve("model.safetensors");
        assertTrue(Files.isSymbolicLink(link));
        String sha = FakeHub.sha256(weights);
        assertEquals(Path.of("../../blobs/" + sha), Files.readSymbolicLink(link));
        assertArrayEquals(weights, Files.readAllBytes(link));
        assertArrayEquals(weights, Files.readAllBytes(repoDir().resolve("blobs").resolve(sha)));

        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        assertEquals(Path.of("../../blobs/" + FakeHub.gitSha1(configBytes)), Files.readSymbolicLink(dir.resolve("config.json")));

        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("config.json", "model.safetensors", "special_tokens_map.json", "tokenizer.json",
                    "tokenizer_config.json"), s.map(p -> p.getFileName().toString()).sorted().toList());
        }
        try (Stream<Path> s = Files.list(repoDir().resolve("blobs"))) {
            assertEquals(5, s.count(), "one blob per file, no .incomplete left");
        }
        // files the repository lacks are remembered like huggingface_hub does
        assertTrue(Files.exists(repoDir().resolve(".no_exist").resolve(MAIN).resolve("generation_config.json")));
        assertFalse(Files.exists(repoDir().resolve(".no_exist").resolve(MAIN).resolve("tokenizer.json")));
        // the LFS file came from the CDN, after a HEAD on the hub
        assertTrue(hub.requests().stream().anyMatch(r -> r.server().equals("cdn") && r.method().equals("GET")));
    }

    @Test
    void secondCallMakesNoHttpRequests() {
        Path first = locate("pythia-160m");
        hub.clearRequests();
        assertEquals(first, locate("pythia-160m"));
        assertEquals(first, locate(REPO + "@main"));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void offlineHitAndOfflineMiss() {
        Path dir = locate(REPO);
        hub.clearRequests();
        settings = settings.withOffline(true);
        assertEquals(dir, locate(REPO));
        assertEquals(List.of(), hub.requests());

        HubException e = assertThrows(HubException.class, () -> locate(REPO + "@step3000"));
        String m = e.getMessage();
        assertTrue(m.contains("config.json") && m.contains(REPO) && m.contains("step3000")
                && m.contains(repoDir().toString()) && m.contains("huggingface-cli download " + REPO + " --revision step3000")
                && m.contains("HF_HUB_OFFLINE") && m.contains("local model directory"), m);
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void offlineUsesASnapshotThatLacksOnlyOptionalFiles() throws Exception {
        Path dir = locate(REPO);
        Files.delete(dir.resolve("tokenizer_config.json"));
        settings = settings.withOffline(true);
        assertEquals(dir, locate(REPO));
        Files.delete(dir.resolve("model.safetensors"));
        HubException e = assertThrows(HubException.class, () -> locate(REPO));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
    }

    @Test
    void trainingCheckpointRevision() throws Exception {
        Path main = locate(REPO);
        Path step = locate("pythia-160m@step3000");
        assertEquals(repoDir().resolve("snapshots").resolve(STEP3000), step);
        assertEquals(STEP3000, Files.readString(repoDir().resolve("refs/step3000")));
        assertEquals(MAIN, Files.readString(repoDir().resolve("refs/main")));
        // config.json is identical in both commits: one shared blob
        assertEquals(Files.readSymbolicLink(main.resolve("config.json")), Files.readSymbolicLink(step.resolve("config.json")));
        assertFalse(Files.exists(step.resolve("pytorch_model.bin")));
    }

    @Test
    void commitShaRevisionWritesNoRefAndIsServedFromCacheAfterwards() throws Exception {
        Path dir = locate(REPO + "@" + STEP3000);
        assertEquals(repoDir().resolve("snapshots").resolve(STEP3000), dir);
        assertFalse(Files.exists(repoDir().resolve("refs").resolve(STEP3000)));
        hub.clearRequests();
        assertEquals(dir, locate(REPO + "@" + STEP3000));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void shardedCheckpointDownloadsEveryShardOfTheWeightMap() throws Exception {
        String index = "{\"metadata\":{\"total_size\":3000},\"weight_map\":{"
                + "\"a.weight\":\"model-00001-of-00002.safetensors\","
                + "\"b.weight\":\"model-00002-of-00002.safetensors\","
                + "\"c.weight\":\"model-00001-of-00002.safetensors\"}}";
        hub.add("Qwen/Qwen2.5-0.5B-Instruct", "main", "2222222222222222222222222222222222222222", FakeHub.files(
                "config.json", "{}",
                "generation_config.json", "{}",
                "model.safetensors.index.json", index,
                "model-00001-of-00002.safetensors", random(2000, 4),
                "model-00002-of-00002.safetensors", random(1000, 5),
                "model-00001-of-00009.safetensors", random(10, 6)));
        Path dir = locate("qwen2.5-0.5b-instruct");
        assertTrue(Files.exists(dir.resolve("model-00001-of-00002.safetensors")));
        assertTrue(Files.exists(dir.resolve("model-00002-of-00002.safetensors")));
        assertTrue(Files.exists(dir.resolve("generation_config.json")));
        assertFalse(Files.exists(dir.resolve("model-00001-of-00009.safetensors")), "not in the weight map");
        hub.clearRequests();
        assertEquals(dir, locate("Qwen/Qwen2.5-0.5B-Instruct"));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void pythonPopulatedCacheIsReusedWithoutNetwork() throws Exception {
        // Built by hand exactly as huggingface_hub + transformers leave it.
        String commit = "9999999999999999999999999999999999999999";
        Path repo = settings.cacheDir().resolve("models--openai-community--gpt2");
        Path blobs = Files.createDirectories(repo.resolve("blobs"));
        Path snapshot = Files.createDirectories(repo.resolve("snapshots").resolve(commit));
        Files.createDirectories(repo.resolve("refs"));
        Files.writeString(repo.resolve("refs/main"), commit);
        Map<String, String> files = Map.of("config.json", "{\"model_type\":\"gpt2\"}", "model.safetensors", "weights",
                "tokenizer.json", "{}", "vocab.json", "{}", "merges.txt", "#version: 0.2");
        for (var f : files.entrySet()) {
            String etag = FakeHub.gitSha1(f.getValue().getBytes(StandardCharsets.UTF_8));
            Files.writeString(blobs.resolve(etag), f.getValue());
            Files.createSymbolicLink(snapshot.resolve(f.getKey()), Path.of("../../blobs/" + etag));
        }
        Path noExist = Files.createDirectories(repo.resolve(".no_exist").resolve(commit));
        for (String f : List.of("tokenizer_config.json", "special_tokens_map.json", "generation_config.json",
                "chat_template.jinja")) {
            Files.createFile(noExist.resolve(f));
        }
        assertEquals(snapshot, locate("gpt2"));
        assertEquals(List.of(), hub.requests(), "gpt2 is not even on the fake hub");
    }

    @Test
    void localDirectory() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("my-model"));
        HubException e = assertThrows(HubException.class, () -> locate(dir.toString()));
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        Files.writeString(dir.resolve("config.json"), "{}");
        assertEquals(dir, locate(dir.toString()));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void missingRepositoryAndRevisionAreNamed() {
        HubException e = assertThrows(HubException.class, () -> locate("nobody/nothing"));
        assertTrue(e.getMessage().contains("nobody/nothing") && e.getMessage().contains("not found"), e.getMessage());
        e = assertThrows(HubException.class, () -> locate(REPO + "@step999"));
        assertTrue(e.getMessage().contains("step999") && e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void unreachableEndpointSuggestsOfflineMode() throws Exception {
        hub.close();
        HubException e = assertThrows(HubUnreachableException.class, () -> locate(REPO));
        assertTrue(e.getMessage().contains("HF_HUB_OFFLINE=1") && e.getMessage().contains(hub.endpoint().getAuthority())
                && e.getMessage().contains("local model directory"), e.getMessage());
    }
}
