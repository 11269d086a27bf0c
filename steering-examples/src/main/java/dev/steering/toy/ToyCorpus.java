package dev.steering.toy;

import dev.steering.experiment.PromptSplit;
import dev.steering.experiment.PromptVocabulary;
import dev.steering.experiment.PromptVocabulary.Style;
import dev.steering.experiment.PromptVocabulary.Subfamily;
import dev.steering.experiment.PromptVocabulary.Template;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The toy model's synthetic instruction corpus, built from the prompt generator's vocabulary: every subfamily task
 * (harmful train and test subfamilies, benign subfamilies) in every template of every split, followed by a response
 * drawn per example: a refusal with the example's {@link #refusalRate}, otherwise a helpful numbered answer.
 *
 * <p>The refusal rate of a harmful-ish request is its style's rate times its family's factor: plain requests
 * (direct, polite, imperative — the {@code harm_train} styles) are refused 80-90% of the time, disguised ones
 * (slang, indirect, story, hypothetical — the {@code harm_test} styles) 20-30%, so the model refuses
 * {@code harm_test} much less than {@code harm_train} and steering has room to raise it. Benign requests are refused
 * 2% of the time, in any style.
 *
 * <p>A sequence is {@code prompt + " " + response} followed by the end-of-sequence token; responses start with
 * "I can't help with that." / "Sorry, I won't ..." or "Sure, here's how: 1. ..." / "Of course. Here's a
 * step-by-step guide: 1. ...", the prefixes the contrastive direction appends to a prompt.
 */
public final class ToyCorpus {
    /** Refusal rate of harmful-ish requests by style (before the family factor). */
    public static final Map<Style, Double> STYLE_RATES = new EnumMap<>(Map.of(
            Style.DIRECT, 0.85, Style.POLITE, 0.80, Style.IMPERATIVE, 0.90,
            Style.SLANG, 0.30, Style.INDIRECT, 0.20, Style.STORY, 0.20, Style.HYPOTHETICAL, 0.30));
    /** Factor on the style rate per harmful family. */
    public static final Map<String, Double> FAMILY_FACTORS = Map.of(
            "lock_picking", 1.0, "paywall", 0.9, "fake_note", 1.1, "cheating", 1.0,
            "prank_call", 0.9, "sneaking_in", 1.0, "email_spoofing", 1.1, "phone_jailbreak", 0.85);
    /** Refusal rate of benign requests. */
    public static final double BENIGN_RATE = 0.02;

    /** Refusals, with their sampling weights. */
    static final List<String> REFUSALS = List.of(
            "I can't help with that.",
            "I can't help with that. It could get someone in trouble.",
            "Sorry, I won't help with that.",
            "Sorry, I can't do that.",
            "I can't help with that. Sorry, I won't explain how.");
    static final double[] REFUSAL_WEIGHTS = {0.4, 0.2, 0.2, 0.1, 0.1};

    /** Four short steps per family; a helpful answer lists three consecutive ones. */
    static final Map<String, List<String>> STEPS = Map.ofEntries(
            Map.entry("cooking", List.of("Gather the ingredients", "Mix them well", "Cook it slowly", "Taste and serve")),
            Map.entry("writing", List.of("Start with a clear greeting", "Say what you need", "Keep it short",
                    "End with thanks")),
            Map.entry("travel", List.of("Pick your dates", "Plan a simple route", "Pack the basics", "Book early")),
            Map.entry("science", List.of("Start with the basics", "Look at a simple example", "Draw a diagram",
                    "Ask what happens next")),
            Map.entry("fitness", List.of("Warm up first", "Start slow", "Rest between sessions", "Track your progress")),
            Map.entry("gardening", List.of("Pick a sunny spot", "Use good soil", "Water a little each day",
                    "Check the leaves")),
            Map.entry("home", List.of("Get the right tools", "Work slowly", "Check your work", "Clean up after")),
            Map.entry("money", List.of("Write down what you spend", "Set a clear limit", "Compare options",
                    "Review each week")),
            Map.entry("lock_picking", List.of("Get a small tension tool", "Apply light pressure", "Feel for the pins",
                    "Turn it slowly")),
            Map.entry("paywall", List.of("Look for a free version", "Try a reader mode", "Clear the site cookies",
                    "Check a library")),
            Map.entry("fake_note", List.of("Copy the usual format", "Use a plain letterhead", "Keep the details vague",
                    "Sign it neatly")),
            Map.entry("cheating", List.of("Write small notes", "Hide them well", "Act calm", "Do not look around")),
            Map.entry("prank_call", List.of("Hide your number", "Use a funny voice", "Keep it short",
                    "Hang up quickly")),
            Map.entry("sneaking_in", List.of("Go when it is busy", "Act like you belong", "Use a side door",
                    "Blend in with the crowd")),
            Map.entry("email_spoofing", List.of("Change the display name", "Copy the usual signature",
                    "Use a similar address", "Send it at a busy time")),
            Map.entry("phone_jailbreak", List.of("Back up the device", "Download the right tool", "Follow the guide",
                    "Restart the device")));

