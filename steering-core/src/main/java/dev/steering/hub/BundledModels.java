package dev.steering.hub;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Models shipped as class-path resources ({@code models/NAME/config.json}, weights, tokenizer files), named
 * {@code bundled:NAME}: {@code steering.jar} (the {@code steering-examples} module) carries {@code bundled:toy-refusal},
 * {@code bundled:llama-random}
 * and the classifier {@code bundled:toxicity-tiny}. {@link #locate(String)} copies a model's files once into
 * {@code $STEERING_CACHE/models/NAME-<content hash>/} (default {@code ~/.cache/steering}; the system property
 * {@value #CACHE_PROPERTY} overrides both), so a changed resource is
 * never served from a stale copy, and returns that directory.
 */
public final class BundledModels {
    /** Prefix of model specs that name a bundled model. */
    public static final String PREFIX = "bundled:";
    /** System property naming the folder bundled models are unpacked into (overrides {@code $STEERING_CACHE}). */
    public static final String CACHE_PROPERTY = "steering.cache";

    private BundledModels() {
    }

    /** True if {@code spec} has the {@code bundled:} prefix. */
    public static boolean isBundled(String spec) {
        return spec != null && spec.startsWith(PREFIX);
    }

    /** True if the bundled model {@code spec} ({@code bundled:NAME}) is on the class path. */
    public static boolean exists(String spec) {
        return isBundled(spec) && resource(name(spec), ModelLocator.CONFIG) != null;
    }

    /**
     * The directory holding the bundled model {@code spec}, unpacked from the class path if not there yet.
     *
     * @param spec {@code bundled:NAME}
     * @throws HubException if no such model is on the class path or it cannot be unpacked
     */
    public static Path locate(String spec) {
        String name = name(spec);
        List<String> files = new ArrayList<>();
        Stream.of(List.of(ModelLocator.CONFIG), ModelLocator.WEIGHT_FILES, ModelLocator.OPTIONAL_FILES)
                .flatMap(List::stream).filter(f -> resource(name, f) != null).forEach(files::add);
        if (!files.contains(ModelLocator.CONFIG)) {
            throw new HubException("There is no bundled model '" + name + "' on the class path (looked for "
                    + resourcePath(name, ModelLocator.CONFIG) + "); steering.jar bundles toy-refusal, llama-random and the "
                    + "classifier toxicity-tiny.");
        }
        try {
            Path dir = cacheRoot().resolve("models").resolve(name + "-" + contentHash(name, files));
            for (String f : files) {
                copy(resource(name, f), dir.resolve(f));
            }
            return dir;
        } catch (IOException e) {
            throw new HubException("Cannot unpack bundled model '" + name + "' into " + cacheRoot() + ": "
                    + e.getMessage(), e);
        }
    }

    private static String name(String spec) {
        if (!isBundled(spec) || spec.length() == PREFIX.length()) {
            throw new HubException("Not a bundled model spec: '" + spec + "' (expected bundled:NAME)");
        }
        return spec.substring(PREFIX.length());
    }

    private static String resourcePath(String name, String file) {
        return "models/" + name + "/" + file;
    }

    private static URL resource(String name, String file) {
        String path = resourcePath(name, file);
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        URL url = context == null ? null : context.getResource(path);
        return url != null ? url : BundledModels.class.getClassLoader().getResource(path);
    }

    /** The first 12 hex digits of a SHA-256 over the model's files, in order. */
    private static String contentHash(String name, List<String> files) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        for (String f : files) {
            sha.update(f.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            try (InputStream in = resource(name, f).openStream()) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    }

    private static void copy(URL from, Path target) throws IOException {
        if (Files.isRegularFile(target)) {
            return;
        }
        Files.createDirectories(target.getParent());
        Path tmp = Files.createTempFile(target.getParent(), ".bundled", ".tmp");
        try (InputStream in = from.openStream()) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** The system property {@value #CACHE_PROPERTY}, else {@code $STEERING_CACHE}, else {@code ~/.cache/steering}. */
    static Path cacheRoot() {
        String prop = System.getProperty(CACHE_PROPERTY);
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String env = System.getenv("STEERING_CACHE");
        return env != null && !env.isBlank() ? Path.of(env)
                : Path.of(System.getProperty("user.home"), ".cache", "steering");
    }
}
