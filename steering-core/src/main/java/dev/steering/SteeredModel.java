package dev.steering;

import dev.steering.direction.ProvenanceMetadata;
import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.Generator;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.ActivationCache;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.model.Activations;
import dev.steering.model.ChatMessage;
import dev.steering.model.LanguageModel;
import dev.steering.model.Prompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * A model with a fixed set of edits compiled in. Cheap to create: the weights are the model's, shared with every
 * other view. Thread-safe: calls on the same view (or views with the same edits) are serialised on their graph;
 * views with different edits run concurrently.
 */
public final class SteeredModel {
    private final LanguageModel model;
    private final List<Edit> edits;

    /** A view of {@code model} with {@code edits} (empty = the unsteered model). */
    public SteeredModel(LanguageModel model, List<Edit> edits) {
        this.model = model;
        this.edits = List.copyOf(edits);
        model.graph(this.edits);           // validate and build now, not at first use
    }

    /** The model. */
    public LanguageModel model() {
        return model;
    }

    /** The edits of this view. */
    public List<Edit> edits() {
        return edits;
    }

    /** Greedy completion of one prompt with {@link GenerationConfig#defaults()}. */
    public Completion complete(String prompt) {
        return generate(List.of(prompt), GenerationConfig.defaults()).get(0);
    }

    /** Greedy completion of one conversation (system / user / assistant turns) with the defaults. */
    public Completion complete(List<ChatMessage> conversation) {
        return generatePrompts(List.of(Prompt.chat(conversation)), GenerationConfig.defaults()).get(0);
    }

    /**
     * Completions of text prompts, ids {@code "0"}, {@code "1"}, ... (they seed sampling); with
     * {@link GenerationConfig#chat()} each text is the user's message of a conversation.
     */
    public List<Completion> generate(List<String> prompts, GenerationConfig cfg) {
        return generatePrompts(prompts.stream().map(p -> Prompt.of(p, cfg.chat())).toList(), cfg);
    }

    /**
     * Completions of prompts (plain texts or conversations), ids {@code "0"}, {@code "1"}, ...; text prompts start as
     * {@link GenerationConfig#bos()} says.
     */
    public List<Completion> generatePrompts(List<Prompt> prompts, GenerationConfig cfg) {
        List<TokenizedPrompt> in = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            Prompt p = prompts.get(i);
            String text = p.isChat() ? p.messages().get(p.messages().size() - 1).content() : p.text();
            in.add(new TokenizedPrompt(Integer.toString(i), text, model.encodePrompt(p, cfg.bos()), cfg.bos()));
        }
        return generateTokens(in, cfg, n -> { });
    }

    /**
     * Completions of tokenized prompts with their own ids; {@code progress} hears the count of finished prompts.
     *
     * @throws IllegalArgumentException if an edit's direction was built under another BOS convention than a
     *                                  prompt's, unless {@link GenerationConfig#allowBosMismatch()}
     */
    public List<Completion> generateTokens(List<TokenizedPrompt> prompts, GenerationConfig cfg, IntConsumer progress) {
        TokenizedPrompt.requireWithinContext(prompts, model.config().maxPositions());
        for (Edit e : edits) {
            prompts.stream().map(TokenizedPrompt::bos).distinct()
                    .forEach(b -> ProvenanceMetadata.checkBos(e.vector(), b, cfg.allowBosMismatch()));
        }
        return new Generator(model.graph(edits), model.tokenizer().orElse(null), padId(), model.config().eosTokenId())
                .generate(prompts, cfg, progress);
    }

    /**
     * Runs text prompts (teacher-forced, no generation; encoded as {@code tokenizer(text)}) and keeps every hook's
     * activations.
     */
    public RunResult run(List<String> prompts) {
        return runTokens(prompts.stream().map(p -> model.encodePrompt(p, false)).toList(),
                HookPoint.all(model.config().numLayers()));
    }

    /** Runs token prompts and keeps the listed hooks' activations. */
    public RunResult runTokens(List<long[]> prompts, List<HookPoint> hooks) {
        return new RunResult(Activations.read(model.graph(edits), prompts, hooks, 8));
    }

    private long padId() {
        return Math.max(0, model.config().eosTokenId());
    }

    /** The activations of one {@link #run} call. */
    public static final class RunResult {
        private final Map<HookPoint, ActivationCache> caches;

        RunResult(Map<HookPoint, ActivationCache> caches) {
            this.caches = caches;
        }

        /** The cache of one hook, by TransformerLens name ({@code blocks.8.hook_resid_post}). */
        public ActivationCache cache(String hookName) {
            return cache(HookPoint.parse(hookName));
        }

        /** The cache of one hook. */
        public ActivationCache cache(HookPoint hook) {
            ActivationCache c = caches.get(hook);
            if (c == null) {
                throw new IllegalArgumentException("hook " + hook.name() + " was not read in this run");
            }
            return c;
        }
    }
}
