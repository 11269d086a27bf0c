package dev.steering.hub;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link HubClient} against a local hub that misbehaves: integrity of the cache, timeouts, retries, redirects. */
@Timeout(30)
class HubFaultTest {
    static final String REPO = "org/tiny";
    static final String COMMIT = "abcdefabcdefabcdefabcdefabcdefabcdefabcd";
    static final ModelRef.Hub MAIN = new ModelRef.Hub(REPO);
    static final String CONFIG = "{\"model_type\": \"gpt2\", \"n_layer\": 2}";

    @TempDir
    Path tmp;
    FakeHub hub;
    HubSettings settings;
    byte[] weights = ModelLocatorTest.random(200_000, 3);
    /** Fast retries and a short read timeout, so that the tests take well under a second each. */
    HttpPolicy policy = new HttpPolicy(Duration.ofSeconds(5), Duration.ofMillis(500), 3, Duration.ofMillis(10),
            Duration.ofSeconds(5));

    @BeforeEach
    void start() throws Exception {
        hub = new FakeHub();
        hub.add(REPO, "main", COMMIT, FakeHub.files("config.json", CONFIG, "model.safetensors", weights));
        settings = new HubSettings(hub.endpoint(), Optional.empty(), tmp.resolve("cache"), false);
    }

    @AfterEach
    void stop() {
        hub.close();
    }

    HubClient client() {
        return new HubClient(settings, DownloadProgress.silent(), policy);
    }

    Path snapshotFile(String name) {
        return settings.cacheDir().resolve("models--org--tiny/snapshots/" + COMMIT + "/" + name);
    }

    /** Asserts that no blob (complete or not) and no snapshot entry for {@code name} is in the cache. */
    void assertNotCached(String name) throws Exception {
        assertFalse(Files.exists(snapshotFile(name)), name + " in the snapshot");
        Path blobs = settings.cacheDir().resolve("models--org--tiny/blobs");
        if (Files.isDirectory(blobs)) {
            try (Stream<Path> s = Files.list(blobs)) {
                assertEquals(List.of(), s.filter(p -> !p.toString().endsWith(".incomplete")).toList());
            }
        }
    }

    long cdnGets() {
        return hub.requests().stream().filter(r -> r.server().equals("cdn") && r.method().equals("GET")).count();
    }

