package dev.steering.metrics;

import dev.steering.direction.OutputScores;

/**
 * How far an edit moves the next-token distribution along one teacher-forced sequence: the KL divergence
 * {@code KL(P_unsteered ‖ P_steered)} ({@link OutputScores#kl}, float64, ε = 1e-6 as in refusal_direction) at the
 * first generated position and averaged over the positions of the unsteered completion.
 *
 * @param klFirstToken KL at the first generated position
 * @param klMean       mean KL over the positions predicting the unsteered completion's tokens (the first position
 *                     alone when the completion is empty)
 */
public record NextTokenShift(double klFirstToken, double klMean) {

    /**
     * The shift between two teacher-forced logit sequences of the same tokens ({@code [positions][vocab]}, row 0 the
     * first generated position, as {@link dev.steering.generate.TeacherForcing} returns them).
     *
     * @param unsteered   logits without the edit
     * @param steered     logits with the edit
     * @param completionLength tokens of the unsteered completion (the first {@code max(1, completionLength)} rows
     *                    are averaged)
     */
    public static NextTokenShift of(float[][] unsteered, float[][] steered, int completionLength) {
        int n = Math.max(1, completionLength);
        if (unsteered.length < n || steered.length < n) {
            throw new IllegalArgumentException("need " + n + " positions of logits, got " + unsteered.length + " and "
                    + steered.length);
        }
        double first = Double.NaN;
        double sum = 0;
        for (int j = 0; j < n; j++) {
            double kl = kl(unsteered[j], steered[j]);
            if (j == 0) {
                first = kl;
            }
            sum += kl;
        }
        return new NextTokenShift(first, sum / n);
    }

    /** {@code KL(softmax(p) ‖ softmax(q))} of two logit rows, in double precision. */
    public static double kl(float[] p, float[] q) {
        if (p.length != q.length) {
            throw new IllegalArgumentException("logit rows of " + p.length + " and " + q.length + " entries");
        }
        return Math.max(0, OutputScores.kl(OutputScores.softmax(toDouble(p)), OutputScores.softmax(toDouble(q))));
    }

    static double[] toDouble(float[] x) {
        double[] d = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            d[i] = x[i];
        }
        return d;
    }
}
