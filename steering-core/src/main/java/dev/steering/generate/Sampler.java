package dev.steering.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from one row of logits: greedy, or sampling with temperature, top-k and top-p. Knows
 * nothing about the model. All arithmetic is in double precision.
 */
public final class Sampler {
    private final GenerationConfig cfg;
    private double[] probs = new double[0];     // reused across calls (a sampler serves one decoding loop)

    public Sampler(GenerationConfig cfg) {
        this.cfg = cfg;
    }

    /**
     * The chosen token and the model distribution's statistics at this step.
     *
     * @param token   the chosen id
     * @param logprob log-probability of {@code token} under {@code softmax(logits)}
     * @param entropy entropy of {@code softmax(logits)} in nats
     */
    public record Choice(int token, double logprob, double entropy) {
    }

    /** A row's random source, fixed by the run seed and the prompt id alone. */
    public static SplittableRandom rngFor(long seed, String promptId) {
        long h = 0xcbf29ce484222325L;                       // FNV-1a over the id's UTF-8 bytes
        for (byte b : promptId.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xff)) * 0x100000001b3L;
        }
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ h);
    }

    /**
     * Chooses from {@code logits[offset .. offset+vocab)}.
     *
     * @param rng the row's random source (unused when greedy)
     */
    public Choice choose(float[] logits, int offset, int vocab, SplittableRandom rng) {
        int best = offset;
        for (int i = offset + 1; i < offset + vocab; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        double max = logits[best];
        double z = 0;
        double weighted = 0;
        for (int i = offset; i < offset + vocab; i++) {
            double d = logits[i] - max;
            double e = Math.exp(d);
            z += e;
            weighted += e * d;
        }
        double logZ = Math.log(z);
        double entropy = logZ - weighted / z;                // −Σ p log p with log p = d − log Z
        int token = cfg.isGreedy() ? best - offset : sample(logits, offset, vocab, max, rng);
        return new Choice(token, logits[offset + token] - max - logZ, entropy);
    }

    private int sample(float[] logits, int offset, int vocab, double max, SplittableRandom rng) {
        double t = cfg.temperature();
        if (probs.length != vocab) {
            probs = new double[vocab];
        }
        double[] p = probs;
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[offset + i] - max) / t);
            z += p[i];
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= z;
        }
        // top-k, then top-p on the renormalised top-k distribution (the order of Hugging Face's processors)
        double floor = cfg.topK() > 0 && cfg.topK() < vocab ? kthLargest(p, cfg.topK()) : 0;
        double cut = cfg.topP() < 1 ? nucleusThreshold(p, floor, cfg.topP() * massAtLeast(p, floor)) : floor;
        double u = rng.nextDouble() * massAtLeast(p, cut);
        int last = -1;
        for (int i = 0; i < vocab; i++) {
            if (p[i] >= cut && p[i] > 0) {
                last = i;
                u -= p[i];
                if (u < 0) {
                    return i;
                }
            }
        }
        return last >= 0 ? last : argmax(p);
    }

    /** Total probability of the tokens with {@code p ≥ t}. */
    private static double massAtLeast(double[] p, double t) {
        double m = 0;
        for (double x : p) {
            if (x >= t) {
                m += x;
            }
        }
        return m;
    }

    /**
     * The largest threshold {@code t ≥ floor} whose set {@code p ≥ t} holds at least {@code target}: the nucleus is
     * the most likely tokens whose mass reaches top-p. Bisection narrows the range, then the few values left in it
     * are resolved exactly, so no full sort of the vocabulary is needed.
     */
    static double nucleusThreshold(double[] p, double floor, double target) {
        double lo = floor;                         // mass(p >= lo) >= target
        double hi = p[argmax(p)];                  // the top token alone may or may not reach it
        if (massAtLeast(p, hi) >= target) {
            return hi;
        }
        int between = Integer.MAX_VALUE;
        for (int it = 0; it < 60 && between > 64; it++) {
            double mid = (lo + hi) / 2;
            if (massAtLeast(p, mid) >= target) {
                lo = mid;
            } else {
                hi = mid;
            }
            between = 0;
            for (double x : p) {
                if (x >= lo && x < hi) {
                    between++;
                }
            }
        }
        // mass(p >= hi) < target <= mass(p >= lo): add the values in [lo, hi) from the largest down
        double[] rest = new double[between];
        int n = 0;
        for (double x : p) {
            if (x >= lo && x < hi && n < rest.length) {
                rest[n++] = x;
            }
        }
        java.util.Arrays.sort(rest, 0, n);
        double mass = massAtLeast(p, hi);
        for (int i = n - 1; i >= 0; i--) {
            mass += rest[i];
            if (mass >= target) {
                return rest[i];
            }
        }
        return lo;
    }

    /** The k-th largest probability (a bounded min-heap over the vocabulary). */
    private static double kthLargest(double[] p, int k) {
        java.util.PriorityQueue<Double> heap = new java.util.PriorityQueue<>(k + 1);
        for (double x : p) {
            if (heap.size() < k) {
                heap.add(x);
            } else if (x > heap.peek()) {
                heap.poll();
                heap.add(x);
            }
        }
        return heap.peek();
    }

    private static int argmax(double[] p) {
        int best = 0;
        for (int i = 1; i < p.length; i++) {
            if (p[i] > p[best]) {
                best = i;
            }
        }
        return best;
    }
}
