package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.model.ChatMessage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An ordered list of prompts with unique ids, stored as JSON lines:
 * {@code {"id":"harm_train_0001","prompt":"...","meta":{"family":"...","style":"..."}}}.
 */
public final class PromptSet {
    private static final Logger log = LoggerFactory.getLogger(PromptSet.class);
    /** Strict: a line holding more than one JSON value is an error, not its first value. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    private final List<Prompt> prompts;

    /**
     * @throws IllegalArgumentException if two prompts share an id
     */
    public PromptSet(List<Prompt> prompts) {
        Set<String> ids = new HashSet<>();
        for (Prompt p : prompts) {
            if (!ids.add(p.id())) {
                throw new IllegalArgumentException("duplicate prompt id '" + p.id() + "'");
            }
        }
        this.prompts = List.copyOf(prompts);
    }

    /** The prompts in order. */
    public List<Prompt> prompts() {
        return prompts;
    }

    /** The number of prompts. */
    public int size() {
        return prompts.size();
    }

    /**
     * Loads a JSONL prompt file. Blank lines are skipped; {@code meta} is optional and must map names to strings.
     *
     * @throws InputFormatException {@code "<file>:<line>: <problem>"} for invalid UTF-8, malformed JSON, a missing or
     *                              non-string id/prompt, an empty prompt, a duplicate id, more than one JSON value on
     *                              a line, a file without prompts or a directory
     */
    public static PromptSet load(Path file) throws IOException {
        String source = file.toString();
        String text = TextFiles.readUtf8(file);
        List<Prompt> prompts = new ArrayList<>();
        Map<String, Integer> idLines = new LinkedHashMap<>();
        String[] lines = text.split("\r?\n", -1);
        for (int i = 0; i < lines.length; i++) {
            int lineNo = i + 1;
            String line = lines[i];
            if (line.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new InputFormatException(source, lineNo, "malformed JSON: " + e.getOriginalMessage(), e);
            }
            if (!(node instanceof ObjectNode)) {
                throw new InputFormatException(source, lineNo, "expected a JSON object");
            }
            String id = requiredText(node, "id", source, lineNo);
            String prompt = requiredText(node, "prompt", source, lineNo);
            if (prompt.isBlank()) {
                throw new InputFormatException(source, lineNo, "empty prompt for id '" + id + "'");
            }
            Integer previous = idLines.putIfAbsent(id, lineNo);
            if (previous != null) {
                throw new InputFormatException(source, lineNo, "duplicate id '" + id + "' (first on line " + previous + ")");
            }
            prompts.add(new Prompt(id, prompt, meta(node.get("meta"), source, lineNo),
                    messages(node.get("messages"), source, lineNo)));
        }
        if (prompts.isEmpty()) {
            throw new InputFormatException(source, "no prompts in the file (expected one JSON object per line)");
        }
        log.debug("loaded {} prompts from {}", prompts.size(), file);
        return new PromptSet(prompts);
    }

    private static String requiredText(JsonNode node, String field, String source, int line) throws InputFormatException {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new InputFormatException(source, line, "missing \"" + field + "\"");
        }
        if (!v.isTextual()) {
            throw new InputFormatException(source, line, "\"" + field + "\" must be a string");
        }
        if (field.equals("id") && v.asText().isBlank()) {
            throw new InputFormatException(source, line, "empty id");
        }
        return v.asText();
    }

    /** The optional {@code "messages"}: earlier turns, each {@code {"role": ..., "content": ...}}. */
    private static List<ChatMessage> messages(JsonNode messages, String source, int line) throws InputFormatException {
        List<ChatMessage> out = new ArrayList<>();
        if (messages == null || messages.isNull()) {
            return out;
        }
        if (!messages.isArray()) {
            throw new InputFormatException(source, line, "\"messages\" must be an array of {\"role\", \"content\"}");
        }
        for (int i = 0; i < messages.size(); i++) {
            JsonNode m = messages.get(i);
            if (!m.path("role").isTextual() || m.path("role").asText().isBlank() || !m.path("content").isTextual()) {
                throw new InputFormatException(source, line, "message " + i + " needs string fields \"role\" and "
                        + "\"content\"");
            }
            out.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
        }
        return out;
    }

    private static Map<String, String> meta(JsonNode meta, String source, int line) throws InputFormatException {
        Map<String, String> out = new LinkedHashMap<>();
        if (meta == null || meta.isNull()) {
            return out;
        }
        if (!meta.isObject()) {
            throw new InputFormatException(source, line, "\"meta\" must be an object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = meta.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isValueNode() || e.getValue().isNull()) {
                throw new InputFormatException(source, line, "meta \"" + e.getKey() + "\" must be a string");
            }
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }

    /** Writes the set as JSON lines (UTF-8, {@code \n}-terminated) atomically: temp file, then atomic move. */
    public void write(Path file) throws IOException {
        StringBuilder sb = new StringBuilder();
        for (Prompt p : prompts) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", p.id());
            o.put("prompt", p.prompt());
            ObjectNode meta = o.putObject("meta");
            p.meta().forEach(meta::put);
            if (!p.messages().isEmpty()) {
                var messages = o.putArray("messages");
                p.messages().forEach(m -> messages.addObject().put("role", m.role()).put("content", m.content()));
            }
            sb.append(JSON.writeValueAsString(o)).append('\n');
        }
        TextFiles.writeAtomically(file, sb.toString());
        log.debug("wrote {} prompts to {}", prompts.size(), file);
    }

    /**
     * A stable SHA-256 (lowercase hex) of the ids and prompt texts in order, then each prompt's messages' roles
     * and contents (each UTF-8, prefixed by its big-endian 4-byte length), for provenance: meta does not count, so
     * re-annotating a set keeps its hash (and a set without messages keeps the hash it had before they existed).
     */
    public String hash() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every Java platform", e);
        }
        for (Prompt p : prompts) {
            List<String> parts = new ArrayList<>(List.of(p.id(), p.prompt()));
            p.messages().forEach(m -> parts.addAll(List.of(m.role(), m.content())));
            for (String s : parts) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                sha.update(java.nio.ByteBuffer.allocate(4).putInt(b.length).array());
                sha.update(b);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PromptSet s && s.prompts.equals(prompts);
    }

    @Override
    public int hashCode() {
        return prompts.hashCode();
    }

    @Override
    public String toString() {
        return "PromptSet[" + prompts.size() + " prompts, sha256 " + hash().substring(0, 12) + "]";
    }
}
