package dev.steering.metrics;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The text primitives every metric shares: one normalisation, one notion of "word" and the repetition statistics,
 * so that {@code n_words} or {@code distinct_2} mean the same thing wherever they are reported.
 *
 * <p>A <em>word</em> is a whitespace-separated token with its surrounding punctuation stripped
 * ({@code "Hello,"} → {@code hello}), lower-cased and with typographic apostrophes folded to {@code '}.
 * Tokens that are punctuation only ({@code "—"}, {@code "..."}) are not words.
 */
public final class Text {
    private static final Pattern TOKEN = Pattern.compile("\\S+");
    private static final Pattern CODE = Pattern.compile("```.*?(```|\\z)|`[^`\\n]*`", Pattern.DOTALL);

    private Text() {
    }

    /**
     * Lower-cases (per {@code char}, locale-independent) and folds typographic apostrophes and quotes
     * ({@code ’ ‘ ʼ ′} → {@code '}, {@code “ ”} → {@code "}) and every whitespace character to a space. The result
     * has the same length as the input, so offsets found in it are offsets into the original text.
     */
    public static String normalize(String text) {
        char[] out = new char[text.length()];
        for (int i = 0; i < out.length; i++) {
            char c = text.charAt(i);
            out[i] = switch (c) {
                case '\u2019', '\u2018', '\u02BC', '\u2032' -> '\'';
                case '\u201C', '\u201D' -> '"';
                default -> Character.isWhitespace(c) || c == '\u00A0' ? ' ' : Character.toLowerCase(c);
            };
        }
        return new String(out);
    }

    /** The whitespace-separated tokens of {@code text}, unmodified. */
    public static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(text);
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    /** {@code token} without leading and trailing characters that are neither letters nor digits. */
    public static String core(String token) {
        int a = 0;
        int b = token.length();
        while (a < b && !Character.isLetterOrDigit(token.charAt(a))) {
            a++;
        }
        while (b > a && !Character.isLetterOrDigit(token.charAt(b - 1))) {
            b--;
        }
        return token.substring(a, b);
    }

    /** The words of {@code text} (see the class comment), in order. */
    public static List<String> words(String text) {
        List<String> out = new ArrayList<>();
        for (String t : tokens(normalize(text))) {
            String c = core(t);
            if (!c.isEmpty()) {
                out.add(c);
            }
        }
        return out;
    }

    /** {@code text} with fenced ({@code ```...```}) and inline ({@code `...`}) code replaced by a space. */
    public static String withoutCode(String text) {
        return CODE.matcher(text).replaceAll(" ");
    }

    /**
     * distinct-n: the number of distinct word n-grams divided by the number of n-grams. 1 when there are fewer than
     * {@code n} words (nothing can repeat); lower means more repetition.
     */
    public static double distinctN(List<String> words, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        int total = words.size() - n + 1;
        if (total <= 0) {
            return 1.0;
        }
        Set<List<String>> seen = new HashSet<>();
        for (int i = 0; i < total; i++) {
            seen.add(words.subList(i, i + n));
        }
        return (double) seen.size() / total;
    }

    /**
     * The length, in words, of the longest word sequence that occurs at least twice (occurrences may overlap, so
     * {@code "a a a a"} gives 3). 0 when no word repeats. Quadratic time, linear memory.
     */
    public static int longestRepeat(List<String> words) {
        int n = words.size();
        int best = 0;
        // row[j] = length of the common run starting at i+1 and j (previous i); rolled from the end.
        int[] next = new int[n + 1];
        int[] cur = new int[n + 1];
        for (int i = n - 1; i >= 0; i--) {
            for (int j = n - 1; j > i; j--) {
                cur[j] = words.get(i).equals(words.get(j)) ? next[j + 1] + 1 : 0;
                best = Math.max(best, cur[j]);
            }
            int[] t = next;
            next = cur;
            cur = t;
        }
        return best;
    }

    /** The longest run of the same word repeated back to back ({@code "no no no"} gives 3); 0 for no words. */
    public static int longestWordRun(List<String> words) {
        int best = 0;
        int run = 0;
        for (int i = 0; i < words.size(); i++) {
            run = i > 0 && words.get(i).equals(words.get(i - 1)) ? run + 1 : 1;
            best = Math.max(best, run);
        }
        return best;
    }
}
