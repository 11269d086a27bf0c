package dev.steering.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A checkpoint's {@code tokenizer.json} through DJL's Hugging Face tokenizers, strictly offline, with the special
 * tokens ({@code bos_token}, {@code eos_token}) of the {@code tokenizer_config.json} beside it. {@link #encode(String)}
 * adds no special tokens (a continuation, or text a chat template rendered); {@link #encode(String, BosConvention)}
 * starts a prompt by one of the {@link BosConvention}s. Padding is the generator's job.
 */
public final class TextTokenizer implements AutoCloseable {
    static {
        // DJL otherwise contacts the hub or a cloud metadata address when a tokenizer is created.
        if (System.getProperty("ai.djl.offline") == null) {
            System.setProperty("ai.djl.offline", "true");
        }
    }

    private final HuggingFaceTokenizer tokenizer;
    private final Path file;
    private final String bosToken;

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Path file, String bosToken) {
        this.tokenizer = tokenizer;
        this.file = file;
        this.bosToken = bosToken;
    }

    /**
     * Loads {@code tokenizer.json}, and from the {@code tokenizer_config.json} beside it (if any) the BOS token
     * that {@link BosConvention#PREPEND_BOS} prepends: {@code bos_token}, or {@code eos_token} when there is none,
     * as TransformerLens does.
     */
    public static TextTokenizer load(Path tokenizerJson) {
        TokenizerFileCheck.validate(tokenizerJson);
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(false)
                    .optPadding(false)
                    .optTruncation(false)
                    .build();
            return new TextTokenizer(t, tokenizerJson, bosToken(tokenizerJson.resolveSibling("tokenizer_config.json")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    private static String bosToken(Path config) {
        if (!Files.exists(config)) {
            return null;
        }
        try {
            JsonNode c = new ObjectMapper().readTree(config.toFile());
            for (String name : new String[]{"bos_token", "eos_token"}) {
                JsonNode t = c.get(name);
                if (t != null && t.isTextual()) {
                    return t.textValue();
                }
                if (t != null && t.path("content").isTextual()) {
                    return t.get("content").textValue();
                }
            }
            return null;
        } catch (IOException e) {
            throw new IllegalArgumentException(config + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** Token ids of {@code text}, no special tokens added. */
    public long[] encode(String text) {
        return encode(text, false);
    }

    /**
     * Token ids of {@code text}; with {@code addSpecialTokens} through the tokenizer's post-processor (what
     * {@code tokenizer(text)} gives in Python), else as {@code add_special_tokens=False}.
     */
    public long[] encode(String text, boolean addSpecialTokens) {
        return tokenizer.encode(text, addSpecialTokens, false).getIds();
    }

    /** Token ids of a prompt's text, started by {@code bos}. */
    public long[] encode(String text, BosConvention bos) {
        return tokenize(text, bos).ids();
    }

    /**
     * Token ids and token strings of a prompt's text, started by {@code bos}. {@link BosConvention#PREPEND_BOS} is
     * TransformerLens's {@code to_tokens}: the tokenizer's own encoding if its post-processor adds a BOS (it does
     * for the empty string), else the BOS token and then that encoding, even if the text itself starts with it.
     */
    public Tokens tokenize(String text, BosConvention bos) {
        Encoding e = tokenizer.encode(text, bos != BosConvention.NONE, false);
        Tokens t = new Tokens(e.getIds(), List.of(e.getTokens()));
        return bos == BosConvention.PREPEND_BOS && encode("", true).length == 0 ? prependBos(t) : t;
    }

    /** {@code tokens} with the BOS token first: prepended unless it is already there (for rendered chat prompts). */
    public Tokens withBos(Tokens tokens) {
        if (tokens.ids().length > 0 && tokens.ids()[0] == bosId()) {
            return tokens;
        }
        return prependBos(tokens);
    }

    private Tokens prependBos(Tokens tokens) {
        long id = bosId();
        long[] ids = new long[tokens.ids().length + 1];
        ids[0] = id;
        System.arraycopy(tokens.ids(), 0, ids, 1, tokens.ids().length);
        List<String> strings = new ArrayList<>(tokens.tokens().size() + 1);
        strings.add(bosToken);
        strings.addAll(tokens.tokens());
        return new Tokens(ids, strings);
    }

    /** Token ids and token strings of {@code text}, no special tokens added. */
    public Tokens tokenize(String text) {
        return tokenize(text, BosConvention.NONE);
    }

    /** The BOS token {@link BosConvention#PREPEND_BOS} prepends, if the tokenizer has one. */
    public Optional<String> bosToken() {
        return Optional.ofNullable(bosToken);
    }

    private long bosId() {
        if (bosToken == null) {
            throw new IllegalArgumentException(file + ": prepend_bos needs a bos_token (or eos_token) in "
                    + file.resolveSibling("tokenizer_config.json") + ", and there is none");
        }
        long[] ids = encode(bosToken, false);
        if (ids.length != 1) {
            throw new IllegalArgumentException(file + ": bos_token '" + bosToken + "' of tokenizer_config.json is "
                    + ids.length + " tokens, not one special token");
        }
        return ids[0];
    }

    /**
     * Token ids with their token strings (as {@code convert_ids_to_tokens} shows them, e.g. {@code Ġbread}).
     *
     * @param ids    the token ids
     * @param tokens one string per id
     */
    public record Tokens(long[] ids, List<String> tokens) {
        public Tokens {
            if (ids.length != tokens.size()) {
                throw new IllegalArgumentException(ids.length + " ids but " + tokens.size() + " token strings");
            }
            tokens = List.copyOf(tokens);
        }
    }

    /** The text of {@code ids}, special tokens skipped. */
    public String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** The file this tokenizer was loaded from. */
    public Path file() {
        return file;
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
