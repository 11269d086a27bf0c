package dev.steering.hub;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A minimal Hugging Face hub on 127.0.0.1: the revision API, the resolve endpoint with the real hub's headers,
 * and a second "CDN" server that LFS files (*.safetensors, *.bin) are redirected to, like the real hub does.
 * Faults can be injected: error statuses with {@code Retry-After}, bodies cut short or stalled after some bytes,
 * corrupted content (LFS and non-LFS), overridden headers, and renamed repositories answered with redirects.
 */
final class FakeHub implements AutoCloseable {

    /** One HTTP request as seen by either server. */
    record Request(String server, String method, String rawPath, String authorization, String range) {
    }

    private final HttpServer hub;
    private final HttpServer cdn;
    private final List<Request> requests = Collections.synchronizedList(new ArrayList<>());
    /** "model:org/name" -> branch/tag -> commit. */
    private final Map<String, Map<String, String>> refs = new ConcurrentHashMap<>();
    /** "model:org/name" -> commit -> filename -> content. */
    private final Map<String, Map<String, Map<String, byte[]>>> commits = new ConcurrentHashMap<>();
    private final Map<String, byte[]> lfsBlobs = new ConcurrentHashMap<>();
    private final Set<String> corruptShas = ConcurrentHashMap.newKeySet();
    private volatile String requiredToken;
    private final Queue<Fault> faults = new ConcurrentLinkedQueue<>();
    private final Map<String, Map<String, String>> headerOverrides = new ConcurrentHashMap<>();
    /** "model:old/name" -> "new/name": requests are redirected (307, relative) to the new name. */
    private final Map<String, String> renames = new ConcurrentHashMap<>();
    private final ExecutorService handlers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-hub");
        t.setDaemon(true);
        return t;
    });

    /** What a fault does to a matching request. */
    enum FaultKind {
        /** Answers with the status (and Retry-After if given) instead of the content. */
        STATUS,
        /** Sends the headers with the full length, then only {@code bytes} bytes, then drops the connection. */
        TRUNCATE,
        /** Sends the headers with the full length and {@code bytes} bytes, then sends nothing until closed. */
        STALL,
        /** Accepts the request and never answers, not even the headers. */
        HANG
    }

    /** A fault applied to the next {@code remaining} requests of {@code method} whose raw path ends with {@code pathSuffix}. */
    private record Fault(String method, String pathSuffix, AtomicInteger remaining, FaultKind kind, int value,
                         String retryAfter) {
        boolean matches(HttpExchange ex) {
            return ex.getRequestMethod().equals(method) && ex.getRequestURI().getRawPath().endsWith(pathSuffix);
        }
    }

    FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        hub.setExecutor(handlers);
        cdn.setExecutor(handlers);
        hub.start();
        cdn.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + hub.getAddress().getPort());
    }

    /** Adds (or extends) a repository: {@code ref} (a branch or tag, may be null) points at {@code commit}. */
    FakeHub add(String repoType, String repoId, String ref, String commit, Map<String, byte[]> files) {
        String key = repoType + ":" + repoId;
        if (ref != null) {
            refs.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).put(ref, commit);
        }
        commits.computeIfAbsent(key, k -> new ConcurrentHashMap<>()).put(commit, new LinkedHashMap<>(files));
        files.forEach((name, content) -> {
            if (isLfs(name)) {
                lfsBlobs.put(sha256(content), content);
            }
        });
        return this;
    }

    FakeHub add(String repoId, String ref, String commit, Map<String, byte[]> files) {
        return add("model", repoId, ref, commit, files);
    }

    /** Makes the CDN serve flipped bytes (same length) for this content. */
    void corrupt(byte[] content) {
        corruptShas.add(sha256(content));
    }

    /** The next {@code times} {@code method} requests for a path ending in {@code pathSuffix} answer {@code status}. */
    void failNext(String method, String pathSuffix, int times, int status, String retryAfter) {
        faults.add(new Fault(method, pathSuffix, new AtomicInteger(times), FaultKind.STATUS, status, retryAfter));
    }

    /** The next {@code times} {@code method} requests for a path ending in {@code pathSuffix} never get an answer. */
    void hangNext(String method, String pathSuffix, int times) {
        faults.add(new Fault(method, pathSuffix, new AtomicInteger(times), FaultKind.HANG, 0, null));
    }

    /** The next {@code times} GETs of a path ending in {@code pathSuffix} are cut short (TRUNCATE) or stall (STALL) after {@code bytes}. */
    void breakNext(String pathSuffix, int times, FaultKind kind, int bytes) {
        faults.add(new Fault("GET", pathSuffix, new AtomicInteger(times), kind, bytes, null));
    }

    /** Answers resolve requests for {@code filename} with this header value instead of the real one. */
    void overrideHeader(String filename, String header, String value) {
        headerOverrides.computeIfAbsent(filename, f -> new ConcurrentHashMap<>()).put(header, value);
    }

    /** Requests for repository {@code oldId} are redirected (307, relative Location) to {@code newId}, as after a rename. */
    void rename(String oldId, String newId) {
        renames.put("model:" + oldId, newId);
    }

    /** Requests to the hub without {@code Authorization: Bearer token} get 401. */
    void requireToken(String token) {
        requiredToken = token;
    }

    List<Request> requests() {
        synchronized (requests) {
            return List.copyOf(requests);
        }
    }

    void clearRequests() {
        requests.clear();
    }

    static boolean isLfs(String filename) {
        return filename.endsWith(".safetensors") || filename.endsWith(".bin");
    }

    static String sha256(byte[] content) {
        return hex("SHA-256", content);
    }

    /** The git blob id of {@code content}: SHA-1 of {@code "blob <size>\0"} then the bytes (the hub's ETag of non-LFS files). */
    static String gitSha1(byte[] content) {
        byte[] prefix = ("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(prefix, prefix.length + content.length);
        System.arraycopy(content, 0, all, prefix.length, content.length);
        return hex("SHA-1", all);
    }

    private static String hex(String algorithm, byte[] content) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(content));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void record(String server, HttpExchange ex) {
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath(),
                ex.getRequestHeaders().getFirst("Authorization"), ex.getRequestHeaders().getFirst("Range")));
    }

    /** @return the first pending fault matching the request (counting it down), or null */
    private Fault takeFault(HttpExchange ex) {
        for (Fault f : faults) {
            if (f.matches(ex) && f.remaining().getAndDecrement() > 0) {
                return f;
            }
        }
        return null;
    }

    /** @return whether a STATUS fault answered the request */
    private static boolean answeredByStatus(HttpExchange ex, Fault fault) throws IOException {
        if (fault != null && fault.kind() == FaultKind.HANG) {
            sleepUntilClosed();
            return true;
        }
        if (fault == null || fault.kind() != FaultKind.STATUS) {
            return false;
        }
        if (fault.retryAfter() != null) {
            ex.getResponseHeaders().set("Retry-After", fault.retryAfter());
        }
        ex.sendResponseHeaders(fault.value(), -1);
        return true;
    }

    private void handleHub(HttpExchange ex) throws IOException {
        try (ex) {
            record("hub", ex);
            Fault fault = takeFault(ex);
            if (answeredByStatus(ex, fault)) {
                return;
            }
            if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                ex.getResponseHeaders().set("X-Error-Message", "Access to model is restricted.");
                ex.sendResponseHeaders(401, -1);
                return;
            }
            String path = ex.getRequestURI().getRawPath();
            List<String> parts = Arrays.asList(path.substring(1).split("/", -1));
            for (Map.Entry<String, String> r : renames.entrySet()) {
                String old = r.getKey().substring("model:".length());
                for (String prefix : List.of("/api/models/" + old + "/", "/" + old + "/")) {
                    if (path.startsWith(prefix)) {
                        String target = prefix.replace(old, r.getValue()) + path.substring(prefix.length());
                        ex.getResponseHeaders().set("Location", target);
                        ex.sendResponseHeaders(307, -1);
                        return;
                    }
                }
            }
            if (path.startsWith("/api/")) {
                // /api/{models|datasets}/{org}/{name}/revision/{rev}
                String type = parts.get(1).equals("datasets") ? "dataset" : "model";
                revisionApi(ex, type + ":" + parts.get(2) + "/" + parts.get(3), decode(parts.get(5)));
                return;
            }
            String type = "model";
            if (parts.get(0).equals("datasets")) {
                type = "dataset";
                parts = parts.subList(1, parts.size());
            }
            // /{org}/{name}/resolve/{rev}/{file...}
            String file = decode(String.join("/", parts.subList(4, parts.size())));
            resolve(ex, type + ":" + parts.get(0) + "/" + parts.get(1), decode(parts.get(3)), file, fault);
        }
    }

    private String commitOf(String key, String revision) {
        Map<String, Map<String, byte[]>> repoCommits = commits.get(key);
        if (repoCommits.containsKey(revision)) {
            return revision;
        }
        return refs.getOrDefault(key, Map.of()).get(revision);
    }

    private void revisionApi(HttpExchange ex, String key, String revision) throws IOException {
        if (!commits.containsKey(key)) {
            error(ex, "RepoNotFound");
            return;
        }
        String commit = commitOf(key, revision);
        if (commit == null) {
            error(ex, "RevisionNotFound");
            return;
        }
        StringBuilder json = new StringBuilder("{\"id\":\"" + key.substring(key.indexOf(':') + 1) + "\",\"sha\":\""
                + commit + "\",\"siblings\":[");
        List<String> names = new ArrayList<>(commits.get(key).get(commit).keySet());
        for (int i = 0; i < names.size(); i++) {
            json.append(i == 0 ? "" : ",").append("{\"rfilename\":\"").append(names.get(i)).append("\"}");
        }
        byte[] body = json.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private void resolve(HttpExchange ex, String key, String revision, String file, Fault fault) throws IOException {
        if (!commits.containsKey(key)) {
            error(ex, "RepoNotFound");
            return;
        }
        String commit = commitOf(key, revision);
        if (commit == null) {
            error(ex, "RevisionNotFound");
            return;
        }
        byte[] content = commits.get(key).get(commit).get(file);
        if (content == null) {
            error(ex, "EntryNotFound");
            return;
        }
        var h = ex.getResponseHeaders();
        h.set("X-Repo-Commit", commit);
        if (isLfs(file)) {
            String sha = sha256(content);
            h.set("ETag", "\"" + gitSha1(content) + "\"");
            h.set("X-Linked-Etag", "\"" + sha + "\"");
            h.set("X-Linked-Size", Long.toString(content.length));
            h.set("Location", "http://127.0.0.1:" + cdn.getAddress().getPort() + "/lfs/" + sha);
            headerOverrides.getOrDefault(file, Map.of()).forEach(h::set);
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "W/\"" + gitSha1(content) + "\"");
        headerOverrides.getOrDefault(file, Map.of()).forEach(h::set);
        send(ex, corruptShas.contains(sha256(content)) ? flipped(content) : content, 0, fault);
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        try (ex) {
            record("cdn", ex);
            Fault fault = takeFault(ex);
            if (answeredByStatus(ex, fault)) {
                return;
            }
            String sha = ex.getRequestURI().getRawPath().substring("/lfs/".length());
            byte[] content = lfsBlobs.get(sha);
            if (content == null) {
                ex.sendResponseHeaders(404, -1);
                return;
            }
            if (corruptShas.contains(sha)) {
                content = flipped(content);
            }
            String range = ex.getRequestHeaders().getFirst("Range");
            int from = range == null ? 0 : Integer.parseInt(range.substring("bytes=".length(), range.length() - 1));
            send(ex, content, from, fault);
        }
    }

    private static byte[] flipped(byte[] content) {
        byte[] c = content.clone();
        c[c.length / 2] ^= 0x5a;
        return c;
    }

    private void send(HttpExchange ex, byte[] content, int from, Fault fault) throws IOException {
        int status = from > 0 ? 206 : 200;
        if (from > 0) {
            ex.getResponseHeaders().set("Content-Range", "bytes " + from + "-" + (content.length - 1) + "/" + content.length);
        }
        int length = content.length - from;
        if (ex.getRequestMethod().equals("HEAD")) {
            ex.getResponseHeaders().set("Content-Length", Integer.toString(length));
            ex.sendResponseHeaders(status, -1);
            return;
        }
        ex.sendResponseHeaders(status, length == 0 ? -1 : length);
        OutputStream out = ex.getResponseBody();
        if (fault == null) {
            try (out) {
                out.write(content, from, length);
            }
            return;
        }
        out.write(content, from, Math.min(fault.value(), length));
        out.flush();
        if (fault.kind() == FaultKind.STALL) {
            sleepUntilClosed();
        }
        // closing the exchange with bytes missing drops the connection
    }

    private static void sleepUntilClosed() {
        try {
            Thread.sleep(Long.MAX_VALUE); // until close() interrupts the handler threads
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void error(HttpExchange ex, String code) throws IOException {
        ex.getResponseHeaders().set("X-Error-Code", code);
        ex.sendResponseHeaders(404, -1);
    }

    private static String decode(String s) {
        return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        handlers.shutdownNow();
        hub.stop(0);
        cdn.stop(0);
    }

    /** Convenience: an ordered map of files. */
    static Map<String, byte[]> files(Object... nameContent) {
        Map<String, byte[]> m = new LinkedHashMap<>();
        for (int i = 0; i < nameContent.length; i += 2) {
            Object c = nameContent[i + 1];
            m.put((String) nameContent[i], c instanceof String s ? s.getBytes(StandardCharsets.UTF_8) : (byte[]) c);
        }
        return m;
    }
}
