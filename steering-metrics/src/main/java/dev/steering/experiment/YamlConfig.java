package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The YAML machinery shared by the study configs ({@link ExperimentConfig}, {@link ToxicityConfig}): snake_case keys
 * bound to records, {@code section.key=value} overrides, and errors that name the file and key.
 */
public final class YamlConfig {
    /** Top-level key naming the study a config is for; absent means the refusal study. */
    public static final String STUDY = "study";

    private YamlConfig() {
    }

    /**
     * A parsed config before binding.
     *
     * @param origin the file or bundled name, for messages
     * @param tree   the YAML mapping of sections
     */
    public record Source(String origin, ObjectNode tree) {
        /** The {@value #STUDY} key's value, or {@code refusal} when there is none. */
        public String study() {
            JsonNode s = tree.get(STUDY);
            return s == null || s.isNull() ? "refusal" : s.asText();
        }
    }

    static ObjectMapper mapper() {
        return new ObjectMapper(new YAMLFactory())
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
    }

    /**
     * Reads a config: {@code nameOrPath} is a YAML file, or the name of a bundled config found by {@code bundled}.
     *
     * @throws IllegalArgumentException naming the file when it is missing, unreadable or not a mapping
     */
    public static Source read(String nameOrPath, ExperimentConfig.BundledConfigs bundled) {
        String origin;
        JsonNode tree;
        try {
            Path p = Path.of(nameOrPath);
            if (Files.isRegularFile(p)) {
                origin = p.toString();
                tree = mapper().readTree(p.toFile());
            } else {
                try (InputStream in = bundled.open(nameOrPath)) {
                    if (in == null) {
                        throw new IllegalArgumentException("no config file '" + nameOrPath + "' and no bundled config of "
                                + "that name (bundled: " + String.join(", ", bundled.names()) + ")");
                    }
                    origin = "bundled config '" + nameOrPath + "'";
                    tree = mapper().readTree(in);
                }
            }
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + nameOrPath + ": " + e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException(nameOrPath + ": a config must be a YAML mapping of sections");
        }
        return new Source(origin, (ObjectNode) tree);
    }

    /**
     * Parses a config from YAML text (e.g. a run directory's {@code config.yaml} shipped to another process).
     *
     * @param origin what the text is, for messages
     * @throws IllegalArgumentException naming {@code origin} when the text is not a YAML mapping
     */
    public static Source parse(String yaml, String origin) {
        JsonNode tree;
        try {
            tree = mapper().readTree(yaml);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + origin + ": " + e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException(origin + ": a config must be a YAML mapping of sections");
        }
        return new Source(origin, (ObjectNode) tree);
    }

    /**
     * Applies {@code section.key=value} overrides (the value is YAML: {@code 3}, {@code [4, 8]}, {@code "60%"}) to a
     * copy of the source's tree and binds it to {@code type}.
     *
     * @throws IllegalArgumentException naming the key on an unknown key, a wrong type or a missing value
     */
    public static <T> T bind(Source source, List<String> overrides, Class<T> type) {
        ObjectNode tree = source.tree().deepCopy();
        for (String o : overrides) {
            applyOverride(tree, o);
        }
        return bind(tree, source.origin(), type);
    }

    /** Binds a parsed tree, turning Jackson's errors into messages that name the key. */
    static <T> T bind(JsonNode tree, String origin, Class<T> type) {
        try {
            return mapper().treeToValue(tree, type);
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException(origin + ": unknown key '" + path(e) + "' (known: "
                    + e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", "))
                    + ")");
        } catch (InvalidFormatException e) {
            throw new IllegalArgumentException(origin + ": key '" + path(e) + "' has the wrong type: '" + e.getValue()
                    + "' is not a " + e.getTargetType().getSimpleName());
        } catch (MismatchedInputException e) {
            throw new IllegalArgumentException(origin + ": key '" + path(e) + "' is missing or has the wrong type ("
                    + e.getOriginalMessage().split("\n")[0] + ")");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(origin + ": " + e.getOriginalMessage());
        }
    }

    private static String path(MismatchedInputException e) {
        return e.getPath().stream().map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
                .collect(Collectors.joining(".")).replace(".[", "[");
    }

    private static void applyOverride(ObjectNode root, String override) {
        int eq = override.indexOf('=');
        int dot = override.indexOf('.');
        if (eq < 0 || dot < 0 || dot > eq) {
            throw new IllegalArgumentException("--set expects section.key=value, got '" + override + "'");
        }
        String section = override.substring(0, dot);
        String key = override.substring(dot + 1, eq);
        JsonNode value;
        try {
            value = mapper().readTree(override.substring(eq + 1));
        } catch (IOException e) {
            throw new IllegalArgumentException("--set " + override + ": the value is not valid YAML");
        }
        JsonNode sec = root.get(section);
        if (sec == null || !sec.isObject()) {
            throw new IllegalArgumentException("--set " + override + ": unknown section '" + section + "'");
        }
        if (key.contains(".")) {                 // one more level: sanity_checks.alt_prefixes.refusal_prefix
            String sub = key.substring(0, key.indexOf('.'));
            JsonNode inner = sec.get(sub);
            if (inner == null || !inner.isObject()) {
                throw new IllegalArgumentException("--set " + override + ": unknown key '" + section + "." + sub + "'");
            }
            sec = inner;
            key = key.substring(key.indexOf('.') + 1);
        }
        if (!sec.has(key)) {
            throw new IllegalArgumentException("--set " + override + ": unknown key '" + key + "' in section '" + section
                    + "'");
        }
        ((ObjectNode) sec).set(key, value == null ? NullNode.getInstance() : value);
    }

    /** Throws {@code origin: key what} unless {@code ok}. */
    static void check(boolean ok, String origin, String key, String what) {
        if (!ok) {
            throw new IllegalArgumentException(origin + ": " + key + " " + what);
        }
    }

    /** A config record as YAML (saved in each run directory). */
    public static String toYaml(Object config) {
        try {
            return mapper().writeValueAsString(config);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A canonical map of everything that changes the results (for the run id); {@code experiment.output_dir} excluded. */
    public static Map<String, Object> identity(Object config) {
        @SuppressWarnings("unchecked")
        Map<String, Object> all = mapper().convertValue(config, Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> exp = new LinkedHashMap<>((Map<String, Object>) all.get("experiment"));
        exp.remove("output_dir");
        all.put("experiment", exp);
        return all;
    }
}
