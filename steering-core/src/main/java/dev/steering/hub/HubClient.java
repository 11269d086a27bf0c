package dev.steering.hub;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Downloads files from the Hugging Face hub into huggingface_hub's cache layout (see {@code docs/hub.md}),
 * so that models downloaded by Python are reused and vice versa.
 *
 * <p>Protocol: {@code GET {endpoint}/api/{models|datasets}/{repo}/revision/{rev}} for the commit and file list;
 * {@code HEAD} then {@code GET {endpoint}/[datasets/]{repo}/resolve/{rev}/{file}} for each file, reading
 * {@code X-Repo-Commit}, {@code X-Linked-Etag}/{@code ETag} and {@code X-Linked-Size}/{@code Content-Length}.
 * Redirects are followed; the token is only ever sent to the endpoint's own origin. Every file is verified before
 * it enters the cache: its size, and its SHA-256 (LFS files) or git blob SHA-1 (other files) against the ETag.
 * Timeouts and retries follow an {@link HttpPolicy}.
 *
 * <p>A file already in the cache for a commit sha, or for a branch/tag whose {@code refs/} entry exists, is
 * returned without any network access. Instances are thread-safe.
 */
public final class HubClient {
    private static final Logger log = LoggerFactory.getLogger(HubClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern GIT_SHA1 = Pattern.compile("[0-9a-f]{40}");
    private static final int MAX_REDIRECTS = 10;
    /** Answers worth retrying: rate limiting and transient server errors. */
    private static final Set<Integer> RETRYABLE = Set.of(429, 500, 502, 503, 504);
    private static final String USER_AGENT = "steering-hub/0.1 (java/" + System.getProperty("java.version") + ")";

    private final HubSettings settings;
    private final DownloadProgress progress;
    private final HubCache cache;
    private final HttpPolicy policy;
    private final HttpClient http;

    /** @param settings endpoint, token, cache and offline mode; progress is logged via SLF4J */
    public HubClient(HubSettings settings) {
        this(settings, DownloadProgress.logging());
    }

    /**
     * @param settings endpoint, token, cache and offline mode
     * @param progress receives byte counts while files download
     */
    public HubClient(HubSettings settings, DownloadProgress progress) {
        this(settings, progress, HttpPolicy.fromEnvironment(System.getenv()));
    }

    /**
     * @param settings endpoint, token, cache and offline mode
     * @param progress receives byte counts while files download
     * @param policy   timeouts and retries
     */
    public HubClient(HubSettings settings, DownloadProgress progress, HttpPolicy policy) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.progress = Objects.requireNonNull(progress, "progress");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.cache = new HubCache(settings.cacheDir());
        this.http = HttpClient.newBuilder()
                .connectTimeout(policy.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
    }

    /** @return the settings this client uses */
    public HubSettings settings() {
        return settings;
    }

    /**
     * Downloads (or finds in the cache) the files of a repository revision whose names match {@code wantFile},
     * like huggingface_hub's {@code snapshot_download}. Online this asks the hub for the revision's commit and
     * file list (one small request) and downloads only files not already cached. Offline, or when the endpoint
     * is unreachable, the cached snapshot of the revision is returned as is.
     *
     * @param ref      repository and revision
     * @param wantFile selects files by their path in the repository, e.g. {@code f -> f.endsWith(".json")}
     * @return {@code {cache}/models--org--name/snapshots/{commit}}
     * @throws HubException if the revision cannot be resolved or a download fails
     */
    public Path snapshot(ModelRef.Hub ref, Predicate<String> wantFile) {
        if (settings.offline()) {
            return cachedSnapshot(ref).orElseThrow(() -> offlineMiss(ref, null));
        }
        RevisionInfo info;
        try {
            info = revisionInfo(ref);
        } catch (HubUnreachableException e) {
            Optional<Path> cached = cachedSnapshot(ref);
            if (cached.isEmpty()) {
                throw e;
            }
            log.warn("{} Using the cached snapshot {}.", e.getMessage(), cached.get());
            return cached.get();
        }
        return download(info, wantFile);
    }

    /**
     * Downloads (or finds in the cache) one file, like huggingface_hub's {@code hf_hub_download}.
     *
     * @param ref      repository and revision
     * @param filename path of the file in the repository, e.g. {@code config.json}
     * @return {@code {cache}/models--org--name/snapshots/{commit}/{filename}}
     * @throws HubException if the file is not cached while offline, does not exist, or cannot be downloaded
     */
    public Path file(ModelRef.Hub ref, String filename) {
        Optional<Path> cached = cachedFile(ref, filename);
        if (cached.isPresent()) {
            log.debug("{} {} found in cache: {}", ref, filename, cached.get());
            return cached.get();
        }
        if (settings.offline()) {
            throw offlineMiss(ref, filename);
        }
        return fetch(ref, filename);
    }

    // ----------------------------------------------------------------- package-private, used by ModelLocator

    /** Commit and file list of a revision. */
    record RevisionInfo(ModelRef.Hub ref, String commit, List<String> files) {
        /** @return the same repository pinned to {@link #commit} */
        ModelRef.Hub pinned() {
            return ref.withRevision(commit);
        }
    }

    /** @return the snapshot directory of {@code ref}'s revision if the cache knows its commit and has the directory */
    Optional<Path> cachedSnapshot(ModelRef.Hub ref) {
        return cache.cachedCommit(ref).map(c -> cache.snapshotDir(ref, c)).filter(Files::isDirectory);
    }

    private Optional<Path> cachedFile(ModelRef.Hub ref, String filename) {
        return cache.cachedCommit(ref).map(c -> cache.snapshotFile(ref, c, filename)).filter(Files::exists);
    }

    /** @return whether {@code .no_exist/{commit}/{filename}} records that the file is absent from that commit */
    boolean isMarkedMissing(ModelRef.Hub ref, String commit, String filename) {
        return cache.isMarkedMissing(ref, commit, filename);
    }

    /** Records in {@code .no_exist/} that {@code filename} does not exist at {@code info}'s commit (as huggingface_hub does). */
    void markMissing(RevisionInfo info, String filename) {
        try {
            cache.markMissing(info.ref(), info.commit(), filename);
        } catch (IOException e) {
            log.warn("Could not record missing file {} in cache: {}", filename, e.toString());
        }
    }

    /** Asks the hub for a revision's commit sha and file list, and records {@code refs/{revision}}. */
    RevisionInfo revisionInfo(ModelRef.Hub ref) {
        URI url = URI.create(settings.endpoint() + "/api/" + ref.repoType() + "s/" + ref.repoId()
                + "/revision/" + encode(ref.revision(), false));
        String what = "revision " + ref.revision() + " of " + describe(ref);
        JsonNode json = null;
        for (int attempt = 1; json == null; attempt++) {
            HttpResponse<InputStream> response = send(url, "GET", null, what, ref, null);
            try (InputStream body = new ReadTimeoutInputStream(response.body(), policy.readTimeout())) {
                json = Objects.requireNonNullElse(JSON.readTree(body), MissingNode.getInstance());
            } catch (JsonProcessingException e) {
                throw new HubException("Invalid answer from " + url + " for " + what + ": " + e.getOriginalMessage(), e);
            } catch (IOException e) {
                pauseBeforeRetry(attempt, "reading the answer failed (" + e.getMessage() + ")", url, what);
            }
        }
        String commit = json.path("sha").asText("");
        if (!HubCache.isCommit(commit)) {
            throw new HubException("The hub answer for " + what + " at " + url + " has no commit sha ('sha' field); "
                    + "is HF_ENDPOINT (" + settings.endpoint() + ") a Hugging Face hub?");
        }
        List<String> files = new ArrayList<>();
        json.path("siblings").forEach(s -> files.add(s.path("rfilename").asText()));
        files.removeIf(String::isEmpty);
        try {
            cache.writeRef(ref, commit);
        } catch (IOException e) {
            throw new HubException("Cannot write refs/" + ref.revision() + " in " + cache.repoDir(ref) + ": " + e, e);
        }
        log.debug("{} is commit {} with {} files", ref, commit, files.size());
        return new RevisionInfo(ref, commit, List.copyOf(files));
    }

    /** Downloads the files of {@code info} selected by {@code wantFile} that are not cached yet. */
    Path download(RevisionInfo info, Predicate<String> wantFile) {
        ModelRef.Hub pinned = info.pinned();
        for (String f : info.files()) {
            if (wantFile.test(f) && !Files.exists(cache.snapshotFile(pinned, info.commit(), f))) {
                fetch(pinned, f);
            }
        }
        return cache.snapshotDir(pinned, info.commit());
    }

    /** @return the user-facing error for something that is not in the cache while offline */
    HubException offlineMiss(ModelRef.Hub ref, String filename) {
        Optional<String> commit = cache.cachedCommit(ref);
        String where = commit.isPresent()
                ? "snapshot " + commit.get() + " has no " + (filename == null ? "files" : filename)
                : "the cache has never resolved revision '" + ref.revision() + "' (no refs/" + ref.revision() + ")";
        return new HubException((filename == null ? "" : filename + " of ") + describe(ref) + " at revision '"
                + ref.revision() + "' is not in the local cache " + cache.repoDir(ref) + " (" + where
                + ") and offline mode is on (HF_HUB_OFFLINE). Run once with network access, or `huggingface-cli download "
                + ref.repoId() + " --revision " + ref.revision()
                + (ref.repoType().equals("dataset") ? " --repo-type dataset" : "")
                + "`, or pass a local model directory instead.");
    }

    // ----------------------------------------------------------------- downloading

    private record FileMetadata(String commit, String etag, long size, URI location) {
    }

    /** hf_hub_download without the cache short-cut: HEAD for metadata, then GET unless the blob is cached. */
    private Path fetch(ModelRef.Hub ref, String filename) {
        FileMetadata meta = head(ref, filename);
        Path pointer = cache.snapshotFile(ref, meta.commit(), filename);
        Path blob = cache.blob(ref, meta.etag());
        try {
            cache.writeRef(ref, meta.commit());
            if (!Files.exists(pointer)) {
                cache.withBlobLock(ref, meta.etag(), () -> {
                    if (!Files.exists(blob)) {
                        downloadWithRetries(meta, blob, ref, filename);
                    } else {
                        log.debug("{} {}: blob {} already cached", ref, filename, meta.etag());
                    }
                    HubCache.link(blob, pointer);
                });
            }
        } catch (IOException e) {
            throw new HubException("Cannot store " + filename + " of " + describe(ref) + " in cache "
                    + cache.repoDir(ref) + ": " + e, e);
        }
        return pointer;
    }

    private FileMetadata head(ModelRef.Hub ref, String filename) {
        URI url = URI.create(settings.endpoint() + (ref.repoType().equals("dataset") ? "/datasets/" : "/")
                + ref.repoId() + "/resolve/" + encode(ref.revision(), false) + "/" + encode(filename, true));
        String what = "file " + filename + " of " + describe(ref) + " at revision '" + ref.revision() + "'";
        HttpResponse<InputStream> response = send(url, "HEAD", null, what, ref, filename);
        closeQuietly(response);
        HttpHeaders h = response.headers();
        String commit = h.firstValue("X-Repo-Commit").orElse("");
        String etag = normalizeEtag(h.firstValue("X-Linked-Etag").or(() -> h.firstValue("ETag")).orElse(""));
        long size = size(h, "X-Linked-Size").or(() -> size(h, "Content-Length")).orElse(-1L);
        if (!HubCache.isCommit(commit) || etag.isEmpty()) {
            throw new HubException("The hub answer for " + what + " at " + url + " lacks the X-Repo-Commit or ETag "
                    + "header; is HF_ENDPOINT (" + settings.endpoint() + ") a Hugging Face hub?");
        }
        URI location = response.statusCode() / 100 == 3
                ? response.uri().resolve(h.firstValue("Location").orElseThrow()) : response.uri();
        return new FileMetadata(commit, etag, size, location);
    }

    private Optional<Long> size(HttpHeaders headers, String name) {
        return headers.firstValue(name).map(v -> {
            try {
                long n = Long.parseLong(v.strip());
                if (n >= 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // reported below
            }
            throw new HubException("The hub answered with an invalid " + name + " header '" + v
                    + "': expected the file size, a non-negative integer; is HF_ENDPOINT (" + settings.endpoint()
                    + ") a Hugging Face hub?");
        });
    }

    /** A download that stopped before the end of the body: a stall, a dropped connection, a cut-off body. */
    private static final class TransferFailed extends IOException {
        private static final long serialVersionUID = 1L;
        private final long received;

        TransferFailed(long received, IOException cause) {
            super(cause.getMessage(), cause);
            this.received = received;
        }
    }

    /** {@link #downloadBlob} until it completes, resuming after interrupted transfers, at most maxAttempts times. */
    private void downloadWithRetries(FileMetadata meta, Path blob, ModelRef.Hub ref, String filename)
            throws IOException {
        for (int attempt = 1; ; attempt++) {
            try {
                downloadBlob(meta, blob, ref, filename, true);
                return;
            } catch (TransferFailed e) {
                String failure = "the transfer stopped after " + e.received + (meta.size() >= 0 ? " of " + meta.size() : "")
                        + " bytes: " + e.getMessage();
                if (attempt >= policy.maxAttempts()) {
                    throw new HubException("Download of " + filename + " of " + describe(ref) + " from " + meta.location()
                            + " failed " + attempt + " times; the last time " + failure + ". Nothing was stored in the"
                            + " cache (the partial download is resumed next time).", e);
                }
                pause(attempt, policy.backoff(attempt), failure, meta.location(), "file " + filename + " of " + describe(ref));
            }
        }
    }

    /**
     * Streams the file to {@code blobs/{etag}.incomplete} (resuming a leftover one with a Range request), checks its
     * size and, for LFS files, its SHA-256, then atomically renames it to {@code blobs/{etag}}.
     */
    private void downloadBlob(FileMetadata meta, Path blob, ModelRef.Hub ref, String filename, boolean mayResume)
            throws IOException {
        Files.createDirectories(blob.getParent());
        Path incomplete = blob.resolveSibling(blob.getFileName() + ".incomplete");
        long resumeFrom = mayResume && Files.exists(incomplete) ? Files.size(incomplete) : 0;
        if (meta.size() >= 0 && resumeFrom >= meta.size()) {
            Files.delete(incomplete);
            resumeFrom = 0;
        }
        String what = "file " + filename + " of " + describe(ref);
        log.info("Downloading {} of {} ({}){}", filename, describe(ref),
                meta.size() >= 0 ? LoggingProgress.human(meta.size()) : "size unknown",
                resumeFrom > 0 ? ", resuming at " + LoggingProgress.human(resumeFrom) : "");
        HttpResponse<InputStream> response = send(meta.location(), "GET",
                resumeFrom > 0 ? "bytes=" + resumeFrom + "-" : null, what, ref, filename);
        if (response.statusCode() == 416) {
            closeQuietly(response);
            Files.deleteIfExists(incomplete);
            downloadBlob(meta, blob, ref, filename, false);
            return;
        }
        boolean append = resumeFrom > 0 && response.statusCode() == 206;
        MessageDigest sha256 = sha256();
        if (append) {
            try (InputStream existing = Files.newInputStream(incomplete)) {
                existing.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), sha256));
            }
        }
        long done = append ? resumeFrom : 0;
        try (InputStream in = new ReadTimeoutInputStream(response.body(), policy.readTimeout());
             OutputStream out = new DigestOutputStream(Files.newOutputStream(incomplete, StandardOpenOption.CREATE,
                     StandardOpenOption.WRITE, append ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING),
                     sha256)) {
            byte[] buffer = new byte[1 << 16];
            while (true) {
                int n;
                try {
                    n = in.read(buffer);
                } catch (IOException e) {
                    throw new TransferFailed(done, e);
                }
                if (n < 0) {
                    break;
                }
                out.write(buffer, 0, n);
                done += n;
                progress.update(filename, done, meta.size());
            }
        }
        progress.update(filename, done, done);
        verify(meta, incomplete, done, HexFormat.of().formatHex(sha256.digest()), ref, filename);
        Files.move(incomplete, blob, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private void verify(FileMetadata meta, Path incomplete, long size, String sha, ModelRef.Hub ref, String filename)
            throws IOException {
        String problem = null;
        if (meta.size() >= 0 && size != meta.size()) {
            problem = "expected " + meta.size() + " bytes but received " + size;
        } else if (SHA256.matcher(meta.etag()).matches() && !sha.equals(meta.etag())) {
            problem = "expected SHA-256 " + meta.etag() + " but the content hashes to " + sha;
        } else if (GIT_SHA1.matcher(meta.etag()).matches()) {
            String blobSha = gitBlobSha1(incomplete, size);
            if (!blobSha.equals(meta.etag())) {
                problem = "expected git blob SHA-1 " + meta.etag() + " (the ETag) but the content hashes to " + blobSha;
            }
        }
        if (problem != null) {
            Files.deleteIfExists(incomplete);
            throw new HubException("Download of " + filename + " of " + describe(ref) + " from " + meta.location()
                    + " is corrupt: " + problem + ". Nothing was stored; please retry.");
        }
    }

    /** @return the git object id of the file as a blob: SHA-1 of {@code "blob <size>\0"} followed by the bytes */
    static String gitBlobSha1(Path file, long size) throws IOException {
        MessageDigest sha1;
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by every Java platform", e);
        }
        sha1.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
        try (InputStream in = Files.newInputStream(file)) {
            in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), sha1));
        }
        return HexFormat.of().formatHex(sha1.digest());
    }

    // ----------------------------------------------------------------- HTTP

    /**
     * Sends a request, following redirects. HEAD only follows relative redirects (like huggingface_hub, so that
     * the hub's own metadata headers are read from the redirect answer of LFS files). The token is only sent to
     * the endpoint's origin. Returns 2xx (and 3xx for HEAD, 416 for ranged GET); anything else becomes a HubException.
     */
    private HttpResponse<InputStream> send(URI url, String method, String range, String what, ModelRef.Hub ref,
                                           String filename) {
        URI current = url;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            HttpResponse<InputStream> response = sendWithRetries(current, method, range, what);
            int status = response.statusCode();
            Optional<String> location = response.headers().firstValue("Location");
            if (status / 100 == 3 && location.isPresent()) {
                URI next = current.resolve(location.get());
                boolean relative = URI.create(location.get()).getAuthority() == null;
                if (method.equals("HEAD") && !relative) {
                    return response;
                }
                closeQuietly(response);
                log.debug("{} redirected to {}", current, next);
                current = next;
                continue;
            }
            if (status / 100 == 2 || (status == 416 && range != null)) {
                return response;
            }
            closeQuietly(response);
            throw statusError(status, response.headers(), current, what, ref, filename);
        }
        throw new HubException("Too many redirects (> " + MAX_REDIRECTS + ") while fetching " + what + " from " + url);
    }

    /**
     * One request, retried on {@link #RETRYABLE} answers, header timeouts and failed connections (but not refused or
     * unresolvable ones: the hub is unreachable). Returns the last answer when retries are exhausted on a status.
     */
    private HttpResponse<InputStream> sendWithRetries(URI url, String method, String range, String what) {
        for (int attempt = 1; ; attempt++) {
            HttpRequest.Builder request = HttpRequest.newBuilder(url)
                    .timeout(policy.readTimeout())
                    .header("User-Agent", USER_AGENT)
                    .method(method, HttpRequest.BodyPublishers.noBody());
            if (sameOrigin(url, settings.endpoint())) {
                settings.token().ifPresent(t -> request.header("Authorization", "Bearer " + t));
            }
            if (method.equals("HEAD")) {
                request.header("Accept-Encoding", "identity");
            }
            if (range != null) {
                request.header("Range", range);
            }
            String failure;
            Duration wait = policy.backoff(attempt);
            try {
                HttpResponse<InputStream> response = http.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
                int status = response.statusCode();
                if (!RETRYABLE.contains(status) || attempt >= policy.maxAttempts()) {
                    return response;
                }
                closeQuietly(response);
                failure = "HTTP " + status;
                Optional<Duration> retryAfter = response.headers().firstValue("Retry-After").flatMap(HubClient::retryAfter);
                if (retryAfter.isPresent()) {
                    if (retryAfter.get().compareTo(policy.maxRetryAfter()) > 0) {
                        throw new HubException(failure + " from " + url + " while fetching " + what + ": the server asks to"
                                + " retry after " + retryAfter.get().toSeconds() + " s, longer than the "
                                + policy.maxRetryAfter().toSeconds() + " s this client waits. Try again later.");
                    }
                    wait = retryAfter.get();
                }
            } catch (ConnectException | HttpConnectTimeoutException | UnresolvedAddressException e) {
                throw unreachable(url, e, what);
            } catch (HttpTimeoutException e) {
                failure = "no answer within the read timeout of " + policy.readTimeout().toSeconds() + " s";
            } catch (IOException e) {
                if (e.getCause() instanceof UnresolvedAddressException || e.getCause() instanceof ConnectException) {
                    throw unreachable(url, e.getCause(), what);
                }
                failure = "network error: " + e;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new HubException("Interrupted while fetching " + what, e);
            }
            if (attempt >= policy.maxAttempts()) {
                throw new HubException("Fetching " + what + " from " + url + " failed " + attempt + " times; the last time: "
                        + failure + ".");
            }
            pause(attempt, wait, failure, url, what);
        }
    }

    /** Waits the backoff before another attempt of reading a body, or throws if this was the last attempt. */
    private void pauseBeforeRetry(int attempt, String failure, URI url, String what) {
        if (attempt >= policy.maxAttempts()) {
            throw new HubException("Fetching " + what + " from " + url + " failed " + attempt + " times; the last time "
                    + failure + ".");
        }
        pause(attempt, policy.backoff(attempt), failure, url, what);
    }

    private void pause(int attempt, Duration wait, String failure, URI url, String what) {
        log.warn("{} while fetching {} from {}; attempt {} of {} in {} s", failure, what, url, attempt + 1,
                policy.maxAttempts(), wait.toMillis() / 1000.0);
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new HubException("Interrupted while waiting to retry " + what, e);
        }
    }

    /** @return the wait a {@code Retry-After} value asks for (delay seconds or an HTTP date), if it is valid */
    static Optional<Duration> retryAfter(String value) {
        String v = value.strip();
        if (v.matches("\\d{1,9}")) {
            return Optional.of(Duration.ofSeconds(Long.parseLong(v)));
        }
        try {
            Duration d = Duration.between(ZonedDateTime.now(), ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME));
            return Optional.of(d.isNegative() ? Duration.ZERO : d);
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }

    private HubUnreachableException unreachable(URI url, Throwable cause, String what) {
        return new HubUnreachableException("Cannot reach " + url.getScheme() + "://" + url.getAuthority() + " (" + cause
                + ") while fetching " + what + ". Check your network and HF_ENDPOINT (" + settings.endpoint()
                + "); set HF_HUB_OFFLINE=1 to use only the cache " + settings.cacheDir()
                + ", or pass a local model directory.", cause);
    }

    private HubException statusError(int status, HttpHeaders headers, URI url, String what, ModelRef.Hub ref,
                                     String filename) {
        String serverMessage = headers.firstValue("X-Error-Message").map(m -> " Server says: " + m).orElse("");
        if (status == 401 || status == 403) {
            return new HubException("Access denied (HTTP " + status + ") to " + what + " at " + url + "." + serverMessage
                    + " If the model is gated (e.g. meta-llama, google/gemma), accept its license on the Hugging Face "
                    + "website and set HF_TOKEN to an access token (or run `huggingface-cli login`); a token is "
                    + (settings.token().isPresent() ? "set but lacks access" : "currently not set")
                    + ". Private or misspelled repositories also answer " + status + ".");
        }
        if (status == 404) {
            String code = headers.firstValue("X-Error-Code").orElse("");
            String message = switch (code) {
                case "RepoNotFound" -> "Repository " + describe(ref) + " not found";
                case "RevisionNotFound" -> "Revision '" + ref.revision() + "' not found in " + describe(ref);
                default -> filename != null
                        ? "File " + filename + " not found in " + describe(ref) + " at revision '" + ref.revision() + "'"
                        : "Repository " + describe(ref) + " or its revision '" + ref.revision() + "' not found";
            };
            return new HubException(message + " (HTTP 404 at " + url + ")." + serverMessage);
        }
        String attempts = RETRYABLE.contains(status) ? " (" + policy.maxAttempts() + " attempts)" : "";
        return new HubException("HTTP " + status + " from " + url + " while fetching " + what + attempts + "."
                + serverMessage);
    }

    private static boolean sameOrigin(URI a, URI b) {
        return Objects.equals(a.getScheme(), b.getScheme()) && Objects.equals(a.getHost(), b.getHost())
                && effectivePort(a) == effectivePort(b);
    }

    private static int effectivePort(URI u) {
        return u.getPort() >= 0 ? u.getPort() : "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
    }

    private static void closeQuietly(HttpResponse<InputStream> response) {
        try {
            response.body().close();
        } catch (IOException e) {
            log.trace("ignored while discarding a response body", e);
        }
    }

    private static String describe(ModelRef.Hub ref) {
        return (ref.repoType().equals("dataset") ? "dataset " : "model ") + ref.repoId();
    }

    /** huggingface_hub's {@code _normalize_etag}: drop a weak {@code W/} prefix and the quotes. */
    static String normalizeEtag(String etag) {
        String e = etag.strip();
        if (e.startsWith("W/")) {
            e = e.substring(2);
        }
        return e.replace("\"", "");
    }

    /** Percent-encodes like Python's {@code urllib.parse.quote} (with {@code safe="/"} or {@code safe=""}). */
    static String encode(String s, boolean keepSlash) {
        StringBuilder b = new StringBuilder();
        for (byte x : s.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (x & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '_' || c == '.' || c == '~' || (keepSlash && c == '/')) {
                b.append(c);
            } else {
                b.append('%').append(String.format("%02X", x & 0xff));
            }
        }
        return b.toString();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
    }
}
