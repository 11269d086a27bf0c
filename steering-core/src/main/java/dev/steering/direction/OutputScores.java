package dev.steering.direction;

import dev.steering.model.ForwardGraph;
import dev.steering.model.ForwardInputs;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The output-side scores of direction selection (methods.md §1, "Refusal metric" and "kl_score"; pitfall 7: all
 * in float64): the refusal log-odds of the last-position distribution and the KL divergence between two such
 * distributions. Shared by {@link DifferenceInMeans} and {@link Cosmic}, so there is one implementation of each.
 */
public final class OutputScores {
    /** ε inside the refusal log-odds, as in refusal_direction's {@code select_direction.py}. */
    public static final double REFUSAL_EPS = 1e-8;
    /** ε inside the KL logarithms, as in refusal_direction's {@code kl_div_fn}. */
    public static final double KL_EPS = 1e-6;

    private OutputScores() {
    }

    /** Softmax of one row of logits, in double precision. */
    public static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double x : logits) {
            max = Math.max(max, x);
        }
        double[] p = new double[logits.length];
        double z = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            z += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= z;
        }
        return p;
    }

    /**
     * The refusal score {@code s = log(p_R + 1e-8) − log(1 − p_R + 1e-8)} with {@code p_R} the probability mass on
     * the refusal tokens.
     */
    public static double refusalScore(double[] probs, long[] refusalTokens) {
        double pr = 0;
        for (long t : refusalTokens) {
            pr += probs[(int) t];
        }
        return Math.log(pr + REFUSAL_EPS) - Math.log(1 - pr + REFUSAL_EPS);
    }

    /** {@code KL(P‖Q) = Σ p·(log(p+ε) − log(q+ε))}, ε = 1e-6. */
    public static double kl(double[] p, double[] q) {
        double kl = 0;
        for (int i = 0; i < p.length; i++) {
            kl += p[i] * (Math.log(p[i] + KL_EPS) - Math.log(q[i] + KL_EPS));
        }
        return kl;
    }

    /** The next-token distribution after each prompt (left-padded batches, logits at the last position). */
    public static List<double[]> lastTokenProbs(ForwardGraph graph, List<long[]> prompts, int batchSize) {
        List<double[]> out = new ArrayList<>();
        for (int start = 0; start < prompts.size(); start += batchSize) {
            List<long[]> batch = prompts.subList(start, Math.min(prompts.size(), start + batchSize));
            INDArray logits = graph.run(ForwardInputs.leftPadded(batch, 0), null, List.of()).logits();
            for (int r = 0; r < batch.size(); r++) {
                out.add(softmax(logits.getRow(r).dup().data().asDouble()));
            }
        }
        return out;
    }

    /** Mean refusal score over distributions. */
    public static double meanRefusalScore(List<double[]> probs, long[] refusalTokens) {
        return probs.stream().mapToDouble(p -> refusalScore(p, refusalTokens)).average().orElse(Double.NaN);
    }

    /** Mean of {@code KL(base_i ‖ other_i)} over paired distributions. */
    public static double meanKl(List<double[]> base, List<double[]> other) {
        double s = 0;
        for (int i = 0; i < base.size(); i++) {
            s += kl(base.get(i), other.get(i));
        }
        return s / base.size();
    }
}