    @Test
    void corruptNonLfsFileFailsItsGitBlobSha1AndIsNotCached() throws Exception {
        hub.corrupt(CONFIG.getBytes());
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "config.json"));
        assertTrue(e.getMessage().contains("config.json") && e.getMessage().contains("is corrupt")
                && e.getMessage().contains("expected git blob SHA-1 " + FakeHub.gitSha1(CONFIG.getBytes())), e.getMessage());
        assertNotCached("config.json");
        // offline afterwards: nothing corrupt is reused
        assertThrows(HubException.class, () -> new HubClient(settings.withOffline(true)).file(MAIN.withRevision(COMMIT), "config.json"));
    }

    @Test
    void gitBlobSha1IsGitsObjectId() throws Exception {
        Path f = Files.writeString(tmp.resolve("hello"), "hello\n");
        // `printf 'hello\n' | git hash-object --stdin`
        assertEquals("ce013625030ba8dba906f756967f9e9ca394464a", HubClient.gitBlobSha1(f, 6));
    }

    @Test
    void corruptLfsFileFailsItsSha256() throws Exception {
        hub.corrupt(weights);
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "model.safetensors"));
        assertTrue(e.getMessage().contains("expected SHA-256 " + FakeHub.sha256(weights)), e.getMessage());
        assertNotCached("model.safetensors");
    }

    @Test
    void truncatedDownloadsResumeWithRangeAndSucceed() throws Exception {
        hub.breakNext("/lfs/" + FakeHub.sha256(weights), 1, FakeHub.FaultKind.TRUNCATE, 70_000);
        hub.breakNext("/config.json", 1, FakeHub.FaultKind.TRUNCATE, 5);
        assertArrayEquals(weights, Files.readAllBytes(client().file(MAIN, "model.safetensors")));
        assertEquals(CONFIG, Files.readString(client().file(MAIN, "config.json")));
        List<String> ranges = hub.requests().stream().filter(r -> r.server().equals("cdn")).map(FakeHub.Request::range).toList();
        assertEquals(2, ranges.size(), ranges.toString());
        assertTrue(ranges.get(1) != null && ranges.get(1).startsWith("bytes="), "resumed: " + ranges);
    }

    @Test
    void truncationOnEveryAttemptNamesTheTransferNotTheCache() throws Exception {
        hub.breakNext("/lfs/" + FakeHub.sha256(weights), 10, FakeHub.FaultKind.TRUNCATE, 0);
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "model.safetensors"));
        String m = e.getMessage();
        assertTrue(m.contains("Download of model.safetensors") && m.contains("failed 3 times")
                && m.contains("of " + weights.length + " bytes") && m.contains("Nothing was stored"), m);
        assertFalse(m.contains("Cannot store"), m);
        // three attempts of ours ("failed 3 times" above); the JDK's HttpClient may itself resend an idempotent GET
        // once when the connection it reused was closed under it, which the server then sees as one more request
        long gets = cdnGets();
        assertTrue(gets >= 3 && gets <= 6, gets + " GETs for 3 attempts");
        assertNotCached("model.safetensors");
    }

    @Test
    void stalledBodyTimesOutThenResumes() throws Exception {
        hub.breakNext("/lfs/" + FakeHub.sha256(weights), 1, FakeHub.FaultKind.STALL, 50_000);
        assertArrayEquals(weights, Files.readAllBytes(client().file(MAIN, "model.safetensors")));
        assertEquals(2, cdnGets());
    }

    @Test
    void requestsWhoseHeadersNeverComeTimeOutAndAreRetried() throws Exception {
        hub.hangNext("GET", "/revision/main", 1);
        hub.hangNext("HEAD", "/config.json", 1);
        Path dir = client().snapshot(MAIN, f -> f.equals("config.json"));
        assertEquals(CONFIG, Files.readString(dir.resolve("config.json")));
        hub.hangNext("HEAD", "/model.safetensors", 5);
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "model.safetensors"));
        assertTrue(e.getMessage().contains("failed 3 times") && e.getMessage().contains("read timeout"), e.getMessage());
    }

    @Test
    void stallOnEveryAttemptFailsSayingSo() throws Exception {
        hub.breakNext("/config.json", 10, FakeHub.FaultKind.STALL, 3);
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "config.json"));
        assertTrue(e.getMessage().contains("read timeout") && e.getMessage().contains("config.json"), e.getMessage());
        assertNotCached("config.json");
    }

    @Test
    void rateLimitAndUnavailableAreRetriedHonouringRetryAfter() throws Exception {
        hub.failNext("GET", "/revision/main", 1, 429, "1");
        hub.failNext("HEAD", "/config.json", 1, 503, null);
        hub.failNext("GET", "/lfs/" + FakeHub.sha256(weights), 2, 503, "0");
        long start = System.nanoTime();
        Path dir = client().snapshot(MAIN, f -> true);
        long elapsedMs = (System.nanoTime() - start) / 1_000_000;
        assertTrue(elapsedMs >= 1000, "waited for Retry-After: 1 (" + elapsedMs + " ms)");
        assertEquals(CONFIG, Files.readString(dir.resolve("config.json")));
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertEquals(3, cdnGets());
    }

    @Test
    void persistentErrorsGiveUpAfterTheAttempts() {
        hub.failNext("HEAD", "/config.json", 10, 500, null);
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "config.json"));
        assertTrue(e.getMessage().contains("HTTP 500") && e.getMessage().contains("(3 attempts)"), e.getMessage());
        assertEquals(3, hub.requests().size());
        hub.failNext("HEAD", "/model.safetensors", 1, 429, "3600");
        e = assertThrows(HubException.class, () -> client().file(MAIN, "model.safetensors"));
        assertTrue(e.getMessage().contains("retry after 3600 s"), e.getMessage());
    }

    @Test
    void notFoundIsNotRetried() {
        assertThrows(HubException.class, () -> client().file(MAIN, "missing.json"));
        assertEquals(1, hub.requests().size());
    }

    @Test
    void retryAfterAcceptsSecondsAndHttpDates() {
        assertEquals(Optional.of(Duration.ofSeconds(7)), HubClient.retryAfter(" 7 "));
        assertEquals(Optional.of(Duration.ZERO), HubClient.retryAfter("Wed, 21 Oct 2015 07:28:00 GMT"));
        assertEquals(Optional.empty(), HubClient.retryAfter("soon"));
    }

    @Test
    void invalidSizeHeaderIsNamed() {
        hub.overrideHeader("model.safetensors", "X-Linked-Size", "abc");
        HubException e = assertThrows(HubException.class, () -> client().file(MAIN, "model.safetensors"));
        assertTrue(e.getMessage().contains("invalid X-Linked-Size header 'abc'"), e.getMessage());
    }

    @Test
    void renamedRepositoriesAreFollowedThroughRelativeRedirects() throws Exception {
        hub.rename("old/name", REPO);
        ModelRef.Hub old = new ModelRef.Hub("old/name");
        Path dir = client().snapshot(old, f -> true);
        assertArrayEquals(weights, Files.readAllBytes(dir.resolve("model.safetensors")));
        assertEquals(CONFIG, Files.readString(dir.resolve("config.json")));
        assertTrue(hub.requests().stream().anyMatch(r -> r.rawPath().startsWith("/old/name/resolve/")));
    }

    @Test
    void redirectLoopsEnd() {
        hub.rename("a/loop", "b/loop");
        hub.rename("b/loop", "a/loop");
        HubException e = assertThrows(HubException.class, () -> client().file(new ModelRef.Hub("a/loop"), "config.json"));
        assertTrue(e.getMessage().contains("Too many redirects"), e.getMessage());
    }

    @Test
    void policyFromEnvironment() {
        assertEquals(HttpPolicy.defaults(), HttpPolicy.fromEnvironment(java.util.Map.of()));
        assertEquals(Duration.ofMillis(2500),
                HttpPolicy.fromEnvironment(java.util.Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "2.5")).readTimeout());
        HubException e = assertThrows(HubException.class,
                () -> HttpPolicy.fromEnvironment(java.util.Map.of("HF_HUB_DOWNLOAD_TIMEOUT", "-1")));
        assertTrue(e.getMessage().contains("HF_HUB_DOWNLOAD_TIMEOUT=-1"), e.getMessage());
    }
}
