package dev.steering.model;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Base64;
import java.util.BitSet;
import java.util.Deque;
import java.util.List;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Checks a {@code tokenizer.json} for the malformed values that make Hugging Face's Rust tokenizer (inside DJL)
 * panic, which aborts the JVM, before native code sees the file. Found by experiment with tokenizers 0.21
 * (see {@code TokenizerFileCheckTest}); values the native code rejects with an ordinary error are left to it:
 * <ul>
 *   <li>a BPE {@code continuing_subword_prefix} that the second part of a merge does not start with;</li>
 *   <li>a {@code Prepend} normalizer with an empty string;</li>
 *   <li>a {@code Replace} normalizer whose pattern can match the empty string;</li>
 *   <li>a normalized added token that the normalizers delete entirely ({@code Strip}, {@code Replace} with "");</li>
 *   <li>a {@code Precompiled} normalizer whose charsmap is not a well-formed double-array trie;</li>
 *   <li>a {@code FixedLength} pre-tokenizer of length 0.</li>
 * </ul>
 */
public final class TokenizerFileCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Deeper nesting of sequences is rejected (the native parser's own limit is 128 levels). */
    private static final int MAX_DEPTH = 100;

    private final Path file;

    private TokenizerFileCheck(Path file) {
        this.file = file;
    }

    /**
     * @param tokenizerJson the file
     * @throws ConfigException naming the file and the offending field if it is unreadable, not a JSON object, or
     *                         holds a value known to crash the native tokenizer
     */
    public static void validate(Path tokenizerJson) {
        new TokenizerFileCheck(tokenizerJson).run();
    }

    private void run() {
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(file));
        } catch (JsonProcessingException e) {
            throw error("is not valid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw error("cannot be read: " + e);
        }
        if (root == null || !root.isObject()) {
            throw error("must be a JSON object");
        }
        JsonNode model = root.path("model");
        if ("BPE".equals(model.path("type").asText(null)) || (model.has("merges") && !model.has("type"))) {
            checkBpe(model);
        }
        List<JsonNode> normalizers = new ArrayList<>();
        flatten(root.get("normalizer"), "normalizers", "normalizer", 0, normalizers);
        for (JsonNode n : normalizers) {
            checkNormalizer(n);
        }
        List<JsonNode> preTokenizers = new ArrayList<>();
        flatten(root.get("pre_tokenizer"), "pretokenizers", "pre_tokenizer", 0, preTokenizers);
        for (JsonNode p : preTokenizers) {
            if ("FixedLength".equals(p.path("type").asText()) && p.path("length").asLong(1) <= 0) {
                throw error("pre_tokenizer FixedLength has length " + p.get("length") + ": expected at least 1");
            }
        }
        checkAddedTokens(root.get("added_tokens"), normalizers);
    }

    /** Lists the components of a possibly nested {@code Sequence}, depth-first. */
    private void flatten(JsonNode node, String listField, String what, int depth, List<JsonNode> out) {
        if (node == null || node.isNull()) {
            return;
        }
        if (depth > MAX_DEPTH) {
            throw error(what + " sequences are nested more than " + MAX_DEPTH + " deep");
        }
        if ("Sequence".equals(node.path("type").asText()) && node.path(listField).isArray()) {
            for (JsonNode n : node.get(listField)) {
                flatten(n, listField, what, depth + 1, out);
            }
        } else {
            out.add(node);
        }
    }

    private void checkBpe(JsonNode model) {
        JsonNode prefixNode = model.get("continuing_subword_prefix");
        if (prefixNode == null || !prefixNode.isTextual() || prefixNode.textValue().isEmpty()) {
            return;
        }
        String prefix = prefixNode.textValue();
        JsonNode merges = model.path("merges");
        for (int i = 0; i < merges.size(); i++) {
            JsonNode m = merges.get(i);
            String right;
            if (m.isTextual()) {
                String[] parts = m.textValue().split(" ", -1);
                right = parts.length == 2 ? parts[1] : null;
            } else {
                right = m.isArray() && m.size() == 2 && m.get(1).isTextual() ? m.get(1).textValue() : null;
            }
            if (right != null && !right.startsWith(prefix)) {
                throw error("model.merges[" + i + "] " + m + ": with model.continuing_subword_prefix \"" + prefix
                        + "\" the second token of every merge must start with the prefix");
            }
        }
    }

    private void checkNormalizer(JsonNode n) {
        String type = n.path("type").asText();
        switch (type) {
            case "Prepend" -> {
                if (n.path("prepend").asText("").isEmpty()) {
                    throw error("normalizer Prepend has an empty 'prepend': expected a non-empty string");
                }
            }
            case "Replace" -> {
                Pattern p = replacePattern(n);
                if (p != null && p.matcher("").find()) {
                    throw error("normalizer Replace has pattern " + n.get("pattern") + ", which matches the empty"
                            + " string: expected a pattern that matches at least one character");
                }
            }
            case "Precompiled" -> checkPrecompiled(n.get("precompiled_charsmap"));
            default -> { }
        }
    }

    /** @return the Replace normalizer's pattern as a Java regex, or null if it is not one Java understands */
    private static Pattern replacePattern(JsonNode n) {
        JsonNode pattern = n.path("pattern");
        if (pattern.path("String").isTextual()) {
            return Pattern.compile(Pattern.quote(pattern.get("String").textValue()));
        }
        if (pattern.path("Regex").isTextual()) {
            try {
                return Pattern.compile(pattern.get("Regex").textValue());
            } catch (PatternSyntaxException e) {
                return null; // the native code reports its own regex errors
            }
        }
        return null;
    }

    /** Normalized added tokens must survive the normalizers that delete characters (else the native split panics). */
    private void checkAddedTokens(JsonNode added, List<JsonNode> normalizers) {
        if (added == null || !added.isArray()) {
            return;
        }
        for (JsonNode t : added) {
            if (!t.path("normalized").asBoolean(false) || !t.path("content").isTextual()) {
                continue;
            }
            String content = t.get("content").textValue();
            String s = content;
            for (JsonNode n : normalizers) {
                s = deleting(n, s);
            }
            if (s.isEmpty()) {
                throw error("added token " + t.path("id") + " \"" + content + "\" is normalized to nothing by the"
                        + " normalizer: expected \"normalized\": false for it, or a normalizer that keeps it");
            }
        }
    }

    /** Applies the normalizers that can delete characters (Strip, Replace); the others are left as they are. */
    private static String deleting(JsonNode n, String s) {
        switch (n.path("type").asText()) {
            case "Strip" -> {
                if (n.path("strip_left").asBoolean(true)) {
                    s = s.stripLeading();
                }
                if (n.path("strip_right").asBoolean(true)) {
                    s = s.stripTrailing();
                }
                return s;
            }
            case "Replace" -> {
                Pattern p = replacePattern(n);
                String content = n.path("content").asText("");
                return p == null ? s : p.matcher(s).replaceAll(java.util.regex.Matcher.quoteReplacement(content));
            }
            default -> {
                return s;
            }
        }
    }

    /**
     * The SentencePiece charsmap: a little-endian u32 trie size in bytes, the double-array trie of u32 units, then
     * the UTF-8 replacement strings (NUL-terminated). Every lookup the native code can make must stay inside the
     * trie and every replacement offset inside the strings, at a character boundary.
     */
    private void checkPrecompiled(JsonNode charsmap) {
        String where = "normalizer Precompiled: precompiled_charsmap ";
        if (charsmap == null || !charsmap.isTextual()) {
            throw error(where + "must be a base64 string, found " + charsmap);
        }
        byte[] bytes;
        try {
            bytes = Base64.getDecoder().decode(charsmap.textValue());
        } catch (IllegalArgumentException e) {
            throw error(where + "is not base64: " + e.getMessage());
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 4) {
            throw error(where + "holds " + bytes.length + " bytes: expected at least 4 (the trie size)");
        }
        long trieBytes = Integer.toUnsignedLong(b.getInt(0));
        if (trieBytes < 4 || trieBytes % 4 != 0 || trieBytes > bytes.length - 4L) {
            throw error(where + "declares a trie of " + trieBytes + " bytes in " + (bytes.length - 4)
                    + ": expected a positive multiple of 4 that fits");
        }
        int units = (int) (trieBytes / 4);
        int[] trie = new int[units];
        for (int i = 0; i < units; i++) {
            trie[i] = b.getInt(4 + 4 * i);
        }
        byte[] normalized = java.util.Arrays.copyOfRange(bytes, 4 + (int) trieBytes, bytes.length);
        try {
            StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(normalized));
        } catch (CharacterCodingException e) {
            throw error(where + "has replacement strings that are not UTF-8");
        }
        // walk every node reachable from the root by any input byte, as common_prefix_search does
        BitSet seen = new BitSet(units);
        Deque<Integer> todo = new ArrayDeque<>();
        todo.add((int) (offset(trie[0]) & 0x7fffffffL));
        while (!todo.isEmpty()) {
            long base = todo.poll();
            if (base >= units) {
                throw error(where + "has a trie node beyond its " + units + " units");
            }
            if (seen.get((int) base)) {
                continue;
            }
            seen.set((int) base);
            for (int c = 1; c < 256; c++) {
                long pos = base ^ c;
                if (pos >= units) {
                    throw error(where + "has a trie lookup beyond its " + units + " units");
                }
                int unit = trie[(int) pos];
                if ((unit & 0x800000ff) != c) {
                    continue;
                }
                long child = pos ^ offset(unit);
                if (child >= units) {
                    throw error(where + "has a trie node beyond its " + units + " units");
                }
                if (((unit >>> 8) & 1) == 1) {
                    int value = trie[(int) child] & 0x7fffffff;
                    if (value > normalized.length || (value < normalized.length && (normalized[value] & 0xc0) == 0x80)) {
                        throw error(where + "has a replacement offset " + value + " outside its " + normalized.length
                                + " bytes of strings or inside a character");
                    }
                }
                todo.add((int) child);
            }
        }
    }

    /** darts-clone's offset of a unit. */
    private static long offset(int unit) {
        long u = Integer.toUnsignedLong(unit);
        return (u >>> 10) << ((u & (1 << 9)) >>> 6);
    }

    private ConfigException error(String what) {
        return new ConfigException(file + ": " + what);
    }
}
