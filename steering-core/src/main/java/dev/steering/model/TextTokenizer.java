package dev.steering.model;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A checkpoint's {@code tokenizer.json} through DJL's Hugging Face tokenizers, strictly offline. Text is encoded
 * without special tokens (as the fixtures' {@code add_special_tokens=false}); padding is the generator's job.
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

    private TextTokenizer(HuggingFaceTokenizer tokenizer, Path file) {
        this.tokenizer = tokenizer;
        this.file = file;
    }

    /** Loads {@code tokenizer.json}. */
    public static TextTokenizer load(Path tokenizerJson) {
        TokenizerFileCheck.validate(tokenizerJson);
        try {
            HuggingFaceTokenizer t = HuggingFaceTokenizer.builder()
                    .optTokenizerPath(tokenizerJson)
                    .optAddSpecialTokens(false)
                    .optPadding(false)
                    .optTruncation(false)
                    .build();
            return new TextTokenizer(t, tokenizerJson);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot load tokenizer " + tokenizerJson + ": " + e.getMessage(), e);
        }
    }

    /** Token ids of {@code text}, no special tokens added. */
    public long[] encode(String text) {
        Encoding e = tokenizer.encode(text);
        return e.getIds();
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
