package dev.steering.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Protocol details of {@link HubClient}: integrity, errors, tokens, redirects, resume, URL encoding. */
class HubClientTest {
    static final String REPO = "org/tiny";
    static final String COMMIT = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
    static final ModelRef.Hub MAIN = new ModelRef.Hub(REPO);

    @TempDir
    Path tmp;
    FakeHub hub;
    HubSettings settings;
    byte[] weights = ModelLocatorTest.random(20_000, 7);

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        hub.add(REPO, "main", COMMIT, FakeHub.files(
                "config.json", "{}",
                "model.safetensors", weights,
                "tokenizer/vocab.json", "{\"a\":0}"));
        settings = new HubSettings(hub.endpoint(), Optional.empty(), tmp.resolve("cache"), false);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubClient client() {
        return new HubClient(settings, DownloadProgress.silent());
    }

    Path blobs() {
        return settings.cacheDir().resolve("models--org--tiny/blobs");
    }

    @Test
    void singleFileThenCacheHit() throws Exception {
        Path p = client().file(MAIN, "model.safetensors");
        assertEquals(settings.cacheDir().resolve("models--org--tiny/snapshots/" + COMMIT + "/model.safetensors"), p);
        assertArrayEquals(weights, Files.readAllBytes(p));
        assertEquals(COMMIT, Files.readString(settings.cacheDir().resolve("models--org--tiny/refs/main")));
        hub.clearRequests();
        assertEquals(p, client().file(MAIN, "model.safetensors"));
        assertEquals(p, new HubClient(settings.withOffline(true)).file(MAIN.withRevision(COMMIT), "model.safetensors"));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void nestedFilesGetDeeperRelativeLinks() throws Exception {
        Path dir = client().snapshot(MAIN, f -> f.endsWith(".json"));
        Path nested = dir.resolve("tokenizer/vocab.json");
        assertEquals("../../../blobs/" + FakeHub.gitSha1("{\"a\":0}".getBytes()), Files.readSymbolicLink(nested).toString());
        assertEquals("{\"a\":0}", Files.readString(nested));
        assertFalse(Files.exists(dir.resolve("model.safetensors")));
    }

    @Test
    void progressIsReported() {
        List<long[]> updates = new ArrayList<>();
        new HubClient(settings, (file, done, total) -> updates.add(new long[] {done, total})).file(MAIN, "model.safetensors");
        assertArrayEquals(new long[] {weights.length, weights.length}, updates.get(updates.size() - 1));
    }

    @Test
    void sha256MismatchIsRejectedAndLeavesNothing() throws Exception {
        hub.corrupt(weights);
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "model.safetensors"));
        String sha = FakeHub.sha256(weights);
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("expected SHA-256 " + sha),
                e.getMessage());
        try (Stream<Path> s = Files.list(blobs())) {
            assertEquals(List.of(), s.toList());
        }
        assertFalse(Files.exists(settings.cacheDir().resolve("models--org--tiny/snapshots/" + COMMIT + "/model.safetensors")));
    }

    @Test
    void leftoverIncompleteDownloadIsResumedWithRange() throws Exception {
        String sha = FakeHub.sha256(weights);
        Files.createDirectories(blobs());
        Files.write(blobs().resolve(sha + ".incomplete"), Arrays.copyOf(weights, 7000));
        Path p = client().file(MAIN, "model.safetensors");
        assertArrayEquals(weights, Files.readAllBytes(p));
        assertEquals(List.of("bytes=7000-"), hub.requests().stream()
                .filter(r -> r.server().equals("cdn")).map(FakeHub.Request::range).toList());
        assertFalse(Files.exists(blobs().resolve(sha + ".incomplete")));
    }

    @Test
    void missingFileIsNamed() {
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "pytorch_model.bin"));
        assertTrue(e.getMessage().contains("pytorch_model.bin") && e.getMessage().contains(REPO)
                && e.getMessage().contains("not found"), e.getMessage());
    }

    @Test
    void offlineMissNamesFileRepoRevisionAndCache() {
        HubException e = assertThrows(HubException.class,
                () -> new HubClient(settings.withOffline(true)).file(MAIN, "config.json"));
        String m = e.getMessage();
        assertTrue(m.contains("config.json") && m.contains(REPO) && m.contains("'main'")
                && m.contains(settings.cacheDir().toString()) && m.contains("huggingface-cli download org/tiny --revision main"), m);
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void tokenIsSentAsBearerToTheHubButNotAcrossHosts() {
        hub.requireToken("hf_secret");
        settings = settings.withToken("hf_secret");
        client().snapshot(MAIN, f -> true);
        List<FakeHub.Request> requests = hub.requests();
        assertTrue(requests.stream().anyMatch(r -> r.server().equals("cdn")));
        requests.forEach(r -> {
            if (r.server().equals("hub")) {
                assertEquals("Bearer hf_secret", r.authorization(), r.toString());
            } else {
                assertNull(r.authorization(), r.toString());
            }
        });
    }

    @Test
    void unauthorizedMentionsTokenAndGatedModels() {
        hub.requireToken("hf_secret");
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "config.json"));
        assertTrue(e.getMessage().contains("HF_TOKEN") && e.getMessage().contains("gated")
                && e.getMessage().contains("401"), e.getMessage());
    }

    @Test
    void revisionsAreUrlEncoded() throws Exception {
        hub.add(REPO, "refs/pr/1", "0000000000000000000000000000000000000001", FakeHub.files("config.json", "{\"pr\":1}"));
        Path dir = client().snapshot(MAIN.withRevision("refs/pr/1"), f -> true);
        assertEquals("{\"pr\":1}", Files.readString(dir.resolve("config.json")));
        assertTrue(hub.requests().stream().anyMatch(r -> r.rawPath().equals("/api/models/org/tiny/revision/refs%2Fpr%2F1")));
        // huggingface_hub nests refs with slashes
        assertEquals("0000000000000000000000000000000000000001",
                Files.readString(settings.cacheDir().resolve("models--org--tiny/refs/refs/pr/1")));
    }

    @Test
    void datasetsUseTheirOwnPaths() throws Exception {
        hub.add("dataset", "org/prompts", "main", COMMIT, FakeHub.files("data.json", "[1]"));
        ModelRef.Hub ds = new ModelRef.Hub("org/prompts", "main", "dataset");
        Path p = client().file(ds, "data.json");
        assertEquals(settings.cacheDir().resolve("datasets--org--prompts/snapshots/" + COMMIT + "/data.json"), p);
        assertTrue(hub.requests().stream().anyMatch(r -> r.rawPath().equals("/datasets/org/prompts/resolve/main/data.json")));
    }

    @Test
    void offlineSnapshotReturnsCachedRevision() {
        Path dir = client().snapshot(MAIN, f -> true);
        hub.clearRequests();
        assertEquals(dir, new HubClient(settings.withOffline(true)).snapshot(MAIN, f -> true));
        assertEquals(List.of(), hub.requests());
    }

    @Test
    void unsafeNamesAreRefused() {
        hub.add(REPO, "evil", "0000000000000000000000000000000000000002", FakeHub.files("../../../escape.json", "{}"));
        assertThrows(HubException.class, () -> client().snapshot(MAIN.withRevision("evil"), f -> true));
        assertFalse(Files.exists(settings.cacheDir().resolve("models--org--tiny/escape.json")));
    }

    @Test
    void concurrentDownloadsOfOneBlobFetchItOnce() throws Exception {
        var pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Path>> results = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                results.add(pool.submit(() -> client().file(MAIN, "model.safetensors")));
            }
            for (var r : results) {
                assertArrayEquals(weights, Files.readAllBytes(r.get()));
            }
        } finally {
            pool.shutdown();
        }
        assertEquals(1, hub.requests().stream().filter(r -> r.server().equals("cdn")).count());
    }

    @Test
    void unreachableHubFallsBackToTheCachedSnapshot() {
        Path dir = client().snapshot(MAIN, f -> true);
        hub.close();
        assertEquals(dir, client().snapshot(MAIN, f -> true));
        assertThrows(HubUnreachableException.class, () -> client().snapshot(MAIN.withRevision("other"), f -> true));
    }

    @Test
    void etagAndUrlHelpersMatchHuggingfaceHub() {
        assertEquals("abc", HubClient.normalizeEtag("W/\"abc\""));
        assertEquals("abc", HubClient.normalizeEtag("\"abc\""));
        assertEquals("refs%2Fpr%2F1", HubClient.encode("refs/pr/1", false));
        assertEquals("dir/a%20b.json", HubClient.encode("dir/a b.json", true));
    }
}
