package dev.steering.hooks;

import java.util.List;

/**
 * One hook's activations for a list of prompts, without padding, as plain Java arrays: entry {@code i} is
 * {@code [seq_i][width]} (TransformerLens's cache of one hook, per prompt).
 *
 * @param hook      where they were read
 * @param sequences per prompt, in input order; each row is one position
 */
public record ActivationCache(HookPoint hook, List<float[][]> sequences) {

    public ActivationCache {
        sequences = List.copyOf(sequences);
    }

    /** Activations of prompt {@code i}, {@code [seq_i][width]} (the cache's own arrays: do not modify). */
    public float[][] get(int i) {
        return sequences.get(i);
    }

    /** Number of prompts. */
    public int size() {
        return sequences.size();
    }

    /** Number of positions of prompt {@code i}. */
    public int length(int i) {
        return sequences.get(i).length;
    }

    /**
     * The activation of prompt {@code i} at {@code position}: 0 … length−1, or negative from the end (−1 is the
     * last token), in double precision.
     */
    public double[] row(int i, int position) {
        float[][] seq = sequences.get(i);
        int at = position < 0 ? seq.length + position : position;
        if (at < 0 || at >= seq.length) {
            throw new IllegalArgumentException("position " + position + " is outside prompt " + i + " of "
                    + seq.length + " tokens");
        }
        double[] out = new double[seq[at].length];
        for (int j = 0; j < out.length; j++) {
            out[j] = seq[at][j];
        }
        return out;
    }

    /** The last position of every prompt, {@code [prompts][width]}. */
    public float[][] lastPositions() {
        return sequences.stream().map(s -> s[s.length - 1]).toArray(float[][]::new);
    }
}
