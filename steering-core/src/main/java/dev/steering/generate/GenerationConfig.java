package dev.steering.generate;

import dev.steering.model.BosConvention;

/**
 * How to generate: an immutable value with {@code with}-style setters.
 * <pre>{@code GenerationConfig.defaults().maxNewTokens(80).temperature(0.7).topP(0.9).seed(0)}</pre>
 *
 * @param maxNewTokens at most this many new tokens per prompt (a row stops earlier at EOS)
 * @param temperature  0 means greedy (argmax); otherwise logits are divided by it before sampling
 * @param topP         nucleus sampling: keep the most likely tokens whose probability mass reaches {@code topP} (1 = off)
 * @param topK         keep only the {@code topK} most likely tokens (0 = off)
 * @param seed         the run seed; each prompt's sampler is seeded from it and the prompt's id
 * @param batchSize    prompts per forward batch (results never depend on it)
 * @param stopAtEos    end a row at the model's end-of-sequence token
 * @param chat         prompt through the model's chat template (text prompts only)
 * @param bos          how text prompts start ({@link BosConvention#TOKENIZER} by default)
 * @param allowBosMismatch steer with a direction built under another BOS convention than the prompts' (refused
 *                     otherwise)
 */
public record GenerationConfig(int maxNewTokens, double temperature, double topP, int topK, long seed, int batchSize,
                               boolean stopAtEos, boolean chat, BosConvention bos, boolean allowBosMismatch) {

    public GenerationConfig {
        java.util.Objects.requireNonNull(bos, "bos");
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be ≥ 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be ≥ 0, got " + temperature);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1], got " + topP);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be ≥ 0, got " + topK);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be ≥ 1, got " + batchSize);
        }
    }

    /** 40 new tokens, greedy, batch 8, stop at EOS, seed 0. */
    public static GenerationConfig defaults() {
        return new GenerationConfig(40, 0, 1, 0, 0, 8, true, false, BosConvention.TOKENIZER, false);
    }

    /** Greedy decoding of at most {@code n} tokens. */
    public static GenerationConfig greedy(int n) {
        return defaults().maxNewTokens(n);
    }

    public GenerationConfig maxNewTokens(int n) {
        return new GenerationConfig(n, temperature, topP, topK, seed, batchSize, stopAtEos, chat,
                bos, allowBosMismatch);
    }

    public GenerationConfig temperature(double t) {
        return new GenerationConfig(maxNewTokens, t, topP, topK, seed, batchSize, stopAtEos, chat,
                bos, allowBosMismatch);
    }

    public GenerationConfig topP(double p) {
        return new GenerationConfig(maxNewTokens, temperature, p, topK, seed, batchSize, stopAtEos, chat,
                bos, allowBosMismatch);
    }

    public GenerationConfig topK(int k) {
        return new GenerationConfig(maxNewTokens, temperature, topP, k, seed, batchSize, stopAtEos, chat,
                bos, allowBosMismatch);
    }

    public GenerationConfig seed(long s) {
        return new GenerationConfig(maxNewTokens, temperature, topP, topK, s, batchSize, stopAtEos, chat,
                bos, allowBosMismatch);
    }

    public GenerationConfig batchSize(int b) {
        return new GenerationConfig(maxNewTokens, temperature, topP, topK, seed, b, stopAtEos, chat,
                bos, allowBosMismatch);
    }

    public GenerationConfig stopAtEos(boolean stop) {
        return new GenerationConfig(maxNewTokens, temperature, topP, topK, seed, batchSize, stop, chat,
                bos, allowBosMismatch);
    }

    /** Whether text prompts go through the model's chat template. */
    public GenerationConfig chat(boolean c) {
        return new GenerationConfig(maxNewTokens, temperature, topP, topK, seed, batchSize, stopAtEos, c,
                bos, allowBosMismatch);
    }

    /** True when decoding is greedy (temperature 0). */
    public boolean isGreedy() {
        return temperature == 0;
    }

    /** How text prompts start (see {@link BosConvention}). */
    public GenerationConfig bos(BosConvention b) {
        return new GenerationConfig(maxNewTokens, temperature, topP, topK, seed, batchSize, stopAtEos, chat, b,
                allowBosMismatch);
    }

    /** Allow steering with a direction built under another BOS convention than the prompts' (an error otherwise). */
    public GenerationConfig allowBosMismatch(boolean allow) {
        return new GenerationConfig(maxNewTokens, temperature, topP, topK, seed, batchSize, stopAtEos, chat, bos,
                allow);
    }
}
