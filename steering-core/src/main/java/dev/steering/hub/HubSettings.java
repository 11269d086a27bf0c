package dev.steering.hub;

import java.io.IOException;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Where and how to talk to the Hugging Face hub, resolved from the same environment variables as
 * Python's huggingface_hub so both share one cache.
 *
 * @param endpoint hub base URL, e.g. {@code https://huggingface.co} (no trailing slash)
 * @param token    access token sent as {@code Authorization: Bearer} to the endpoint host only
 * @param cacheDir the hub cache root holding {@code models--org--name} folders
 * @param offline  never touch the network; serve from {@code cacheDir} only
 */
public record HubSettings(URI endpoint, Optional<String> token, Path cacheDir, boolean offline) {

    /** Default endpoint when {@code HF_ENDPOINT} is unset. */
    public static final URI DEFAULT_ENDPOINT = URI.create("https://huggingface.co");

    /** Values huggingface_hub treats as true for boolean environment variables. */
    private static final Set<String> TRUE_VALUES = Set.of("1", "true", "yes", "on");

    /** Validates and normalizes (trailing slash removed from the endpoint, blank token dropped). */
    public HubSettings {
        Objects.requireNonNull(endpoint, "endpoint");
        String e = endpoint.toString();
        while (e.endsWith("/")) {
            e = e.substring(0, e.length() - 1);
        }
        endpoint = URI.create(e);
        token = Objects.requireNonNull(token, "token").map(String::strip).filter(t -> !t.isEmpty());
        cacheDir = Objects.requireNonNull(cacheDir, "cacheDir").toAbsolutePath().normalize();
    }

    /** @return settings from {@link System#getenv()} and the {@code user.home} system property */
    public static HubSettings fromEnvironment() {
        return fromEnvironment(System.getenv(), Path.of(System.getProperty("user.home")));
    }

    /**
     * Resolves settings like huggingface_hub's {@code constants.py}:
     * <ul>
     * <li>endpoint: {@code HF_ENDPOINT}, default {@code https://huggingface.co};</li>
     * <li>token: {@code HF_TOKEN}, else {@code HUGGING_FACE_HUB_TOKEN}, else the file {@code HF_TOKEN_PATH}
     *     (default {@code $HF_HOME/token}, written by {@code huggingface-cli login});</li>
     * <li>cache: {@code HF_HUB_CACHE}, else {@code HUGGINGFACE_HUB_CACHE}, else {@code $HF_HOME/hub}, where
     *     {@code HF_HOME} defaults to {@code $XDG_CACHE_HOME/huggingface}, else {@code ~/.cache/huggingface};</li>
     * <li>offline: {@code HF_HUB_OFFLINE} (or {@code TRANSFORMERS_OFFLINE}) set to 1/true/yes/on.</li>
     * </ul>
     * A leading {@code ~} in paths is expanded to {@code userHome}.
     *
     * @param env      environment variables
     * @param userHome the user's home directory
     * @return the settings
     */
    public static HubSettings fromEnvironment(Map<String, String> env, Path userHome) {
        URI endpoint = get(env, "HF_ENDPOINT").map(URI::create).orElse(DEFAULT_ENDPOINT);
        Path hfHome = get(env, "HF_HOME").map(p -> expand(p, userHome))
                .orElseGet(() -> get(env, "XDG_CACHE_HOME").map(p -> expand(p, userHome))
                        .orElse(userHome.resolve(".cache")).resolve("huggingface"));
        Path cache = get(env, "HF_HUB_CACHE").or(() -> get(env, "HUGGINGFACE_HUB_CACHE"))
                .map(p -> expand(p, userHome)).orElse(hfHome.resolve("hub"));
        Path tokenFile = get(env, "HF_TOKEN_PATH").map(p -> expand(p, userHome)).orElse(hfHome.resolve("token"));
        Optional<String> token = get(env, "HF_TOKEN").or(() -> get(env, "HUGGING_FACE_HUB_TOKEN"))
                .or(() -> readToken(tokenFile));
        boolean offline = get(env, "HF_HUB_OFFLINE").or(() -> get(env, "TRANSFORMERS_OFFLINE"))
                .map(v -> TRUE_VALUES.contains(v.toLowerCase(Locale.ROOT))).orElse(false);
        return new HubSettings(endpoint, token, cache, offline);
    }

    /**
     * @param newOffline whether to forbid network access
     * @return a copy with offline mode switched on or off
     */
    public HubSettings withOffline(boolean newOffline) {
        return new HubSettings(endpoint, token, cacheDir, newOffline);
    }

    /**
     * @param newToken an access token, or {@code null} or blank for none
     * @return a copy with that token
     */
    public HubSettings withToken(String newToken) {
        return new HubSettings(endpoint, Optional.ofNullable(newToken), cacheDir, offline);
    }

    /** Like the record default, but never prints the token itself. */
    @Override
    public String toString() {
        return "HubSettings[endpoint=" + endpoint + ", token=" + (token.isPresent() ? "<set>" : "<none>")
                + ", cacheDir=" + cacheDir + ", offline=" + offline + "]";
    }

    private static Optional<String> get(Map<String, String> env, String name) {
        return Optional.ofNullable(env.get(name)).map(String::strip).filter(v -> !v.isEmpty());
    }

    private static Path expand(String path, Path userHome) {
        if (path.equals("~")) {
            return userHome;
        }
        if (path.startsWith("~/") || path.startsWith("~\\")) {
            return userHome.resolve(path.substring(2));
        }
        return Path.of(path);
    }

    private static Optional<String> readToken(Path file) {
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Files.readString(file, StandardCharsets.UTF_8).strip()).filter(t -> !t.isEmpty());
        } catch (IOException e) {
            LoggerFactory.getLogger(HubSettings.class).warn("Ignoring unreadable Hugging Face token file {}: {}", file, e.toString());
            return Optional.empty();
        }
    }
}
