package dev.steering.direction;

import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.Generator;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardGraph;
import dev.steering.model.LanguageModel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * The outcome-conditioned direction: generate the model's own (unsteered) completions, label each as refused or
 * complied with an injected labeler, and take {@code v = mean(resid | refused) − mean(resid | complied)} over the
 * prompts' activations (a difference in means as in docs/methods.md §1, but grouped by the observed
 * outcome instead of by the prompt set).
 *
 * <p>The activation is read on the prompt alone, by default at its last token. Unlike a forced refusal/compliance
 * prefix (methods.md pitfall 1, causal masking) this position is valid here: the outcome is not appended to the
 * input but is a consequence of the prompt's activations, so the groups genuinely differ there.
 *
 * <p>The labeler is a {@code Predicate<Completion>} (true = refused) because the refusal metrics (e.g. the
 * substring lists of methods.md §6) live in another module. Completions use {@link GenerationConfig} (default:
 * greedy, 32 new tokens). Each class needs at least {@link #minPerClass} completions (default 2).
 *
 * <p>Immutable: every setter returns a new instance.
 */
public final class OutcomeConditioned implements DirectionMethod {
    private final Predicate<Completion> refused;
    private final Prompts prompts;
    private final GenerationConfig generation;
    private final int position;
    private final int minPerClass;
    private final int batchSize;
    private final String labelerName;

    private OutcomeConditioned(Predicate<Completion> refused, String labelerName, Prompts prompts,
                               GenerationConfig generation, int position, int minPerClass, int batchSize) {
        this.refused = refused;
        this.labelerName = labelerName;
        this.prompts = prompts;
        this.generation = generation;
        this.position = position;
        this.minPerClass = minPerClass;
        this.batchSize = batchSize;
    }

    /**
     * @param refused     true for a completion that refuses
     * @param labelerName how the labeler is described in metadata (e.g. {@code refusal_substrings})
     */
    public static OutcomeConditioned of(Predicate<Completion> refused, String labelerName) {
        return new OutcomeConditioned(Objects.requireNonNull(refused), Objects.requireNonNull(labelerName), null,
                GenerationConfig.greedy(32), -1, 2, 8);
    }

    /** Text prompts. */
    public OutcomeConditioned prompts(List<String> texts) {
        return new OutcomeConditioned(refused, labelerName, Prompts.ofTexts(texts, "outcome-conditioned direction"),
                generation, position, minPerClass, batchSize);
    }

    /** Prompts as token ids. */
    public OutcomeConditioned promptTokens(List<long[]> tokens) {
        return new OutcomeConditioned(refused, labelerName, Prompts.ofTokens(tokens, "outcome-conditioned direction"),
                generation, position, minPerClass, batchSize);
    }

    /** How the baseline completions are generated (default greedy, 32 tokens). */
    public OutcomeConditioned generation(GenerationConfig cfg) {
        return new OutcomeConditioned(refused, labelerName, prompts, Objects.requireNonNull(cfg), position,
                minPerClass, batchSize);
    }

    /** The read position as a negative offset from the prompt's end (default −1, the last prompt token). */
    public OutcomeConditioned position(int offset) {
        if (offset >= 0) {
            throw new IllegalArgumentException("position is a negative offset from the prompt's end, got " + offset);
        }
        return new OutcomeConditioned(refused, labelerName, prompts, generation, offset, minPerClass, batchSize);
    }

    /** The minimum number of completions in each class (default 2). */
    public OutcomeConditioned minPerClass(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("minimum per class must be ≥ 1, got " + n);
        }
        return new OutcomeConditioned(refused, labelerName, prompts, generation, position, n, batchSize);
    }

    /** Prompts per forward batch when reading activations. */
    public OutcomeConditioned batchSize(int b) {
        if (b < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1");
        }
        return new OutcomeConditioned(refused, labelerName, prompts, generation, position, minPerClass, b);
    }

    @Override
    public String name() {
        return "outcome_conditioned";
    }

    /** The completions the labeler sees (unsteered), in prompt order; ids are {@code "0"}, {@code "1"}, .... */
    public List<Completion> completions(LanguageModel model) {
        if (prompts == null) {
            throw new IllegalStateException("no prompts: call prompts(...) or promptTokens(...)");
        }
        List<long[]> tokens = prompts.encode(model);
        List<TokenizedPrompt> in = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++) {
            in.add(new TokenizedPrompt(Integer.toString(i), prompts.texts() == null ? null : prompts.texts().get(i),
                    tokens.get(i), prompts.bos()));
        }
        TokenizedPrompt.requireWithinContext(in, model.config().maxPositions());
        int eos = model.config().eosTokenId();
        return new Generator(model.graph(List.of()), model.tokenizer().orElse(null), Math.max(0, eos), eos)
                .generate(in, generation, n -> { });
    }

    @Override
    public DirectionResult build(LanguageModel model, HookPoint hook) {
        hook.checkWithin(model.config().numLayers());
        List<Completion> done = completions(model);
        List<long[]> refusedPrompts = new ArrayList<>();
        List<long[]> compliedPrompts = new ArrayList<>();
        for (Completion c : done) {
            (refused.test(c) ? refusedPrompts : compliedPrompts).add(c.promptTokens());
        }
        if (refusedPrompts.size() < minPerClass || compliedPrompts.size() < minPerClass) {
            throw new IllegalArgumentException("outcome-conditioned direction needs at least " + minPerClass
                    + " refused and " + minPerClass + " complied completions, got " + refusedPrompts.size()
                    + " refused and " + compliedPrompts.size() + " complied");
        }
        ForwardGraph g = model.graph(List.of());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("method", name());
        meta.put("labeler", labelerName);
        meta.put("position", Integer.toString(position));
        meta.put(ProvenanceMetadata.BOS, prompts.bosLabel());
        meta.put("n_refused", Integer.toString(refusedPrompts.size()));
        meta.put("n_complied", Integer.toString(compliedPrompts.size()));
        meta.put("min_per_class", Integer.toString(minPerClass));
        meta.put("generation", generation.toString());
        meta.put("prompt_set_hash", PromptHash.of(done.stream().map(Completion::promptTokens).toList()));
        return MeanDifference.ofGroups(ActivationReads.rows(g, refusedPrompts, hook, position, batchSize),
                ActivationReads.rows(g, compliedPrompts, hook, position, batchSize),
                ProvenanceMetadata.describe(model, hook, meta),
                "the outcome-conditioned direction at " + hook.name()
                        + " (refused and complied prompts have the same mean activation)");
    }
}
