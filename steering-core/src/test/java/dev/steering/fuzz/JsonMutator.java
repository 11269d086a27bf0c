package dev.steering.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded mutations of a JSON document for the fuzz tests: one to three values replaced by hostile ones (wrong types,
 * boundary and absurd numbers, odd strings, empty containers) or removed. A container is picked uniformly first, so
 * that a large vocabulary does not take every mutation.
 */
public final class JsonMutator {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> PALETTE = List.of("-1", "0", "1", "2", "3", "7", "2147483647", "4294967296",
            "-2147483648", "9223372036854775807", "1e308", "-1e-9", "0.5", "8.7", "\"\"", "\"x\"", "\"abc\"", "\"Ġ\"",
            "\"é\"", "\"  \"", "\"\\u0000\"", "null", "true", "false", "[]", "{}", "[0]", "[-1, 2]", "{\"type\": \"x\"}",
            "[\"a b\"]", "\"Sequence\"", "\"BPE\"", "\"Replace\"");

    private final SplittableRandom rng;

    /** @param seed fixes the sequence of mutations */
    public JsonMutator(long seed) {
        this.rng = new SplittableRandom(seed);
    }

    /** @return a mutated deep copy of {@code root} */
    public JsonNode mutate(JsonNode root) {
        JsonNode copy = root.deepCopy();
        int n = 1 + rng.nextInt(3);
        for (int i = 0; i < n; i++) {
            mutateOnce(copy);
        }
        return copy;
    }

    private void mutateOnce(JsonNode root) {
        List<JsonNode> containers = new ArrayList<>();
        collect(root, containers, 0);
        JsonNode c = containers.get(rng.nextInt(containers.size()));
        if (c.isEmpty()) {
            return;
        }
        if (c instanceof ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            String name = names.get(rng.nextInt(names.size()));
            if (rng.nextInt(8) == 0) {
                o.remove(name);
            } else {
                o.set(name, replacement(o.get(name)));
            }
        } else if (c instanceof ArrayNode a) {
            int i = rng.nextInt(a.size());
            if (rng.nextInt(8) == 0) {
                a.remove(i);
            } else {
                a.set(i, replacement(a.get(i)));
            }
        }
    }

    private static void collect(JsonNode node, List<JsonNode> out, int depth) {
        if (!node.isContainerNode() || depth > 20) {
            return;
        }
        out.add(node);
        for (JsonNode child : node) {
            collect(child, out, depth + 1);
        }
    }

    private JsonNode replacement(JsonNode old) {
        if (old != null && old.isTextual() && rng.nextBoolean()) {
            String s = old.textValue();
            return JSON.getNodeFactory().textNode(switch (rng.nextInt(4)) {
                case 0 -> s.isEmpty() ? "x" : s.substring(0, rng.nextInt(s.length()));
                case 1 -> s + s;
                case 2 -> "x" + s;
                default -> s.replace(' ', '\u00a0');
            });
        }
        if (old != null && old.isNumber() && rng.nextBoolean()) {
            double v = old.doubleValue();
            String s = switch (rng.nextInt(4)) {
                case 0 -> Long.toString(-(long) v);
                case 1 -> Long.toString((long) v * 1000 + 1);
                case 2 -> Double.toString(v / 3);
                default -> Long.toString((long) v + 1);
            };
            return parse(s);
        }
        return parse(PALETTE.get(rng.nextInt(PALETTE.size())));
    }

    private static JsonNode parse(String json) {
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(json, e);
        }
    }

    /** @return a random int in [0, bound) from this mutator's sequence */
    public int nextInt(int bound) {
        return rng.nextInt(bound);
    }
}
