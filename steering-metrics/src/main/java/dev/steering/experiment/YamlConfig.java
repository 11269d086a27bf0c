package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
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
 *
 * <p>A config lists only what it changes: {@link #read} merges it, key by key, over the bundled defaults of its
 * study ({@value #DEFAULT_CONFIG} for the refusal study, the bundled config named after the study otherwise, e.g.
 * {@code toxicity}); mappings merge recursively, a list or a value replaces the default. An unknown key is an error
 * naming it and the nearest known key; a value of the wrong type (a fraction where an integer is expected) is an
 * error naming the key and the value.
 */
public final class YamlConfig {
    /** Top-level key naming the study a config is for; absent means the refusal study. */
    public static final String STUDY = "study";
    /** The bundled config holding the refusal study's defaults. */
    public static final String DEFAULT_CONFIG = "default";
    /** The study of a config without a {@value #STUDY} key. */
    public static final String REFUSAL_STUDY = "refusal";

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
            return s == null || s.isNull() ? REFUSAL_STUDY : s.asText();
        }
    }

    static ObjectMapper mapper() {
        return new ObjectMapper(new YAMLFactory())
                .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES);
    }

    /**
     * Reads a config: {@code nameOrPath} is a YAML file, or the name of a bundled config found by {@code bundled}. The
     * result is the config merged over its study's bundled defaults (see the class comment).
     *
     * @throws IllegalArgumentException naming the file when it is missing, unreadable or not a mapping
     */
    public static Source read(String nameOrPath, ExperimentConfig.BundledConfigs bundled) {
        Path p = Path.of(nameOrPath);
        boolean file = Files.isRegularFile(p);
        Source own = file ? new Source(p.toString(), parse(p)) : bundled(nameOrPath, bundled)
                .orElseThrow(() -> new IllegalArgumentException("no config file '" + nameOrPath + "' and no bundled "
                        + "config of that name (bundled: " + String.join(", ", bundled.names()) + ")"));
        String defaultsName = own.study().equals(REFUSAL_STUDY) ? DEFAULT_CONFIG : own.study();
        if (!file && nameOrPath.equals(defaultsName)) {
            return own;
        }
        return bundled(defaultsName, bundled)
                .map(defaults -> new Source(own.origin(), merge(defaults.tree().deepCopy(), own.tree())))
                .orElse(own);
    }

    /** The bundled config {@code name}, if there is one. */
    private static java.util.Optional<Source> bundled(String name, ExperimentConfig.BundledConfigs bundled) {
        String origin = "bundled config '" + name + "'";
        try (InputStream in = bundled.open(name)) {
            return in == null ? java.util.Optional.empty() : java.util.Optional.of(new Source(origin, mapping(
                    mapper().readTree(in), origin)));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(origin + ": " + syntaxError(e));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + origin + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode parse(Path file) {
        try {
            return mapping(mapper().readTree(file.toFile()), file.toString());
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": " + syntaxError(e));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read config " + file + ": " + e.getMessage(), e);
        }
    }

    private static ObjectNode mapping(JsonNode tree, String origin) {
        if (tree == null || !tree.isObject()) {
            throw new IllegalArgumentException(origin + ": a config must be a YAML mapping of sections");
        }
        return (ObjectNode) tree;
    }

    /** The parser's own message and the line and column, without its internals (source description, features). */
    private static String syntaxError(JsonProcessingException e) {
        var loc = e.getLocation();
        String where = loc == null || loc.getLineNr() < 1 ? "" : "line " + loc.getLineNr() + ", column "
                + loc.getColumnNr() + ": ";
        return where + "not valid YAML (" + e.getOriginalMessage().strip().split("\\R")[0] + ")";
    }

    /** Copies {@code over} into {@code base}: mappings merge key by key, anything else replaces. Returns {@code base}. */
    static ObjectNode merge(ObjectNode base, ObjectNode over) {
        over.fields().forEachRemaining(e -> {
            JsonNode old = base.get(e.getKey());
            if (old instanceof ObjectNode o && e.getValue() instanceof ObjectNode n) {
                merge(o, n);
            } else {
                base.set(e.getKey(), e.getValue().deepCopy());
            }
        });
        return base;
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
            List<String> known = e.getKnownPropertyIds().stream().map(Object::toString).sorted().toList();
            String key = path(e);
            String prefix = key.contains(".") ? key.substring(0, key.lastIndexOf('.') + 1) : "";
            throw new IllegalArgumentException(origin + ": unknown key '" + key + "'"
                    + nearest(e.getPropertyName(), known).map(k -> " (did you mean '" + prefix + k + "'?)").orElse("")
                    + "; the keys here are " + String.join(", ", known));
        } catch (MismatchedInputException e) {
            String key = path(e);
            JsonNode value = at(tree, e);
            if (value == null || value.isMissingNode()) {
                throw new IllegalArgumentException(origin + ": key '" + key + "' is missing");
            }
            Class<?> target = e.getTargetType();
            throw new IllegalArgumentException(origin + ": key '" + key + "' must be " + typeName(target) + ", got "
                    + (value.isValueNode() ? value.toString() : value.isArray() ? "a list" : "a mapping"));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(origin + ": " + e.getOriginalMessage().strip().split("\\R")[0]);
        }
    }

    /** The value at the exception's path in {@code tree}, or null when the path does not exist. */
    private static JsonNode at(JsonNode tree, MismatchedInputException e) {
        JsonNode n = tree;
        for (var r : e.getPath()) {
            n = n == null ? null : r.getFieldName() != null ? n.get(r.getFieldName()) : n.get(r.getIndex());
        }
        return n;
    }

    private static String typeName(Class<?> t) {
        if (t == null) {
            return "of another type";
        }
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
            return "an integer";
        }
        if (t == double.class || t == Double.class || t == float.class || t == Float.class) {
            return "a number";
        }
        if (t == boolean.class || t == Boolean.class) {
            return "true or false";
        }
        if (t == String.class) {
            return "a string";
        }
        if (java.util.Collection.class.isAssignableFrom(t)) {
            return "a list";
        }
        return t.isRecord() ? "a mapping" : "a " + t.getSimpleName();
    }

    /** The known key closest to {@code key} by edit distance, if it is close enough to be a plausible typo. */
    static java.util.Optional<String> nearest(String key, List<String> known) {
        String best = null;
        int bestD = Integer.MAX_VALUE;
        for (String k : known) {
            int d = editDistance(key, k);
            if (d < bestD) {
                best = k;
                bestD = d;
            }
        }
        return best != null && bestD <= Math.max(2, key.length() / 3) ? java.util.Optional.of(best)
                : java.util.Optional.empty();
    }

    /** Levenshtein distance (insertions, deletions and substitutions of one character each cost 1). */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j], cur[j - 1]) + 1);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
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
            List<String> known = new java.util.ArrayList<>();
            root.fields().forEachRemaining(f -> {
                if (f.getValue().isObject()) {
                    known.add(f.getKey());
                }
            });
            throw new IllegalArgumentException("--set " + override + ": unknown section '" + section + "'"
                    + nearest(section, known).map(k -> " (did you mean '" + k + "'?)").orElse(""));
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
            List<String> known = new java.util.ArrayList<>();
            sec.fieldNames().forEachRemaining(known::add);
            throw new IllegalArgumentException("--set " + override + ": unknown key '" + key + "' in section '" + section
                    + "'" + nearest(key, known).map(k -> " (did you mean '" + k + "'?)").orElse(""));
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
