package dev.steering.generate;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Chooses the next token from one row of logits: greedy, or sampling with temperature, top-k and top-p. Knows
 * nothing about the model. All arithmetic is in double precision.
 */
public final class Sampler {
    private final GenerationConfig cfg;

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
        double[] p = new double[vocab];
        double z = 0;
        for (int i = 0; i < vocab; i++) {
            p[i] = Math.exp((logits[offset + i] - max) / t);
            z += p[i];
        }
        for (int i = 0; i < vocab; i++) {
            p[i] /= z;
        }
        Integer[] kept = nucleus(p);
        double mass = 0;
        for (int i : kept) {
            mass += p[i];
        }
        double u = rng.nextDouble() * mass;
        for (int i : kept) {
            u -= p[i];
            if (u < 0) {
                return i;
            }
        }
        return kept[kept.length - 1];
    }

    /**
     * The candidate tokens after top-k and top-p, most likely first: the {@code topK} most likely, then the
     * shortest prefix whose mass reaches {@code topP} (always at least one token).
     */
    private Integer[] nucleus(double[] p) {
        int k = cfg.topK() > 0 ? Math.min(cfg.topK(), p.length) : p.length;
        double threshold = cfg.topP() < 1 ? massThreshold(p, cfg.topP()) : 0;
        int n = 0;
        Integer[] cand = new Integer[p.length];
        for (int i = 0; i < p.length; i++) {
            if (p[i] >= threshold && p[i] > 0) {
                cand[n++] = i;
            }
        }
        cand = Arrays.copyOf(cand, Math.max(n, 1));
        if (n == 0) {
            cand[0] = argmax(p);
        }
        Arrays.sort(cand, (a, b) -> p[a] != p[b] ? Double.compare(p[b], p[a]) : Integer.compare(a, b));
        int keep = Math.min(k, cand.length);
        if (cfg.topP() < 1) {
            double cum = 0;
            for (int i = 0; i < keep; i++) {
                cum += p[cand[i]];
                if (cum >= cfg.topP()) {
                    keep = i + 1;
                    break;
                }
            }
        }
        return Arrays.copyOf(cand, keep);
    }

    /**
     * The largest probability {@code t} such that the tokens with {@code p ≥ t} hold at least {@code mass} (found
     * by bisection, so only that small candidate set is sorted).
     */
    private static double massThreshold(double[] p, double mass) {
        double lo = 0;
        double hi = p[argmax(p)];
        for (int it = 0; it < 40; it++) {
            double mid = (lo + hi) / 2;
            double m = 0;
            for (double x : p) {
                if (x >= mid) {
                    m += x;
                }
            }
            if (m >= mass) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return lo;
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
