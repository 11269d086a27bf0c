package dev.steering.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Scores a JSONL file of completions: each non-blank line is an object with an {@code id} and a string
 * {@code completion} (optionally {@code logprobs} and {@code entropies}, arrays of numbers per generated token).
 * Every line is kept with its fields in order, and {@link CompletionScores#toFields()} is added (replacing fields of
 * the same name).
 *
 * <p>All lines are validated before anything is written; the output is written to a temporary file next to it and
 * moved into place, so on any error the output file is untouched.
 */
public final class ScoreJsonl {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ScoreJsonl() {
    }

    /**
     * @return the number of completions scored
     * @throws IllegalArgumentException for a malformed line, naming the file and line number
     *                                  ({@code "completions.jsonl line 7: missing string field 'completion'"})
     */
    public static int score(Path in, Path out, CompletionScorer scorer) throws IOException {
        return score(in, out, scorer, texts -> texts.stream().map(t -> Map.<String, Object>of()).toList());
    }

    /**
     * Scores as {@link #score(Path, Path, CompletionScorer)} and adds the fields of a further, batched metric (such as
     * {@link dev.steering.metrics.toxicity.ToxicityMetric#fields(List)}), computed for all completions before
     * anything is written.
     *
     * @param extraFields maps the completions, in file order, to one field map each (added after the scorer's)
     * @return the number of completions scored
     * @throws IllegalArgumentException for a malformed line, naming the file and line number
     */
    public static int score(Path in, Path out, CompletionScorer scorer,
                            Function<List<String>, List<Map<String, Object>>> extraFields) throws IOException {
        List<String> lines = Files.readAllLines(in, StandardCharsets.UTF_8);
        List<ObjectNode> rows = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                String where = in.getFileName() + " line " + (i + 1) + ": ";
                try {
                    rows.add(validate(lines.get(i), ids));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException(where + e.getMessage(), e);
                }
            }
        }
        List<Map<String, Object>> extra = extraFields.apply(rows.stream().map(r -> r.get("completion").textValue())
                .toList());
        if (extra.size() != rows.size()) {
            throw new IllegalStateException("expected " + rows.size() + " field maps, got " + extra.size());
        }
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
        try {
            try (BufferedWriter w = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8)) {
                for (int i = 0; i < rows.size(); i++) {
                    ObjectNode row = rows.get(i);
                    CompletionScores s = scorer.score(row.get("completion").textValue(),
                            doubles(row.get("logprobs")), doubles(row.get("entropies")));
                    s.toFields().forEach((k, v) -> row.set(k, JSON.valueToTree(v)));
                    extra.get(i).forEach((k, v) -> row.set(k, JSON.valueToTree(v)));
                    w.write(JSON.writeValueAsString(row));
                    w.newLine();
                }
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return rows.size();
    }

    private static ObjectNode validate(String line, Set<String> ids) {
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + e.getOriginalMessage());
        }
        if (!(node instanceof ObjectNode row)) {
            throw new IllegalArgumentException("expected a JSON object, got " + node.getNodeType().name().toLowerCase());
        }
        JsonNode id = row.get("id");
        if (id == null || id.isNull() || id.isContainerNode()) {
            throw new IllegalArgumentException("missing field 'id' (a string or number)");
        }
        if (!ids.add(id.asText())) {
            throw new IllegalArgumentException("duplicate id " + id);
        }
        JsonNode completion = row.get("completion");
        if (completion == null || !completion.isTextual()) {
            throw new IllegalArgumentException("missing string field 'completion'"
                    + (completion == null ? "" : " (got " + completion.getNodeType().name().toLowerCase() + ")"));
        }
        double[] lp = checkedDoubles(row, "logprobs");
        double[] ent = checkedDoubles(row, "entropies");
        if (lp != null && ent != null && lp.length > 0 && ent.length > 0 && lp.length != ent.length) {
            throw new IllegalArgumentException("'logprobs' has " + lp.length + " values but 'entropies' has " + ent.length);
        }
        return row;
    }

    private static double[] checkedDoubles(ObjectNode row, String field) {
        JsonNode n = row.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (!n.isArray()) {
            throw new IllegalArgumentException("'" + field + "' must be an array of numbers");
        }
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isNumber()) {
                throw new IllegalArgumentException("'" + field + "'[" + i + "] is not a number: " + n.get(i));
            }
        }
        return doubles(n);
    }

    private static double[] doubles(JsonNode n) {
        if (n == null || !n.isArray()) {
            return null;
        }
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = n.get(i).doubleValue();
        }
        return out;
    }
}
