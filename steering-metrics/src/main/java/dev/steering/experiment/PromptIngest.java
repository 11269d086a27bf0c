package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns user data (CSV with a header row, a JSON array of objects, or JSON lines) into prompts for a
 * {@link PromptSet}. The prompt column is configurable; ids come from an id column or are generated as
 * {@code <split>_0001}, ... Other columns become meta, plus {@code split} and {@code source} (the file name).
 * Every problem (invalid UTF-8, malformed CSV/JSON, more than one JSON value on a line, missing or duplicate column,
 * empty prompt, empty or duplicate id, a file without prompts, a directory) is an {@link InputFormatException}
 * {@code "<file>:<line>: <problem>"}.
 */
public final class PromptIngest {
    private static final Logger log = LoggerFactory.getLogger(PromptIngest.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** For JSON lines: a line holding more than one value is an error, not its first value. */
    private static final ObjectMapper JSON_LINE = JSON.copy().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private PromptIngest() {
    }

    /**
     * Reads a CSV file whose first record is the header.
     *
     * @param promptColumn the header name of the prompt text
     * @param idColumn     the header name of the ids, or {@code null} to generate ids
     * @param split        the set name, used for generated ids and recorded as meta {@code split}
     */
    public static List<Prompt> fromCsv(Path file, String promptColumn, String idColumn, String split) throws IOException {
        String source = file.toString();
        List<Csv.Row> rows = Csv.parse(TextFiles.readUtf8(file), source);
        if (rows.isEmpty()) {
            throw new InputFormatException(source, 1, "empty CSV file (expected a header row)");
        }
        Csv.Row header = rows.get(0);
        List<String> names = header.fields().stream().map(String::strip).toList();
        for (int c = 0; c < names.size(); c++) {
            int first = names.indexOf(names.get(c));
            if (first != c) {
                throw new InputFormatException(source, header.line(), "duplicate column '" + names.get(c) + "' (columns "
                        + (first + 1) + " and " + (c + 1) + " of the header)");
            }
        }
        int promptIndex = columnIndex(names, promptColumn, source, header.line());
        int idIndex = idColumn == null ? -1 : columnIndex(names, idColumn, source, header.line());
        Collector out = new Collector(file, split);
        for (Csv.Row row : rows.subList(1, rows.size())) {
            if (row.fields().size() != names.size()) {
                throw new InputFormatException(source, row.line(), "expected " + names.size() + " fields (as in the header), found "
                        + row.fields().size());
            }
            Map<String, String> meta = new LinkedHashMap<>();
            for (int c = 0; c < names.size(); c++) {
                if (c != promptIndex && c != idIndex && !row.fields().get(c).isEmpty()) {
                    meta.put(names.get(c), row.fields().get(c));
                }
            }
            out.add(row.line(), idIndex < 0 ? null : row.fields().get(idIndex), row.fields().get(promptIndex), meta);
        }
        return out.done();
    }

    /**
     * Reads a JSON array of objects, or JSON lines (one object per line; blank lines skipped): chosen by whether the
     * first non-blank character is {@code [}.
     *
     * @param promptField the field holding the prompt text (a string)
     * @param idField     the field holding the id (string or number), or {@code null} to generate ids
     * @param split       the set name, used for generated ids and recorded as meta {@code split}
     */
    public static List<Prompt> fromJson(Path file, String promptField, String idField, String split) throws IOException {
        String source = file.toString();
        String text = TextFiles.readUtf8(file);
        Collector out = new Collector(file, split);
        if (text.stripLeading().startsWith("[")) {
            try (JsonParser p = JSON.createParser(text)) {
                p.nextToken();
                while (p.nextToken() != JsonToken.END_ARRAY) {
                    if (p.currentToken() == null) {
                        throw new InputFormatException(source, p.currentLocation().getLineNr(), "unterminated JSON array");
                    }
                    int line = p.currentTokenLocation().getLineNr();
                    JsonNode node = p.readValueAsTree();
                    addJson(out, node, promptField, idField, source, line);
                }
                if (p.nextToken() != null) {
                    throw new InputFormatException(source, p.currentTokenLocation().getLineNr(),
                            "unexpected content after the JSON array");
                }
            } catch (JsonProcessingException e) {
                throw new InputFormatException(source, e.getLocation() == null ? 1 : e.getLocation().getLineNr(),
                        "malformed JSON: " + e.getOriginalMessage(), e);
            }
        } else {
            String[] lines = text.split("\r?\n", -1);
            for (int i = 0; i < lines.length; i++) {
                if (lines[i].isBlank()) {
                    continue;
                }
                JsonNode node;
                try {
                    node = JSON_LINE.readTree(lines[i]);
                } catch (JsonProcessingException e) {
                    throw new InputFormatException(source, i + 1, "malformed JSON: " + e.getOriginalMessage(), e);
                }
                addJson(out, node, promptField, idField, source, i + 1);
            }
        }
        return out.done();
    }

    private static void addJson(Collector out, JsonNode node, String promptField, String idField, String source, int line)
            throws InputFormatException {
        if (node == null || !node.isObject()) {
            throw new InputFormatException(source, line, "expected a JSON object");
        }
        JsonNode prompt = node.get(promptField);
        if (prompt == null || prompt.isNull()) {
            throw new InputFormatException(source, line, "missing \"" + promptField + "\"");
        }
        if (!prompt.isTextual()) {
            throw new InputFormatException(source, line, "\"" + promptField + "\" must be a string");
        }
        String id = null;
        if (idField != null) {
            JsonNode idNode = node.get(idField);
            if (idNode == null || idNode.isNull()) {
                throw new InputFormatException(source, line, "missing \"" + idField + "\"");
            }
            if (!idNode.isTextual() && !idNode.isIntegralNumber()) {
                throw new InputFormatException(source, line, "\"" + idField + "\" must be a string or an integer");
            }
            id = idNode.asText();
        }
        Map<String, String> meta = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().equals(promptField) && !e.getKey().equals(idField) && !e.getValue().isNull()) {
                meta.put(e.getKey(), e.getValue().isValueNode() ? e.getValue().asText() : e.getValue().toString());
            }
        }
        out.add(line, id, prompt.asText(), meta);
    }

    private static int columnIndex(List<String> names, String column, String source, int line) throws InputFormatException {
        int i = names.indexOf(column);
        if (i < 0) {
            throw new InputFormatException(source, line, "no column '" + column + "' in header " + names);
        }
        return i;
    }

    /** Validates records and builds the prompts. */
    private static final class Collector {
        private final Path file;
        private final String split;
        private final Map<String, Integer> idLines = new HashMap<>();
        private final List<Prompt> prompts = new ArrayList<>();

        Collector(Path file, String split) {
            if (split == null || split.isBlank()) {
                throw new IllegalArgumentException("split name must be non-blank");
            }
            this.file = file;
            this.split = split;
        }

        void add(int line, String id, String prompt, Map<String, String> meta) throws InputFormatException {
            String source = file.toString();
            if (prompt.isBlank()) {
                throw new InputFormatException(source, line, "empty prompt");
            }
            if (id == null) {
                id = String.format("%s_%04d", split, prompts.size() + 1);
            } else if (id.isBlank()) {
                throw new InputFormatException(source, line, "empty id");
            }
            Integer first = idLines.putIfAbsent(id, line);
            if (first != null) {
                throw new InputFormatException(source, line, "duplicate id '" + id + "' (first on line " + first + ")");
            }
            meta.put("split", split);
            meta.putIfAbsent("source", String.valueOf(file.getFileName()));
            prompts.add(new Prompt(id, prompt, meta));
        }

        List<Prompt> done() throws InputFormatException {
            if (prompts.isEmpty()) {
                throw new InputFormatException(file.toString(), "no prompts in the file (expected at least one record)");
            }
            log.info("ingested {} prompts from {} as split '{}'", prompts.size(), file, split);
            return List.copyOf(prompts);
        }
    }
}
