package dev.steering.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Turns a model spec (see {@link ModelRef#parse(String)}, or {@code bundled:NAME} for a model shipped on the class
 * path, see {@link BundledModels}) into a local directory holding a Hugging Face checkpoint: {@code config.json},
 * the tokenizer files the repository has, and the weights. Every loader ({@code Steering.model}, the command line,
 * the classifier) resolves specs here, so they all accept the same names.
 *
 * <p>For hub models the directory is a huggingface_hub cache snapshot. If that snapshot already holds
 * everything (files the repository lacks are remembered in huggingface_hub's {@code .no_exist/} markers),
 * no network request is made. Offline, a snapshot with config and complete weights is used even if some
 * optional files were never downloaded.
 */
public final class ModelLocator {
    private static final Logger log = LoggerFactory.getLogger(ModelLocator.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The model configuration, required. */
    public static final String CONFIG = "config.json";

    /** Tokenizer and generation files downloaded when the repository has them. */
    public static final List<String> OPTIONAL_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "generation_config.json", "chat_template.jinja", "vocab.json", "merges.txt");

    /** Weight files in order of preference; an {@code .index.json} brings every shard of its weight_map. */
    public static final List<String> WEIGHT_FILES = List.of("model.safetensors", "model.safetensors.index.json",
            "pytorch_model.bin", "pytorch_model.bin.index.json");

    private ModelLocator() {
    }

    /**
     * Resolves a spec with {@link HubSettings#fromEnvironment()}.
     *
     * @param spec an alias, {@code org/name[@revision]}, a local directory or {@code bundled:NAME}
     * @return the model directory
     * @throws HubException if the spec is invalid or the model cannot be found or downloaded
     */
    public static Path locate(String spec) {
        return locate(spec, HubSettings.fromEnvironment());
    }

    /**
     * Resolves a spec, logging download progress via SLF4J.
     *
     * @param spec     an alias, {@code org/name[@revision]}, a local directory or {@code bundled:NAME}
     * @param settings endpoint, token, cache and offline mode
     * @return the model directory
     * @throws HubException if the spec is invalid or the model cannot be found or downloaded
     */
    public static Path locate(String spec, HubSettings settings) {
        return locate(spec, settings, DownloadProgress.logging());
    }

    /**
     * Resolves a spec, reporting download progress to {@code progress}.
     *
     * @param spec     an alias, {@code org/name[@revision]}, a local directory or {@code bundled:NAME}
     * @param settings endpoint, token, cache and offline mode
     * @param progress receives byte counts while files download
     * @return the model directory
     * @throws HubException if the spec is invalid or the model cannot be found or downloaded
     */
    public static Path locate(String spec, HubSettings settings, DownloadProgress progress) {
        if (BundledModels.isBundled(spec)) {
            return BundledModels.locate(spec);
        }
        return locate(ModelRef.parse(spec), new HubClient(settings, progress));
    }

    /**
     * Resolves a parsed reference with the given client.
     *
     * @param ref    a hub repository or a local directory
     * @param client used for hub references
     * @return the model directory
     * @throws HubException if the model cannot be found or downloaded
     */
    public static Path locate(ModelRef ref, HubClient client) {
        if (ref instanceof ModelRef.Local local) {
            if (!Files.isRegularFile(local.dir().resolve(CONFIG))) {
                throw new HubException("Local directory " + local.dir() + " is not a Hugging Face model: it has no "
                        + CONFIG + ".");
            }
            return local.dir();
        }
        return locateHub((ModelRef.Hub) ref, client);
    }

    private static Path locateHub(ModelRef.Hub ref, HubClient client) {
        Optional<Path> cached = client.cachedSnapshot(ref);
        List<String> missingRequired = cached.map(ModelLocator::missingRequired).orElse(List.of(CONFIG));
        if (cached.isPresent()) {
            Path dir = cached.get();
            String commit = dir.getFileName().toString();
            List<String> missingOptional = OPTIONAL_FILES.stream()
                    .filter(f -> !Files.exists(dir.resolve(f)) && !client.isMarkedMissing(ref, commit, f)).toList();
            if (missingRequired.isEmpty() && missingOptional.isEmpty()) {
                log.debug("{} found complete in cache: {}", ref, dir);
                return dir;
            }
            if (client.settings().offline() && missingRequired.isEmpty()) {
                log.warn("Offline: using {} for {} although these files were never downloaded: {}", dir, ref,
                        missingOptional);
                return dir;
            }
        }
        if (client.settings().offline()) {
            throw client.offlineMiss(ref, missingRequired.get(0));
        }
        try {
            return download(ref, client);
        } catch (HubUnreachableException e) {
            if (cached.isPresent() && missingRequired.isEmpty()) {
                log.warn("{} Using the incomplete cached snapshot {}.", e.getMessage(), cached.get());
                return cached.get();
            }
            throw e;
        }
    }

    private static Path download(ModelRef.Hub ref, HubClient client) {
        HubClient.RevisionInfo info = client.revisionInfo(ref);
        Set<String> files = new HashSet<>(info.files());
        if (!files.contains(CONFIG)) {
            throw new HubException(ref + " (commit " + info.commit() + ") has no " + CONFIG
                    + "; it does not look like a transformers model.");
        }
        String weights = WEIGHT_FILES.stream().filter(files::contains).findFirst()
                .orElseThrow(() -> new HubException(ref + " (commit " + info.commit() + ") has no weights: expected one of "
                        + WEIGHT_FILES + ". Its files are: " + info.files()));
        Set<String> wanted = new HashSet<>(OPTIONAL_FILES);
        wanted.retainAll(files);
        wanted.add(CONFIG);
        wanted.add(weights);
        Path dir = client.download(info, wanted::contains);
        if (weights.endsWith(".index.json")) {
            Set<String> shards = shards(dir.resolve(weights));
            List<String> absent = shards.stream().filter(s -> !files.contains(s)).toList();
            if (!absent.isEmpty()) {
                throw new HubException(weights + " of " + ref + " lists shards the repository does not have: " + absent);
            }
            client.download(info, shards::contains);
        }
        OPTIONAL_FILES.stream().filter(f -> !files.contains(f)).forEach(f -> client.markMissing(info, f));
        log.info("{} is ready in {}", ref, dir);
        return dir;
    }

    /** @return required files absent from a snapshot: the config, and the weights (with every shard of an index) */
    private static List<String> missingRequired(Path dir) {
        List<String> missing = new ArrayList<>();
        if (!Files.exists(dir.resolve(CONFIG))) {
            missing.add(CONFIG);
        }
        Optional<String> weights = WEIGHT_FILES.stream().filter(w -> Files.exists(dir.resolve(w))).findFirst();
        if (weights.isEmpty()) {
            missing.add(WEIGHT_FILES.get(0) + " (or " + String.join(", ", WEIGHT_FILES.subList(1, WEIGHT_FILES.size()))
                    + ")");
        } else if (weights.get().endsWith(".index.json")) {
            shards(dir.resolve(weights.get())).stream().filter(s -> !Files.exists(dir.resolve(s))).forEach(missing::add);
        }
        return missing;
    }

    /** @return the distinct shard file names of a {@code *.index.json}'s {@code weight_map}, in order */
    private static Set<String> shards(Path index) {
        JsonNode weightMap;
        try {
            weightMap = JSON.readTree(index.toFile()).path("weight_map");
        } catch (IOException e) {
            throw new HubException("Cannot read weight index " + index + ": " + e.getMessage(), e);
        }
        if (!weightMap.isObject() || weightMap.isEmpty()) {
            throw new HubException("Weight index " + index + " has no weight_map.");
        }
        Set<String> shards = new LinkedHashSet<>();
        weightMap.forEach(v -> shards.add(v.asText()));
        return shards;
    }
}
