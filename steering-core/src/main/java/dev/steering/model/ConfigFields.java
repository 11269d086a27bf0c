package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Typed reads of {@code config.json} fields with errors that name the file, the field and what was expected. Public
 * so that models outside this package (such as the toxicity classifier) read their configs the same way.
 */
public final class ConfigFields {
    /**
     * Largest size accepted for a dimension (hidden size, heads times head size, vocabulary, layers, context):
     * far above any released model, small enough that nothing sized by it can exhaust memory before the
     * checkpoint's tensors are compared with the config.
     */
    public static final int MAX_DIMENSION = 1 << 24;

    private final JsonNode node;
    private final String origin;
    private final String prefix;

    /**
     * @param node   the parsed config
     * @param origin the file and architecture named in errors, e.g. {@code .../config.json (GPTNeoXForCausalLM)}
     */
    public ConfigFields(JsonNode node, String origin) {
        this(node, origin, "");
    }

    private ConfigFields(JsonNode node, String origin, String prefix) {
        this.node = node;
        this.origin = origin;
        this.prefix = prefix;
    }

    /** The object-valued field {@code field} (e.g. {@code rope_scaling}); errors name its fields as {@code field.x}. */
    public ConfigFields nested(String field) {
        JsonNode v = present(field);
        if (!v.isObject()) {
            throw error(field, "an object", v);
        }
        return new ConfigFields(v, origin, prefix + field + ".");
    }

    /** A non-empty list of numbers. */
    public double[] requireDoubles(String field) {
        JsonNode v = present(field);
        if (!v.isArray() || v.isEmpty()) {
            throw error(field, "a list of numbers", v);
        }
        double[] out = new double[v.size()];
        for (int i = 0; i < out.length; i++) {
            if (!v.get(i).isNumber()) {
                throw error(field, "a list of numbers", v);
            }
            out[i] = v.get(i).doubleValue();
        }
        return out;
    }

    /** The full name of {@code field} as errors give it (with the enclosing object's name, if nested). */
    public String name(String field) {
        return prefix + field;
    }

    /** A required integer. */
    public int requireInt(String field) {
        JsonNode v = present(field);
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw error(field, "an integer", v);
        }
        return v.intValue();
    }

    /** An integer, or {@code fallback} when absent or null. */
    public int optInt(String field, int fallback) {
        return has(field) ? requireInt(field) : fallback;
    }

    /** A required number. */
    public double requireDouble(String field) {
        JsonNode v = present(field);
        if (!v.isNumber()) {
            throw error(field, "a number", v);
        }
        return v.doubleValue();
    }

    /** A number, or {@code fallback} when absent or null. */
    public double optDouble(String field, double fallback) {
        return has(field) ? requireDouble(field) : fallback;
    }

    /** A boolean, or {@code fallback} when absent or null. */
    public boolean optBoolean(String field, boolean fallback) {
        if (!has(field)) {
            return fallback;
        }
        JsonNode v = node.get(field);
        if (!v.isBoolean()) {
            throw error(field, "true or false", v);
        }
        return v.booleanValue();
    }

    /** A string, or {@code fallback} when absent or null. */
    public String optString(String field, String fallback) {
        if (!has(field)) {
            return fallback;
        }
        JsonNode v = node.get(field);
        if (!v.isTextual()) {
            throw error(field, "a string", v);
        }
        return v.textValue();
    }

    /** An integer (the first element if a list, as {@code eos_token_id} may be), or {@code null} when absent. */
    public Integer optIntOrNull(String field) {
        if (!has(field)) {
            return null;
        }
        JsonNode v = node.get(field);
        if (v.isArray() && v.size() > 0) {
            v = v.get(0);
        }
        if (!v.isIntegralNumber() || !v.canConvertToInt()) {
            throw error(field, "an integer", v);
        }
        return v.intValue();
    }

    /** A positive integer. */
    public int requirePositive(String field) {
        int v = requireInt(field);
        if (v <= 0) {
            throw new ConfigException(origin + ": field '" + name(field) + "' must be positive, found " + v);
        }
        return v;
    }

    /** A positive integer of at most {@link #MAX_DIMENSION}. */
    public int requireDimension(String field) {
        int v = requirePositive(field);
        if (v > MAX_DIMENSION) {
            throw new ConfigException(origin + ": field '" + name(field) + "' = " + v + " is absurdly large (expected at"
                    + " most " + MAX_DIMENSION + ")");
        }
        return v;
    }

    /** A dimension ({@link #requireDimension}), or {@code fallback} when absent or null. */
    public int optDimension(String field, int fallback) {
        return has(field) ? requireDimension(field) : fallback;
    }

    /** A required finite number above 0. */
    public double requirePositiveDouble(String field) {
        double v = requireDouble(field);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw error(field, "a finite number above 0", node.get(field));
        }
        return v;
    }

    /** A finite number above 0, or {@code fallback} when absent or null. */
    public double optPositiveDouble(String field, double fallback) {
        if (!has(field)) {
            return fallback;
        }
        double v = requireDouble(field);
        if (!(v > 0) || Double.isInfinite(v)) {
            throw error(field, "a finite number above 0", node.get(field));
        }
        return v;
    }

    /** Fails unless {@code product} (of the named fields, e.g. {@code "num_attention_heads × head_dim"}) is a dimension. */
    public void checkProduct(String fields, long product) {
        if (product > MAX_DIMENSION) {
            throw new ConfigException(origin + ": fields '" + fields.replace(" × ", "' × '") + "' give " + product + ", absurdly large (expected at most "
                    + MAX_DIMENSION + ")");
        }
    }

    /** An end-of-sequence id, which must index the vocabulary, or -1 when absent. */
    public int optTokenId(String field, int vocabSize) {
        Integer v = optIntOrNull(field);
        if (v == null) {
            return -1;
        }
        if (v < 0 || v >= vocabSize) {
            throw new ConfigException(origin + ": field '" + name(field) + "' = " + v + " is not a token id of the"
                    + " vocabulary (expected 0 ≤ id < vocab_size " + vocabSize + ")");
        }
        return v;
    }

    /** Whether the field is present and not null. */
    public boolean has(String field) {
        return node.has(field) && !node.get(field).isNull();
    }

    /** The raw value of a field, or {@code null}. */
    public JsonNode node(String field) {
        return node.get(field);
    }

    /** The error for a present but unsupported value, naming the field, the value and what is supported. */
    public ConfigException unsupported(String field, Object value, String supported) {
        return new ConfigException(origin + ": field '" + name(field) + "' = " + value + " is not supported ("
                + supported + ")");
    }

    private JsonNode present(String field) {
        if (!has(field)) {
            throw new ConfigException(origin + ": required field '" + name(field) + "' is missing");
        }
        return node.get(field);
    }

    /** The error for a field whose value is not what was expected, naming the field, the expectation and the value. */
    public ConfigException error(String field, String expected, JsonNode found) {
        return new ConfigException(origin + ": field '" + name(field) + "' must be " + expected + ", found " + found);
    }
}
