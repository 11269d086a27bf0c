package dev.steering.direction;

import dev.steering.hooks.ActivationCache;
import dev.steering.hooks.HookPoint;
import dev.steering.model.Activations;
import dev.steering.model.BosConvention;
import dev.steering.model.LanguageModel;
import dev.steering.model.Prompt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The contrastive forced-prefix direction (the library's default): for each prompt, run
 * {@code prompt + refusalPrefix} and {@code prompt + compliancePrefix} teacher-forced, read the hook at a position
 * that sees the prefix, and average {@code d_i = resid_refusal − resid_compliance} (in double precision).
 *
 * <p>Position matters (see docs/methods.md, pitfall 1, causal masking): the last <em>prompt</em> token
 * cannot attend to a prefix appended after it, so a difference read there is exactly zero. The default reads the
 * last token of each prefix ({@link Position#PREFIX_LAST}); {@link Position#PREFIX_MEAN} averages over the prefix
 * tokens. Asking for {@link Position#LAST_PROMPT_TOKEN} is an error that explains this.
 *
 * <p>Prefixes are tokenized on their own and appended to the prompt's tokens, so every prompt sees the same prefix
 * tokens.
 */
public final class ContrastivePrefix implements DirectionMethod {
    /** Default refusal prefix. */
    public static final String REFUSAL_PREFIX = " I can't help with that.";
    /** Default compliance prefix. */
    public static final String COMPLIANCE_PREFIX = " Sure, here's how:";

    /** Where in each forced sequence the activation is read. */
    public enum Position {
        /** The last token of the prefix (the default). */
        PREFIX_LAST,
        /** The mean over the prefix tokens. */
        PREFIX_MEAN,
        /** The last prompt token: always an error, the difference there is zero by causality. */
        LAST_PROMPT_TOKEN;

        /** Parses {@code prefix-last}, {@code prefix_mean}, ... */
        public static Position parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown position '" + s
                        + "' (expected prefix-last, prefix-mean or last-prompt-token)");
            }
        }

        /** The config spelling, e.g. {@code prefix_last}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private final List<String> prompts;
    private final List<long[]> promptTokens;
    private final String refusalPrefix;
    private final String compliancePrefix;
    private final long[] refusalTokens;
    private final long[] complianceTokens;
    private final Position position;
    private final int batchSize;
    private final boolean chat;
    private final BosConvention bos;

    private ContrastivePrefix(List<String> prompts, List<long[]> promptTokens, String refusalPrefix,
                              String compliancePrefix, long[] refusalTokens, long[] complianceTokens,
                              Position position, int batchSize, boolean chat, BosConvention bos) {
        this.prompts = prompts;
        this.promptTokens = promptTokens;
        this.refusalPrefix = refusalPrefix;
        this.compliancePrefix = compliancePrefix;
        this.refusalTokens = refusalTokens;
        this.complianceTokens = complianceTokens;
        this.position = position;
        this.batchSize = batchSize;
        this.chat = chat;
        this.bos = bos;
    }

    /** The default prefixes and position, over a small built-in set of mild harmful-ish prompts. */
    public static ContrastivePrefix defaults() {
        return new ContrastivePrefix(defaultPrompts(), null, REFUSAL_PREFIX, COMPLIANCE_PREFIX, null, null,
                Position.PREFIX_LAST, 8, false, BosConvention.TOKENIZER);
    }

    /** Uses these prompt texts. */
    public ContrastivePrefix prompts(List<String> texts) {
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("ContrastivePrefix needs at least one prompt");
        }
        return new ContrastivePrefix(List.copyOf(texts), null, refusalPrefix, compliancePrefix, refusalTokens,
                complianceTokens, position, batchSize, chat, bos);
    }

    /** Uses prompts given as token ids (for models without a tokenizer). */
    public ContrastivePrefix promptTokens(List<long[]> tokens) {
        if (tokens.isEmpty()) {
            throw new IllegalArgumentException("ContrastivePrefix needs at least one prompt");
        }
        return new ContrastivePrefix(null, List.copyOf(tokens), refusalPrefix, compliancePrefix, refusalTokens,
                complianceTokens, position, batchSize, chat, bos);
    }

    /** Sets the prefix texts. */
    public ContrastivePrefix prefixes(String refusal, String compliance) {
        return new ContrastivePrefix(prompts, promptTokens, Objects.requireNonNull(refusal),
                Objects.requireNonNull(compliance), null, null, position, batchSize, chat, bos);
    }

    /** Sets the prefixes as token ids. */
    public ContrastivePrefix prefixTokens(long[] refusal, long[] compliance) {
        if (refusal.length == 0 || compliance.length == 0) {
            throw new IllegalArgumentException("prefixes must have at least one token");
        }
        return new ContrastivePrefix(prompts, promptTokens, null, null, refusal.clone(), compliance.clone(),
                position, batchSize, chat, bos);
    }

    /** Where to read. {@link Position#LAST_PROMPT_TOKEN} is rejected (the difference there is zero). */
    public ContrastivePrefix position(Position p) {
        if (p == Position.LAST_PROMPT_TOKEN) {
            throw new IllegalArgumentException("position last-prompt-token cannot see the prefixes: with causal "
                    + "attention the last prompt token only attends to earlier tokens, so the refusal and "
                    + "compliance runs are identical there and their difference is exactly zero; use prefix-last "
                    + "or prefix-mean");
        }
        return new ContrastivePrefix(prompts, promptTokens, refusalPrefix, compliancePrefix, refusalTokens,
                complianceTokens, p, batchSize, chat, bos);
    }

    /** Prompts per forward batch. */
    public ContrastivePrefix batchSize(int b) {
        if (b < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1");
        }
        return new ContrastivePrefix(prompts, promptTokens, refusalPrefix, compliancePrefix, refusalTokens,
                complianceTokens, position, b, chat, bos);
    }

    /**
     * With {@code true}, text prompts are rendered through the model's chat template (user turn, assistant turn
     * opened) and the prefixes are forced at the start of the assistant's answer.
     */
    public ContrastivePrefix chat(boolean c) {
        return new ContrastivePrefix(prompts, promptTokens, refusalPrefix, compliancePrefix, refusalTokens,
                complianceTokens, position, batchSize, c, bos);
    }

    /** How text prompts start ({@link BosConvention#TOKENIZER} by default); recorded in the direction's metadata. */
    public ContrastivePrefix bos(BosConvention b) {
        return new ContrastivePrefix(prompts, promptTokens, refusalPrefix, compliancePrefix, refusalTokens,
                complianceTokens, position, batchSize, chat, Objects.requireNonNull(b));
    }

    @Override
    public String name() {
        return "contrastive_prefix";
    }

    @Override
    public DirectionResult build(LanguageModel model, HookPoint hook) {
        hook.checkWithin(model.config().numLayers());
        List<long[]> base = promptTokens != null ? promptTokens
                : prompts.stream().map(p -> model.encodePrompt(Prompt.of(p, chat), bos)).toList();
        long[] ref = refusalTokens != null ? refusalTokens : model.requireTokenizer().encode(refusalPrefix);
        long[] comp = complianceTokens != null ? complianceTokens : model.requireTokenizer().encode(compliancePrefix);
        List<long[]> refusal = new ArrayList<>();
        List<long[]> compliance = new ArrayList<>();
        for (long[] p : base) {
            refusal.add(concat(p, ref));
            compliance.add(concat(p, comp));
        }
        var graph = model.graph(List.of());
        ActivationCache a = Activations.read(graph, refusal, List.of(hook), batchSize).get(hook);
        ActivationCache b = Activations.read(graph, compliance, List.of(hook), batchSize).get(hook);
        List<double[]> diffs = new ArrayList<>();
        for (int i = 0; i < base.size(); i++) {
            double[] x = read(a.get(i), ref.length);
            double[] y = read(b.get(i), comp.length);
            for (int j = 0; j < x.length; j++) {
                x[j] -= y[j];
            }
            diffs.add(x);
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("method", name());
        meta.put("position", position.label());
        meta.put("refusal_prefix", refusalPrefix != null ? refusalPrefix : java.util.Arrays.toString(ref));
        meta.put("compliance_prefix", compliancePrefix != null ? compliancePrefix : java.util.Arrays.toString(comp));
        meta.put("n_prompts", Integer.toString(base.size()));
        meta.put("chat", Boolean.toString(chat));
        meta.put(ProvenanceMetadata.BOS, promptTokens != null ? ProvenanceMetadata.GIVEN_IDS : bos.id());
        meta.put("prompt_set_hash", PromptHash.of(base));
        return MeanDifference.of(diffs, ProvenanceMetadata.describe(model, hook, meta),
                "the contrastive direction at " + hook.name() + " (the prefixes do not change the activations read there)");
    }

    /** The activation of one forced sequence at the configured position ({@code prefixLen} last tokens). */
    private double[] read(float[][] seq, int prefixLen) {
        int n = seq.length;
        int d = seq[0].length;
        double[] out = new double[d];
        int from = position == Position.PREFIX_LAST ? n - 1 : n - prefixLen;
        for (int t = from; t < n; t++) {
            for (int j = 0; j < d; j++) {
                out[j] += seq[t][j];
            }
        }
        for (int j = 0; j < d; j++) {
            out[j] /= (n - from);
        }
        return out;
    }


    private static long[] concat(long[] a, long[] b) {
        long[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static List<String> defaultPrompts() {
        try (var in = ContrastivePrefix.class.getResourceAsStream("default-prompts.txt");
             var r = new BufferedReader(new InputStreamReader(Objects.requireNonNull(in), StandardCharsets.UTF_8))) {
            return r.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
