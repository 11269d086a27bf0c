package dev.steering.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * The on-disk layout of huggingface_hub's cache ({@code file_download.py}):
 * <pre>
 * {root}/models--org--name/
 *     blobs/{etag}                      file contents (etag = sha256 for LFS files, git sha1 otherwise)
 *     snapshots/{commit}/{filename}     relative symlink to ../../blobs/{etag} (deeper for nested names)
 *     refs/{revision}                   commit sha of a branch or tag, no trailing newline
 *     .no_exist/{commit}/{filename}     empty marker: the file does not exist at that commit
 * {root}/.locks/models--org--name/{etag}.lock   held while a blob is being downloaded
 * </pre>
 */
final class HubCache {
    private static final Logger log = LoggerFactory.getLogger(HubCache.class);
    private static final Pattern COMMIT = Pattern.compile("[0-9a-f]{40}");

    /** File locks are per process; threads of this JVM queue on these first. */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();

    /** Work done while holding a blob's lock. */
    @FunctionalInterface
    interface LockedAction {
        void run() throws IOException;
    }

    private final Path root;

    HubCache(Path root) {
        this.root = root;
    }

    static boolean isCommit(String revision) {
        return COMMIT.matcher(revision).matches();
    }

    /** @return {@code {root}/models--org--name} (or {@code datasets--...}) */
    Path repoDir(ModelRef.Hub ref) {
        return root.resolve(ref.repoType() + "s--" + ref.repoId().replace("/", "--"));
    }

    Path blob(ModelRef.Hub ref, String etag) {
        return inside(repoDir(ref).resolve("blobs"), etag);
    }

    Path snapshotDir(ModelRef.Hub ref, String commit) {
        return inside(repoDir(ref).resolve("snapshots"), commit);
    }

    Path snapshotFile(ModelRef.Hub ref, String commit, String filename) {
        return inside(snapshotDir(ref, commit), filename);
    }

    private Path refFile(ModelRef.Hub ref) {
        return inside(repoDir(ref).resolve("refs"), ref.revision());
    }

    private Path noExistMarker(ModelRef.Hub ref, String commit, String filename) {
        return inside(repoDir(ref).resolve(".no_exist").resolve(commit), filename);
    }

    /** @return the commit of {@code ref}'s revision known without network: the revision itself if it is a sha, else {@code refs/{revision}} */
    Optional<String> cachedCommit(ModelRef.Hub ref) {
        if (isCommit(ref.revision())) {
            return Optional.of(ref.revision());
        }
        Path refFile = refFile(ref);
        if (!Files.isRegularFile(refFile)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(refFile, StandardCharsets.UTF_8).strip()).filter(HubCache::isCommit);
        } catch (IOException e) {
            log.warn("Ignoring unreadable cache ref {}: {}", refFile, e.toString());
            return Optional.empty();
        }
    }

    /** Records that {@code ref.revision()} points to {@code commit} (nothing to do when the revision is that commit). */
    void writeRef(ModelRef.Hub ref, String commit) throws IOException {
        if (ref.revision().equals(commit) || cachedCommit(ref).filter(commit::equals).isPresent()) {
            return;
        }
        Path refFile = refFile(ref);
        Files.createDirectories(refFile.getParent());
        Path tmp = Files.createTempFile(refFile.getParent(), ".ref", ".tmp");
        Files.writeString(tmp, commit, StandardCharsets.UTF_8);
        Files.move(tmp, refFile, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    boolean isMarkedMissing(ModelRef.Hub ref, String commit, String filename) {
        return Files.exists(noExistMarker(ref, commit, filename));
    }

    void markMissing(ModelRef.Hub ref, String commit, String filename) throws IOException {
        Path marker = noExistMarker(ref, commit, filename);
        Files.createDirectories(marker.getParent());
        if (!Files.exists(marker)) {
            Files.createFile(marker);
        }
    }

    /**
     * Runs {@code action} while holding {@code {root}/.locks/{repo folder}/{etag}.lock}, so that concurrent
     * threads and processes do not download the same blob into the same {@code .incomplete} file.
     */
    void withBlobLock(ModelRef.Hub ref, String etag, LockedAction action) throws IOException {
        Path lockFile = inside(root.resolve(".locks").resolve(repoDir(ref).getFileName().toString()), etag + ".lock");
        Files.createDirectories(lockFile.getParent());
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(lockFile, k -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            action.run();
        } finally {
            jvmLock.unlock();
        }
    }

    /**
     * Points {@code pointer} at {@code blob} with a relative symlink, as huggingface_hub does; copies the blob
     * where symlinks are unsupported (e.g. Windows without developer mode).
     */
    static void link(Path blob, Path pointer) throws IOException {
        Files.createDirectories(pointer.getParent());
        Path relative = pointer.getParent().relativize(blob);
        // made under a temporary name and renamed over the pointer, so a concurrent reader never finds it missing
        Path tmp = pointer.resolveSibling("." + pointer.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        try {
            Files.createSymbolicLink(tmp, relative);
        } catch (UnsupportedOperationException | FileSystemException e) {
            log.debug("Symlinks unavailable ({}); copying {} to {}", e.toString(), blob, pointer);
            Files.copy(blob, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, pointer, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** Resolves a name taken from the network or the user under {@code dir}, refusing escapes such as {@code ../x}. */
    private static Path inside(Path dir, String name) {
        Path p = dir.resolve(name).normalize();
        if (name.isEmpty() || !p.startsWith(dir.normalize()) || p.equals(dir.normalize())) {
            throw new HubException("Refusing unsafe file or revision name '" + name + "' (it would escape " + dir + ")");
        }
        return p;
    }
}
