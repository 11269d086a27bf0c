package dev.steering.toy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A word-level {@code tokenizer.json} in Hugging Face format for the toy model. Pre-tokenization is a
 * {@code Metaspace} split (each space becomes {@code ▁} and starts a new piece, so words carry their leading space)
 * followed by a {@code Split} that isolates punctuation ({@code . , ? ! : ; -}); the vocabulary is every piece of the
 * corpus; the {@code Metaspace} decoder concatenates pieces and turns {@code ▁} back into spaces, so
 * {@code I can't help with that.} encodes as {@code ▁I ▁can't ▁help ▁with ▁that .} and decodes back exactly.
 * Ids 0-2 are {@code <|endoftext|>} (end of sequence, also used for padding by the generator),
 * {@code <|padding|>} and {@code <unk>}.
 */
public final class ToyTokenizer {
    /** Metaspace's replacement for a space. */
    public static final String SPACE = "\u2581";
    /** Characters split off as their own pieces. */
    static final String PUNCT = ".,?!:;-";
    /** Special tokens, in id order. */
    public static final List<String> SPECIALS = List.of("<|endoftext|>", "<|padding|>", "<unk>");
    /** End of sequence id. */
    public static final int EOS = 0;

    private final Map<String, Integer> vocab;

    private ToyTokenizer(Map<String, Integer> vocab) {
        this.vocab = vocab;
    }

    /** The vocabulary of {@code texts}: the specials, then every piece in sorted order. */
    public static ToyTokenizer fromTexts(Collection<String> texts) {
        TreeSet<String> pieces = new TreeSet<>();
        for (String t : texts) {
            pieces.addAll(pieces(t));
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String s : SPECIALS) {
            vocab.put(s, vocab.size());
        }
        for (String p : pieces) {
            vocab.putIfAbsent(p, vocab.size());
        }
        return new ToyTokenizer(vocab);
    }

    /** The pre-tokenizer's pieces of {@code text} (what the Rust tokenizer computes from the JSON below). */
    public static List<String> pieces(String text) {
        List<String> out = new ArrayList<>();
        String s = text.replace(" ", SPACE);
        if (!s.startsWith(SPACE)) {
            s = SPACE + s;
        }
        // Metaspace split: a new piece starts at every ▁
        List<String> words = new ArrayList<>();
        int start = 0;
        for (int i = 1; i <= s.length(); i++) {
            if (i == s.length() || s.startsWith(SPACE, i)) {
                words.add(s.substring(start, i));
                start = i;
            }
        }
        for (String w : words) {
            StringBuilder cur = new StringBuilder();
            for (int i = 0; i < w.length(); i++) {
                char c = w.charAt(i);
                if (PUNCT.indexOf(c) >= 0) {
                    if (cur.length() > 0) {
                        out.add(cur.toString());
                        cur.setLength(0);
                    }
                    out.add(String.valueOf(c));
                } else {
                    cur.append(c);
                }
            }
            if (cur.length() > 0) {
                out.add(cur.toString());
            }
        }
        return out;
    }

    /** Vocabulary size. */
    public int size() {
        return vocab.size();
    }

    /** Token ids of {@code text} (unknown pieces map to {@code <unk>}); the same as the written tokenizer.json's. */
    public long[] encode(String text) {
        return pieces(text).stream().mapToLong(p -> vocab.getOrDefault(p, 2)).toArray();
    }

    /** Writes {@code tokenizer.json}. */
    public void write(Path file) throws IOException {
        ObjectMapper om = new ObjectMapper();
        ObjectNode root = om.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String s : SPECIALS) {
            ObjectNode a = added.addObject();
            a.put("id", vocab.get(s));
            a.put("content", s);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", false);
            a.put("special", true);
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode seq = pre.putArray("pretokenizers");
        seq.add(metaspace(om));
        ObjectNode split = seq.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", "[.,?!:;\\-]");
        split.put("behavior", "Isolated");
        split.put("invert", false);
        root.putNull("post_processor");
        root.set("decoder", metaspace(om));
        ObjectNode model = root.putObject("model");
        model.put("type", "WordLevel");
        ObjectNode v = model.putObject("vocab");
        vocab.forEach(v::put);
        model.put("unk_token", "<unk>");
        Files.writeString(file, om.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    private static ObjectNode metaspace(ObjectMapper om) {
        ObjectNode m = om.createObjectNode();
        m.put("type", "Metaspace");
        m.put("replacement", SPACE);
        m.put("prepend_scheme", "always");
        m.put("split", true);
        return m;
    }
}
