package dev.steering.model;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Iterator;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each case here made DJL's Rust tokenizer panic and abort the JVM (exit 134) when loaded or used (tokenizers
 * 0.21.4, DJL 0.36); each must now be a {@link ConfigException} naming the file, while close valid variants load.
 */
class TokenizerFileCheckTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** The gpt-neox-tiny tokenizer cut to 2000 tokens (and the merges among them) plus its added tokens. */
    static ObjectNode small;

    @TempDir
    Path tmp;

    @BeforeAll
    static void shrink() throws IOException {
        small = smallTokenizer();
    }

    static ObjectNode smallTokenizer() throws IOException {
        ObjectNode t = (ObjectNode) JSON.readTree(Reference.fixture("gpt-neox-tiny").resolve("tokenizer.json").toFile());
        ObjectNode model = (ObjectNode) t.get("model");
        ObjectNode vocab = JSON.createObjectNode();
        Iterator<Map.Entry<String, JsonNode>> it = model.get("vocab").fields();
        for (int i = 0; i < 2000 && it.hasNext(); i++) {
            Map.Entry<String, JsonNode> e = it.next();
            vocab.set(e.getKey(), e.getValue());
        }
        ArrayNode merges = JSON.createArrayNode();
        for (JsonNode m : model.get("merges")) {
            String[] p = m.asText().split(" ");
            if (p.length == 2 && vocab.has(p[0]) && vocab.has(p[1]) && vocab.has(p[0] + p[1])) {
                merges.add(m);
            }
        }
        model.set("vocab", vocab);
        model.set("merges", merges);
        return t;
    }

    Path write(String name, Consumer<ObjectNode> change) throws IOException {
        ObjectNode t = small.deepCopy();
        change.accept(t);
        Path p = tmp.resolve(name + ".json");
        Files.writeString(p, JSON.writeValueAsString(t));
        return p;
    }

    void rejected(String name, Consumer<ObjectNode> change, String... fragments) throws IOException {
        Path p = write(name, change);
        ConfigException e = assertThrows(ConfigException.class, () -> TextTokenizer.load(p), name);
        assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "'" + f + "' in " + e.getMessage());
        }
    }

    void loads(String name, Consumer<ObjectNode> change) throws IOException {
        TextTokenizer t = TextTokenizer.load(write(name, change));
        assertTrue(t.encode("Hello world, 123 x").length > 0, name);
    }

    static ObjectNode node(String json) {
        try {
            return (ObjectNode) JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static String charsmap(int trieBytes, byte[] trieAndStrings) {
        ByteBuffer b = ByteBuffer.allocate(4 + trieAndStrings.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(trieBytes).put(trieAndStrings);
        return Base64.getEncoder().encodeToString(b.array());
    }

    @Test
    void bpeSubwordPrefixThatMergesDoNotCarry() throws IOException {
        rejected("csp", t -> ((ObjectNode) t.get("model")).put("continuing_subword_prefix", "x"),
                "continuing_subword_prefix \"x\"", "model.merges[0]");
        rejected("csp-unicode", t -> ((ObjectNode) t.get("model")).put("continuing_subword_prefix", "Ġ"), "model.merges[");
        loads("csp-empty", t -> ((ObjectNode) t.get("model")).put("continuing_subword_prefix", ""));
        loads("eow", t -> ((ObjectNode) t.get("model")).put("end_of_word_suffix", "x"));
    }

    @Test
    void normalizersThatBreakOffsets() throws IOException {
        rejected("prepend", t -> t.set("normalizer", node("{\"type\":\"Prepend\",\"prepend\":\"\"}")), "Prepend");
        rejected("seq-prepend", t -> t.set("normalizer",
                node("{\"type\":\"Sequence\",\"normalizers\":[{\"type\":\"NFC\"},{\"type\":\"Prepend\",\"prepend\":\"\"}]}")),
                "Prepend");
        rejected("replace-empty-string", t -> t.set("normalizer",
                node("{\"type\":\"Replace\",\"pattern\":{\"String\":\"\"},\"content\":\"x\"}")), "matches the empty");
        rejected("replace-empty-regex", t -> t.set("normalizer",
                node("{\"type\":\"Replace\",\"pattern\":{\"Regex\":\"a*\"},\"content\":\"x\"}")), "matches the empty");
        // the whitespace added tokens of the Pythia tokenizer are normalized, and these delete them
        rejected("strip", t -> t.set("normalizer", node("{\"type\":\"Strip\",\"strip_left\":true,\"strip_right\":true}")),
                "is normalized to nothing");
        rejected("replace-delete", t -> t.set("normalizer",
                node("{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"\"}")), "is normalized to nothing");
        loads("prepend-ok", t -> t.set("normalizer", node("{\"type\":\"Prepend\",\"prepend\":\"▁\"}")));
        loads("replace-ok", t -> t.set("normalizer",
                node("{\"type\":\"Replace\",\"pattern\":{\"String\":\" \"},\"content\":\"▁\"}")));
    }

    @Test
    void malformedPrecompiledCharsmaps() throws IOException {
        rejected("pc-null", t -> t.set("normalizer", node("{\"type\":\"Precompiled\",\"precompiled_charsmap\":null}")),
                "base64 string");
        rejected("pc-empty", t -> t.set("normalizer", node("{\"type\":\"Precompiled\",\"precompiled_charsmap\":\"\"}")),
                "at least 4");
        rejected("pc-zero-trie", t -> t.set("normalizer", node("{\"type\":\"Precompiled\",\"precompiled_charsmap\":\""
                + charsmap(0, new byte[2]) + "\"}")), "trie of 0 bytes");
        rejected("pc-one-unit", t -> t.set("normalizer", node("{\"type\":\"Precompiled\",\"precompiled_charsmap\":\""
                + charsmap(4, new byte[] {(byte) 0xff, 0, 0, 0}) + "\"}")), "beyond its 1 units");
        // a root-only trie of one 256-unit block maps nothing: valid
        loads("pc-valid", t -> t.set("normalizer", node("{\"type\":\"Precompiled\",\"precompiled_charsmap\":\""
                + charsmap(1024, new byte[1024]) + "\"}")));
    }

    @Test
    void fixedLengthZero() throws IOException {
        rejected("fixed", t -> t.set("pre_tokenizer", node("{\"type\":\"FixedLength\",\"length\":0}")), "FixedLength");
    }

    @Test
    void notJson() throws IOException {
        Path p = Files.writeString(tmp.resolve("broken.json"), "{\"model\": ");
        ConfigException e = assertThrows(ConfigException.class, () -> TextTokenizer.load(p));
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
        Path dir = Files.createDirectory(tmp.resolve("dir.json"));
        e = assertThrows(ConfigException.class, () -> TextTokenizer.load(dir));
        assertTrue(e.getMessage().contains("cannot be read"), e.getMessage());
    }
}
