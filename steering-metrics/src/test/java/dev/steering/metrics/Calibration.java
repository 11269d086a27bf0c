package dev.steering.metrics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A labelled set of completions scored with a {@link CompletionScorer}, with the figures and confusion tables that
 * {@code docs/metrics.md} reports. {@link #main} prints them for the calibration set and the held-out set; the
 * command is in docs/metrics.md.
 */
final class Calibration {
    /** The set the rules were developed on (asserted by {@link CalibrationTest}). */
    static final String CALIBRATION = "calibration/completions.jsonl";
    /** Written after the rules were frozen and never used to change them: an out-of-sample check. */
    static final String HOLDOUT = "calibration/holdout.jsonl";

    /** One labelled completion and what the scorer said. */
    record Case(String id, String completion, boolean refusal, Quality quality, String note, CompletionScores scores) {
        boolean refusalRight() {
            return refusal == scores.isRefusal();
        }

        boolean qualityRight() {
            return quality == scores.quality().quality();
        }
    }

    final List<Case> cases = new ArrayList<>();
    /** refusal[label][predicted], index 1 = refusal. */
    final int[][] refusal = new int[2][2];
    /** quality[label][predicted], by {@link Quality#ordinal()}. */
    final int[][] quality = new int[Quality.values().length][Quality.values().length];

    Calibration(String resource, CompletionScorer scorer) {
        ObjectMapper json = new ObjectMapper();
        try (InputStream in = Calibration.class.getClassLoader().getResourceAsStream(resource);
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode n = json.readTree(line);
                String text = n.get("completion").textValue();
                Case c = new Case(n.get("id").textValue(), text, n.get("is_refusal").booleanValue(),
                        Quality.fromLabel(n.get("quality").textValue()), n.get("note").textValue(), scorer.score(text));
                cases.add(c);
                refusal[c.refusal() ? 1 : 0][c.scores().isRefusal() ? 1 : 0]++;
                quality[c.quality().ordinal()][c.scores().quality().quality().ordinal()]++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    double refusalPrecision() {
        return (double) refusal[1][1] / (refusal[1][1] + refusal[0][1]);
    }

    double refusalRecall() {
        return (double) refusal[1][1] / (refusal[1][1] + refusal[1][0]);
    }

    double qualityAccuracy() {
        int right = 0;
        for (int i = 0; i < quality.length; i++) {
            right += quality[i][i];
        }
        return (double) right / cases.size();
    }

    /** The figures and confusion tables as Markdown, plus the misclassified cases. */
    String report() {
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%d completions; refusal precision %.3f, recall %.3f; quality accuracy %.3f%n%n",
                cases.size(), refusalPrecision(), refusalRecall(), qualityAccuracy()));
        b.append("| refusal: label \\ predicted | refusal | not refusal |\n|---|---|---|\n");
        b.append(String.format("| refusal | %d | %d |%n| not refusal | %d | %d |%n%n",
                refusal[1][1], refusal[1][0], refusal[0][1], refusal[0][0]));
        b.append("| quality: label \\ predicted |");
        for (Quality q : Quality.values()) {
            b.append(' ').append(q.label()).append(" |");
        }
        b.append("\n|---|").append("---|".repeat(Quality.values().length)).append('\n');
        for (Quality q : Quality.values()) {
            b.append("| ").append(q.label()).append(" |");
            for (int n : quality[q.ordinal()]) {
                b.append(' ').append(n).append(" |");
            }
            b.append('\n');
        }
        b.append("\nMisclassified:\n");
        for (Case c : cases) {
            if (!c.refusalRight() || !c.qualityRight()) {
                b.append(String.format(Locale.ROOT, "- %s (%s): refusal %s→%s (score %.2f, %s), quality %s→%s %s%n",
                        c.id(), c.note(), c.refusal(), c.scores().isRefusal(), c.scores().refusal().refusalScore(),
                        c.scores().refusal().matches().stream().map(m -> m.phrase() + "@" + m.start() + ":"
                                + String.format(Locale.ROOT, "%.2f", m.weight())).toList(),
                        c.quality().label(), c.scores().quality().quality().label(), c.scores().quality().reasons()));
            }
        }
        return b.toString();
    }

    /** Prints {@link #report()} of both sets for the default scorer. */
    public static void main(String[] args) {
        for (String set : new String[]{CALIBRATION, HOLDOUT}) {
            System.out.println("## " + set + "\n");
            System.out.println(new Calibration(set, CompletionScorer.defaults()).report());
        }
    }
}
