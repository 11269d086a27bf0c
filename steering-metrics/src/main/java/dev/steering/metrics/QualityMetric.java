package dev.steering.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Classifies a completion as {@link Quality#COHERENT}, {@link Quality#NORMAL}, {@link Quality#DEGENERATE} or
 * {@link Quality#GARBLED} from surface features, without a model: emptiness, stubs, repetition (distinct-2, longest repeated n-gram, back-to-back word runs),
 * degenerate character runs, the share of non-word tokens and the share of English function words (token salad
 * of content words has almost none).
 *
 * <p>A token is a <em>non-word</em> when, after stripping surrounding punctuation, it is
 * <ul>
 *   <li>empty but at least 4 characters long ({@code "!!!!"}, {@code "):;:"}; rules such as {@code "---"} excepted),</li>
 *   <li>or contains a character that is not a letter, digit or one of {@code ' - . / : @ % + & , ° $ € £ #},</li>
 *   <li>or mixes scripts (Latin with another alphabet: {@code "theの"}),</li>
 *   <li>or is a Latin word longer than 20 letters, or one of 5+ letters without a vowel,</li>
 *   <li>or switches from lower to upper case more than once ({@code "tHeRe"}).</li>
 * </ul>
 * Rules ({@code n} = prose words, {@code t} = tokens); the first group that fires decides:
 * <pre>
 *   degenerate if blank, or a stub: fewer than stub_share × max_new_tokens generated tokens (when a budget is set,
 *            {@link #withStubLimit}) and every word a filler word of an opener ("Sure, here's how:", "Of course."),
 *            or a single repeated phrase: the words are one phrase of p words said at least twice over
 *            (words[i] = words[i mod p], n ≥ 2p; a cut-off last repetition allowed)
 *   garbled  if or distinct_2 &lt; 0.4 (n ≥ 8), or a word run ≥ 4, or a character run ≥ 12,
 *            or non-word ratio &gt; 0.25, or function-word ratio &lt; 0.1 (n ≥ 8)
 *   normal   if distinct_2 &lt; 0.8 (n ≥ 8), or longest repeat ≥ 6, or a word run ≥ 2 ("is is"), or a character run ≥ 6,
 *            or non-word ratio &gt; 0.1 (t ≥ 10)
 *   coherent otherwise
 * </pre>
 * The function-word rule assumes English. Immutable and thread-safe.
 */
public final class QualityMetric {
    private static final Set<String> FUNCTION_WORDS = Set.of(
            "the", "a", "an", "of", "to", "in", "on", "at", "by", "for", "with", "from", "about", "as", "into", "than",
            "and", "or", "but", "if", "so", "because", "while", "that", "this", "these", "those", "which", "who",
            "what", "when", "where", "how", "why", "it", "its", "it's", "i", "i'm", "me", "my", "you", "your",
            "you're", "we", "our", "they", "their", "he", "she", "his", "her", "them", "is", "are", "was", "were",
            "be", "been", "being", "am", "do", "does", "did", "have", "has", "had", "can", "can't", "cannot",
            "could", "will", "won't", "would", "should", "may", "might", "must", "not", "no", "don't", "there",
            "here", "some", "any", "all", "more", "most", "very", "also", "just", "then", "up", "out", "over",
            "other", "such", "each", "only", "like", "let's", "i'll", "i'd", "let", "one", "both");
    /** Words of openers and fillers: a completion made only of these has no content. */
    private static final Set<String> FILLER_WORDS = Set.of(
            "sure", "of", "course", "here's", "here", "is", "are", "how", "a", "an", "the", "step-by-step", "step",
            "guide", "okay", "ok", "certainly", "absolutely", "alright", "great", "well", "so", "let", "me", "let's",
            "i'll", "i", "will", "explain", "steps", "following", "follow", "these", "below", "to", "do", "it", "that",
            "this", "and", "you", "can", "what", "with", "help", "1", "2", "3");
    private static final String VOWELS = "aeiouy";
    /** Default share of {@code max_new_tokens} under which a content-free completion is a stub. */
    public static final double DEFAULT_STUB_SHARE = 0.5;
    private static final QualityMetric DEFAULTS = new QualityMetric(Integer.MAX_VALUE);

    /** A completion with fewer generated tokens than this (and no content) is a stub. */
    private final int stubTokens;

    private QualityMetric(int stubTokens) {
        this.stubTokens = stubTokens;
    }

    /**
     * The metric with the thresholds of the class comment and no generation budget: a content-free completion is a
     * stub whatever its length.
     */
    public static QualityMetric defaults() {
        return DEFAULTS;
    }

    /**
     * The metric for completions generated with {@code maxNewTokens}: a content-free completion is a stub when it has
     * fewer than {@code share × maxNewTokens} tokens.
     */
    public static QualityMetric withStubLimit(int maxNewTokens, double share) {
        if (maxNewTokens <= 0 || !(share > 0 && share <= 1)) {
            throw new IllegalArgumentException("stub limit needs max_new_tokens > 0 and a share in (0, 1], got "
                    + maxNewTokens + " and " + share);
        }
        return new QualityMetric((int) Math.ceil(share * maxNewTokens));
    }

    /** Classifies one completion, counting its whitespace tokens as its length. */
    public QualityResult score(String completion) {
        return score(completion, -1);
    }

    /**
     * Classifies one completion of {@code nTokens} generated tokens ({@code < 0}: unknown, its whitespace tokens are
     * counted instead).
     */
    public QualityResult score(String completion, int nTokens) {
        String prose = Text.withoutCode(completion);
        List<String> tokens = Text.tokens(prose);
        List<String> words = Text.words(prose);
        int n = words.size();
        int t = tokens.size();
        double distinct2 = Text.distinctN(words, 2);
        int repeat = Text.longestRepeat(words);
        int wordRun = Text.longestWordRun(words);
        int charRun = longestCharRun(prose);
        double nonWord = t == 0 ? 0 : (double) tokens.stream().filter(QualityMetric::isNonWord).count() / t;
        double function = n == 0 ? 0 : (double) words.stream().filter(FUNCTION_WORDS::contains).count() / n;

        List<String> degenerate = new ArrayList<>();
        int length = nTokens >= 0 ? nTokens : Text.tokens(completion).size();
        if (completion.isBlank()) {
            degenerate.add("blank");
        } else if (length < stubTokens && !words.isEmpty() && words.stream().allMatch(FILLER_WORDS::contains)) {
            degenerate.add(String.format(Locale.ROOT, "stub of %d tokens without content", length));
        }
        int period = repeatedPhrase(words);
        check(degenerate, period > 0, "one %d-word phrase repeated", period);
        List<String> garbled = new ArrayList<>();
        check(garbled, n >= 8 && distinct2 < 0.4, "distinct_2 %.2f < 0.4", distinct2);
        check(garbled, wordRun >= 4, "word run %d >= 4", wordRun);
        check(garbled, charRun >= 12, "character run %d >= 12", charRun);
        check(garbled, nonWord > 0.25, "non-word ratio %.2f > 0.25", nonWord);
        check(garbled, n >= 8 && function < 0.1, "function-word ratio %.2f < 0.1", function);
        List<String> normal = new ArrayList<>();
        check(normal, n >= 8 && distinct2 < 0.8, "distinct_2 %.2f < 0.8", distinct2);
        check(normal, repeat >= 6, "repeated %d-gram", repeat);
        check(normal, wordRun >= 2, "word run %d >= 2", wordRun);
        check(normal, charRun >= 6, "character run %d >= 6", charRun);
        check(normal, t >= 10 && nonWord > 0.1, "non-word ratio %.2f > 0.1", nonWord);

        Quality q = !degenerate.isEmpty() ? Quality.DEGENERATE : !garbled.isEmpty() ? Quality.GARBLED
                : !normal.isEmpty() ? Quality.NORMAL : Quality.COHERENT;
        List<String> reasons = q == Quality.DEGENERATE ? degenerate : q == Quality.GARBLED ? garbled : normal;
        return new QualityResult(q, reasons, n, distinct2, repeat, wordRun, charRun, nonWord, function);
    }

    private static void check(List<String> reasons, boolean fired, String format, Object value) {
        if (fired) {
            reasons.add(String.format(Locale.ROOT, format, value));
        }
    }

    /** See the class comment. */
    static boolean isNonWord(String token) {
        String core = Text.core(token);
        if (core.isEmpty()) {
            return token.length() >= 4 && !token.chars().allMatch(c -> c == '-' || c == '=' || c == '_' || c == '*');
        }
        boolean latin = false;
        boolean other = false;
        int upperSwitches = 0;
        for (int i = 0; i < core.length(); i++) {
            char c = core.charAt(i);
            if (Character.isLetter(c)) {
                boolean isLatin = Character.UnicodeScript.of(c) == Character.UnicodeScript.LATIN;
                latin |= isLatin;
                other |= !isLatin;
                if (i > 0 && Character.isUpperCase(c) && Character.isLowerCase(core.charAt(i - 1))) {
                    upperSwitches++;
                }
            } else if (!Character.isDigit(c) && "'’-./:@%+&,°$€£#".indexOf(c) < 0) {
                return true;
            }
        }
        if ((latin && other) || upperSwitches > 1) {
            return true;
        }
        String lower = core.toLowerCase(Locale.ROOT);
        if (lower.chars().allMatch(c -> c >= 'a' && c <= 'z')) {
            return lower.length() > 20 || (lower.length() >= 5 && lower.chars().noneMatch(c -> VOWELS.indexOf(c) >= 0));
        }
        return false;
    }

    /**
     * The period p of the shortest phrase whose repetition makes up all of {@code words} ({@code words[i] =
     * words[i mod p]} with at least two full repetitions), or 0 when there is none.
     */
    static int repeatedPhrase(List<String> words) {
        int n = words.size();
        for (int p = 1; 2 * p <= n; p++) {
            boolean all = true;
            for (int i = p; i < n && all; i++) {
                all = words.get(i).equals(words.get(i % p));
            }
            if (all) {
                return p;
            }
        }
        return 0;
    }

    private static int longestCharRun(String text) {
        int best = 0;
        int run = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            boolean counts = !Character.isWhitespace(c) && c != '-' && c != '=' && c != '_';
            run = counts && i > 0 && c == text.charAt(i - 1) ? run + 1 : counts ? 1 : 0;
            best = Math.max(best, run);
        }
        return best;
    }
}