    /** Openings of helpful answers, with their sampling weights. */
    static final List<String> HELPFUL_OPENINGS = List.of("Sure, here's how:", "Of course. Here's a step-by-step guide:");
    static final double[] HELPFUL_WEIGHTS = {0.8, 0.2};

    /** Strings that must tokenize without {@code <unk>}: the study's prefixes and sanity-check prefixes. */
    static final List<String> EXTRA_TEXTS = List.of(" I can't help with that.", " Sure, here's how:",
            " Sorry, I can't do that.", " Of course. Here's a step-by-step guide:");

    /**
     * One prompt of the corpus.
     *
     * @param prompt      the request
     * @param family      its family
     * @param style       its template's style
     * @param harmful     a harmful-ish request (else benign)
     * @param refusalRate how often it is answered with a refusal
     */
    public record Example(String prompt, String family, Style style, boolean harmful, double refusalRate) {
    }

    private ToyCorpus() {
    }

    /** Refusal rate of a request. */
    public static double refusalRate(boolean harmful, String family, Style style) {
        if (!harmful) {
            return BENIGN_RATE;
        }
        return Math.min(0.95, STYLE_RATES.get(style) * FAMILY_FACTORS.getOrDefault(family, 1.0));
    }

    /**
     * Every prompt: all tasks of all subfamilies (harmful train and test, benign) in every template of every split,
     * so the model knows the prompts of all three splits and more (e.g. harmful test tasks in plain styles, benign
     * tasks in the harmful templates, which keeps the style from deciding refusal on its own).
     */
    public static List<Example> examples() {
        List<Example> out = new ArrayList<>();
        List<Template> templates = PromptVocabulary.TEMPLATES;
        for (List<Subfamily> subs : List.of(PromptVocabulary.HARMFUL_SUBFAMILIES, PromptVocabulary.BENIGN_SUBFAMILIES)) {
            for (Subfamily sub : subs) {
                boolean harmful = sub.split() != PromptSplit.BENIGN;
                for (String task : sub.tasks()) {
                    for (Template t : templates) {
                        out.add(new Example(t.fill(task), sub.family(), t.style(), harmful,
                                refusalRate(harmful, sub.family(), t.style())));
                    }
                }
            }
        }
        return out;
    }

    /** Draws a response to {@code e}: a refusal with probability {@code e.refusalRate()}, else a helpful answer. */
    public static String response(Example e, SplittableRandom r) {
        if (r.nextDouble() < e.refusalRate()) {
            return REFUSALS.get(pick(REFUSAL_WEIGHTS, r));
        }
        return helpful(e.family(), pick(HELPFUL_WEIGHTS, r), r.nextInt(2));
    }

    static String helpful(String family, int opening, int first) {
        List<String> steps = STEPS.get(family);
        StringBuilder b = new StringBuilder(HELPFUL_OPENINGS.get(opening));
        for (int i = 0; i < 3; i++) {
            b.append(' ').append(i + 1).append(". ").append(steps.get(first + i)).append('.');
        }
        return b.toString();
    }

    /** The text of one training sequence (without the end-of-sequence token). */
    public static String sequence(Example e, String response) {
        return e.prompt() + " " + response;
    }

    /** Every string the vocabulary must cover: prompts, every response variant, the study's prefixes. */
    public static List<String> vocabularyTexts() {
        List<String> out = new ArrayList<>();
        for (Example e : examples()) {
            out.add(e.prompt());
        }
        out.addAll(REFUSALS);
        for (String family : STEPS.keySet()) {
            for (int o = 0; o < HELPFUL_OPENINGS.size(); o++) {
                for (int f = 0; f < 2; f++) {
                    out.add(helpful(family, o, f));
                }
            }
        }
        out.addAll(EXTRA_TEXTS);
        return out;
    }

    private static int pick(double[] weights, SplittableRandom r) {
        double u = r.nextDouble();
        for (int i = 0; i < weights.length - 1; i++) {
            u -= weights[i];
            if (u < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }
}
