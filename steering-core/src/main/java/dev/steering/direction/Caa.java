package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.BosConvention;
import dev.steering.model.ForwardGraph;
import dev.steering.model.LanguageModel;
import dev.steering.model.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Contrastive activation addition (Rimsky et al., {@code nrimsky/CAA}; docs/methods.md §3, "CAA"): A/B
 * questions answered once with the behaviour-matching letter and once with the other letter,
 * {@code v_l = mean_pairs(a⁺ − a⁻)} of the block output ({@code resid_post}; methods.md pitfall 2) at the answer
 * letter.
 *
 * <p><b>Prompt.</b> The default template is CAA's exact {@code "[INST] {question} [/INST] ({letter})"}, where
 * {@code {question}} already lists the choices, as in CAA's data. Any template with {@code {question}} and
 * {@code {letter}} placeholders works (e.g. {@code "{question}\n\nAnswer: ({letter})"} for a base model).
 *
 * <p><b>Position.</b> CAA reads position −2, the letter, because the last token is ")". Here the letter's position
 * is computed from the tokenization for every prompt: the text up to the placeholder and the text up to and
 * including the letter must tokenize as prefixes of the full prompt, one token apart; otherwise the tokenizer merges
 * the letter with its neighbours and there is no letter token to read, which is an error. Since the matching letter
 * is A for some pairs and B for others, the letter embedding itself cancels in the mean (methods.md pitfall 1).
 *
 * <p>{@link #normalizeToMeanNorm} rescales several behaviours' vectors at one layer to their mean norm, as CAA's
 * {@code normalize_vectors.py} does before steering (methods.md §3, "Normalisation").
 *
 * <p>Immutable: every setter returns a new instance.
 */
public final class Caa implements DirectionMethod {
    /** CAA's prompt format. */
    public static final String DEFAULT_TEMPLATE = "[INST] {question} [/INST] ({letter})";

    /**
     * One A/B question.
     *
     * @param question    the question text including its choices
     * @param matching    the letter of the behaviour-matching answer ({@code A}, {@code B} or CAA's {@code (A)})
     * @param notMatching the other answer's letter
     */
    public record Item(String question, String matching, String notMatching) {
        public Item {
            Objects.requireNonNull(question);
            matching = letter(matching);
            notMatching = letter(notMatching);
            if (matching.equals(notMatching)) {
                throw new IllegalArgumentException("matching and not-matching answers are both " + matching);
            }
        }

        private static String letter(String s) {
            String t = s.strip();
            if (t.startsWith("(") && t.endsWith(")")) {
                t = t.substring(1, t.length() - 1).strip();
            }
            if (t.isEmpty()) {
                throw new IllegalArgumentException("empty answer letter '" + s + "'");
            }
            return t;
        }
    }

    private final List<Item> items;
    private final String template;
    private final int batchSize;

    private Caa(List<Item> items, String template, int batchSize) {
        this.items = items;
        this.template = template;
        this.batchSize = batchSize;
    }

    /** The contrast pairs, with {@link #DEFAULT_TEMPLATE}. */
    public static Caa of(List<Item> items) {
        if (items.isEmpty()) {
            throw new IllegalArgumentException("CAA needs at least one A/B item");
        }
        return new Caa(List.copyOf(items), DEFAULT_TEMPLATE, 8);
    }

    /** The prompt template, with {@code {question}} and {@code {letter}} placeholders. */
    public Caa template(String t) {
        if (!t.contains("{question}") || !t.contains("{letter}")) {
            throw new IllegalArgumentException("template needs {question} and {letter} placeholders: " + t);
        }
        return new Caa(items, t, batchSize);
    }

    /** Prompts per forward batch. */
    public Caa batchSize(int b) {
        if (b < 1) {
            throw new IllegalArgumentException("batch size must be ≥ 1");
        }
        return new Caa(items, template, b);
    }

    @Override
    public String name() {
        return "caa";
    }

    @Override
    public DirectionResult build(LanguageModel model, HookPoint hook) {
        hook.checkWithin(model.config().numLayers());
        TextTokenizer tok = model.requireTokenizer();
        List<long[]> pos = new ArrayList<>();
        List<long[]> neg = new ArrayList<>();
        int[] posOffsets = new int[items.size()];
        int[] negOffsets = new int[items.size()];
        for (int i = 0; i < items.size(); i++) {
            Item it = items.get(i);
            Tokenized p = tokenize(tok, template, it.question(), it.matching());
            Tokenized n = tokenize(tok, template, it.question(), it.notMatching());
            pos.add(p.tokens());
            neg.add(n.tokens());
            posOffsets[i] = p.letterOffset();
            negOffsets[i] = n.letterOffset();
        }
        ForwardGraph g = model.graph(List.of());
        List<double[]> diffs = new ArrayList<>();
        ActivationReads.forEach(g, pos, List.of(hook), batchSize,
                (i, a) -> diffs.add(ActivationReads.row(a.get(hook), posOffsets[i])));
        ActivationReads.forEach(g, neg, List.of(hook), batchSize, (i, a) -> {
            double[] x = ActivationReads.row(a.get(hook), negOffsets[i]);
            double[] d = diffs.get(i);
            for (int j = 0; j < d.length; j++) {
                d[j] -= x[j];
            }
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("method", name());
        meta.put("template", template);
        meta.put("position", "answer letter (offsets " + Arrays.stream(posOffsets).distinct().sorted()
                .mapToObj(Integer::toString).reduce((x, y) -> x + "," + y).orElse("") + ")");
        meta.put("n_pairs", Integer.toString(items.size()));
        meta.put("matching_set_hash", PromptHash.of(pos));
        meta.put("not_matching_set_hash", PromptHash.of(neg));
        meta.put(ProvenanceMetadata.BOS, BosConvention.TOKENIZER.id());
        return MeanDifference.of(diffs, ProvenanceMetadata.describe(model, hook, meta),
                "the CAA vector at " + hook.name() + " (matching and non-matching answers give the same activations)");
    }

    /**
     * A filled-in prompt and where its answer letter is.
     *
     * @param tokens       the prompt's token ids
     * @param letterOffset the letter's position as a negative offset from the end (−2 for CAA's template)
     */
    public record Tokenized(long[] tokens, int letterOffset) {
    }

    /**
     * Fills the template and finds the answer letter's token from the tokenization.
     *
     * @throws IllegalArgumentException if the letter is not a token of its own in the tokenized prompt
     */
    public static Tokenized tokenize(TextTokenizer tok, String template, String question, String letter) {
        String withQuestion = template.replace("{question}", question);
        int at = withQuestion.indexOf("{letter}");
        String before = withQuestion.substring(0, at);
        String full = before + letter + withQuestion.substring(at + "{letter}".length()).replace("{letter}", letter);
        long[] all = tok.encode(full, BosConvention.TOKENIZER);
        long[] upTo = tok.encode(before, BosConvention.TOKENIZER);
        long[] through = tok.encode(before + letter, BosConvention.TOKENIZER);
        if (through.length != upTo.length + 1 || !startsWith(through, upTo) || !startsWith(all, through)) {
            throw new IllegalArgumentException("the tokenizer does not give the answer letter '" + letter
                    + "' a token of its own in \"" + full + "\" (it merges with the surrounding text), so there is "
                    + "no letter position to read; change the template, e.g. put the letter in parentheses");
        }
        return new Tokenized(all, through.length - 1 - all.length);
    }

    /**
     * Rescales every behaviour's vector (all read at the same layer) to the mean norm of the set, as CAA's
     * {@code normalize_vectors.py}. The metadata records {@code normalized_to_norm}.
     */
    public static Map<String, SteeringVector> normalizeToMeanNorm(Map<String, SteeringVector> byBehaviour) {
        if (byBehaviour.isEmpty()) {
            throw new IllegalArgumentException("no vectors to normalise");
        }
        double mean = byBehaviour.values().stream().mapToDouble(SteeringVector::norm).average().orElseThrow();
        Map<String, SteeringVector> out = new LinkedHashMap<>();
        byBehaviour.forEach((name, v) -> {
            Map<String, String> meta = new LinkedHashMap<>(v.metadata());
            meta.put("normalized_to_norm", Double.toString(mean));
            meta.put("raw_norm_before_normalization", Double.toString(v.norm()));
            out.put(name, new SteeringVector(v.scaledRaw(mean / v.norm()), meta));
        });
        return out;
    }

    private static boolean startsWith(long[] a, long[] prefix) {
        return a.length >= prefix.length && Arrays.equals(Arrays.copyOf(a, prefix.length), prefix);
    }
}
