package dev.steering.metrics.toxicity;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.model.TextTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A RoBERTa tokenizer: byte-level BPE through DJL ({@link TextTokenizer}), framed as {@code <s> … </s>}.
 *
 * <p>The checkpoint's {@code tokenizer.json} is used when present. Repositories that ship only the slow
 * tokenizer's {@code vocab.json} + {@code merges.txt} get the equivalent {@code tokenizer.json} built by
 * {@link #tokenizerJson} (what {@code transformers} converts them to), so they load the same way.
 */
public final class RobertaTokenizer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RobertaTokenizer.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** RoBERTa's special tokens, in the order of its vocabulary. */
    private static final List<String> SPECIAL_TOKENS = List.of("<s>", "<pad>", "</s>", "<unk>", "<mask>");

    private final TextTokenizer tokenizer;
    private final long bos;
    private final long eos;
    private final int maxTokens;
    private final String source;

    private RobertaTokenizer(TextTokenizer tokenizer, RobertaConfig config, String source) {
        this.tokenizer = tokenizer;
        this.bos = config.bosTokenId();
        this.eos = config.eosTokenId();
        this.maxTokens = config.maxTokens();
        this.source = source;
    }

    /**
     * Loads the tokenizer of a model directory: {@code tokenizer.json} if present, else one built from
     * {@code vocab.json} + {@code merges.txt} (honouring {@code add_prefix_space} of {@code tokenizer_config.json}).
     *
     * @param dir    the model directory
     * @param config the model's configuration (special token ids, maximum length)
     * @return the tokenizer
     * @throws IllegalArgumentException if the directory has neither form or the files are malformed
     */
    public static RobertaTokenizer load(Path dir, RobertaConfig config) {
        Path json = dir.resolve("tokenizer.json");
        if (Files.isRegularFile(json)) {
            return new RobertaTokenizer(TextTokenizer.load(json), config, json.toString());
        }
        Path vocab = dir.resolve("vocab.json");
        Path merges = dir.resolve("merges.txt");
        if (!Files.isRegularFile(vocab) || !Files.isRegularFile(merges)) {
            throw new IllegalArgumentException(dir + " has no tokenizer: expected tokenizer.json, or vocab.json and "
                    + "merges.txt");
        }
        LOG.info("{}: no tokenizer.json, building it from vocab.json and merges.txt", dir);
        try {
            Path tmp = Files.createTempFile("roberta-tokenizer", ".json");
            try {
                Files.writeString(tmp, tokenizerJson(vocab, merges, addPrefixSpace(dir)), StandardCharsets.UTF_8);
                return new RobertaTokenizer(TextTokenizer.load(tmp), config, vocab + " + " + merges.getFileName());
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The {@code tokenizer.json} equivalent to a slow byte-level BPE tokenizer: a BPE model with the vocabulary and
     * merges, the ByteLevel pre-tokenizer and decoder, RoBERTa's {@code <s> A </s>} / {@code <s> A </s></s> B </s>}
     * post-processing, and {@code <s> <pad> </s> <unk> <mask>} as special added tokens (those the vocabulary has).
     *
     * @param vocabJson      {@code vocab.json}: token → id
     * @param mergesTxt      {@code merges.txt}: one {@code "a b"} merge per line, an optional {@code #version}
     *                       header
     * @param addPrefixSpace whether a space is prepended to the text before splitting (RoBERTa: false)
     * @return the JSON text
     * @throws IllegalArgumentException if a file is malformed or {@code <s>} / {@code </s>} are not in the vocabulary
     */
    public static String tokenizerJson(Path vocabJson, Path mergesTxt, boolean addPrefixSpace) throws IOException {
        JsonNode vocab = JSON.readTree(vocabJson.toFile());
        if (vocab == null || !vocab.isObject() || vocab.isEmpty()) {
            throw new IllegalArgumentException(vocabJson + ": expected a JSON object {token: id}");
        }
        for (var it = vocab.fields(); it.hasNext(); ) {
            var e = it.next();
            if (!e.getValue().isIntegralNumber()) {
                throw new IllegalArgumentException(vocabJson + ": id of '" + e.getKey() + "' is not an integer: "
                        + e.getValue());
            }
        }
        ArrayNode merges = JSON.createArrayNode();
        List<String> lines = Files.readAllLines(mergesTxt, StandardCharsets.UTF_8);
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if ((i == 0 && line.startsWith("#version")) || line.isBlank()) {
                continue;
            }
            String[] parts = line.split(" ");
            if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                throw new IllegalArgumentException(mergesTxt + " line " + (i + 1) + ": expected two tokens separated "
                        + "by one space, found '" + line + "'");
            }
            merges.add(line);
        }
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String t : SPECIAL_TOKENS) {
            if (vocab.has(t)) {
                ObjectNode a = added.addObject();
                a.put("id", vocab.get(t).intValue());
                a.put("content", t);
                a.put("single_word", false);
                a.put("lstrip", t.equals("<mask>"));
                a.put("rstrip", false);
                a.put("normalized", t.equals("<mask>"));
                a.put("special", true);
            }
        }
        root.putNull("normalizer");
        ObjectNode pre = root.putObject("pre_tokenizer");
        pre.put("type", "ByteLevel");
        pre.put("add_prefix_space", addPrefixSpace);
        pre.put("trim_offsets", true);
        pre.put("use_regex", true);
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "RobertaProcessing");
        post.set("sep", special(vocab, "</s>", vocabJson));
        post.set("cls", special(vocab, "<s>", vocabJson));
        post.put("trim_offsets", true);
        post.put("add_prefix_space", addPrefixSpace);
        ObjectNode dec = root.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", true);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.set("vocab", vocab);
        model.set("merges", merges);
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root);
    }

    private static ArrayNode special(JsonNode vocab, String token, Path vocabJson) {
        if (!vocab.has(token)) {
            throw new IllegalArgumentException(vocabJson + ": the vocabulary has no '" + token + "' token");
        }
        return JSON.createArrayNode().add(token).add(vocab.get(token).intValue());
    }

    private static boolean addPrefixSpace(Path dir) throws IOException {
        Path cfg = dir.resolve("tokenizer_config.json");
        if (!Files.isRegularFile(cfg)) {
            return false;
        }
        JsonNode v = JSON.readTree(cfg.toFile()).path("add_prefix_space");
        return v.isBoolean() && v.booleanValue();
    }

    /**
     * Encodes text as {@code <s> tokens </s>}, keeping the first tokens when it is longer than the model accepts
     * ({@link RobertaConfig#maxTokens()}, specials included), as {@code truncation=True} does.
     *
     * @param text the text
     * @return the token ids, at least {@code <s> </s>}
     */
    public long[] encode(String text) {
        long[] body = tokenizer.encode(text);
        int n = Math.min(body.length, maxTokens - 2);
        long[] ids = new long[n + 2];
        ids[0] = bos;
        System.arraycopy(body, 0, ids, 1, n);
        ids[n + 1] = eos;
        return ids;
    }

    /** The text of token ids, special tokens skipped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids);
    }

    /** Where the tokenizer came from: a {@code tokenizer.json}, or the {@code vocab.json + merges.txt} it was built from. */
    public String source() {
        return source;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
