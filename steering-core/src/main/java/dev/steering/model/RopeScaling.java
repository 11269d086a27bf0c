package dev.steering.model;

/**
 * A config's {@code rope_scaling}: how the rotary frequencies are adjusted for long contexts. The types implemented
 * are Hugging Face's {@code default} (none), {@code llama3} and {@code longrope}; any other type is refused with an
 * error naming the field, never ignored.
 */
public sealed interface RopeScaling {

    /** No scaling ({@code rope_scaling} absent, null, or of type {@code default}). */
    RopeScaling NONE = new None();

    /**
     * The rotary embedding for heads of {@code headDim} whose first {@code rotaryDim} dimensions rotate, with base
     * frequency {@code theta}.
     */
    RotaryEmbedding embedding(int headDim, int rotaryDim, double theta);

    /** No scaling: the standard frequencies {@code 1 / theta^(2i/rotaryDim)}. */
    record None() implements RopeScaling {
        @Override
        public RotaryEmbedding embedding(int headDim, int rotaryDim, double theta) {
            return new RotaryEmbedding(headDim, rotaryDim, RotaryEmbedding.defaultInvFreq(rotaryDim, theta), 1.0);
        }
    }

    /**
     * Llama 3.1+ ({@code rope_type: llama3}): frequencies whose wavelength exceeds
     * {@code originalMaxPositions / lowFreqFactor} are divided by {@code factor}, those below
     * {@code originalMaxPositions / highFreqFactor} are kept, and the band between is interpolated smoothly
     * (Hugging Face {@code _compute_llama3_parameters}).
     *
     * @param factor               {@code factor}
     * @param lowFreqFactor        {@code low_freq_factor}
     * @param highFreqFactor       {@code high_freq_factor}
     * @param originalMaxPositions {@code original_max_position_embeddings}
     */
    record Llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalMaxPositions)
            implements RopeScaling {
        @Override
        public RotaryEmbedding embedding(int headDim, int rotaryDim, double theta) {
            float[] base = RotaryEmbedding.defaultInvFreq(rotaryDim, theta);
            float[] out = new float[base.length];
            double lowFreqWavelen = originalMaxPositions / lowFreqFactor;
            double highFreqWavelen = originalMaxPositions / highFreqFactor;
            for (int i = 0; i < base.length; i++) {
                double f = base[i];
                double wavelen = 2 * Math.PI / f;
                if (wavelen > lowFreqWavelen) {
                    f = f / factor;
                } else if (wavelen >= highFreqWavelen) {
                    double smooth = (originalMaxPositions / wavelen - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                    f = (1 - smooth) * f / factor + smooth * f;
                }
                out[i] = (float) f;
            }
            return new RotaryEmbedding(headDim, rotaryDim, out, 1.0);
        }
    }

    /**
     * Phi-3 LongRoPE ({@code type: longrope}): per-frequency divisors, {@code shortFactor} while a call's longest
     * sequence (largest position id + 1) is at most {@code originalMaxPositions}, {@code longFactor} beyond; cos and
     * sin are scaled by {@code attentionFactor}. The choice is made per forward call, as Hugging Face does, so the
     * keys cached before a sequence crosses the threshold keep their short-factor rotation.
     *
     * @param shortFactor          {@code short_factor} (one per rotary frequency)
     * @param longFactor           {@code long_factor}
     * @param originalMaxPositions {@code original_max_position_embeddings}
     * @param attentionFactor      {@code attention_factor}, or by default
     *                             {@code sqrt(1 + ln(max_position_embeddings / original) / ln(original))}
     */
    record LongRope(double[] shortFactor, double[] longFactor, int originalMaxPositions, double attentionFactor)
            implements RopeScaling {
        @Override
        public RotaryEmbedding embedding(int headDim, int rotaryDim, double theta) {
            float[] base = RotaryEmbedding.defaultInvFreq(rotaryDim, theta);
            return new RotaryEmbedding(headDim, rotaryDim, divide(base, shortFactor), divide(base, longFactor),
                    originalMaxPositions, attentionFactor);
        }

        private static float[] divide(float[] invFreq, double[] factors) {
            float[] out = new float[invFreq.length];
            for (int i = 0; i < out.length; i++) {
                out[i] = (float) (invFreq[i] / factors[i]);
            }
            return out;
        }
    }

    /**
     * Reads {@code rope_scaling} (type from {@code rope_type}, or the older {@code type}) of a config whose heads
     * rotate {@code rotaryDim} dimensions.
     */
    static RopeScaling parse(ConfigFields f, int rotaryDim) {
        if (!f.has("rope_scaling")) {
            return NONE;
        }
        ConfigFields s = f.nested("rope_scaling");
        String type = s.optString("rope_type", s.optString("type", "default"));
        return switch (type) {
            case "default" -> NONE;
            case "llama3" -> llama3(s);
            case "longrope" -> longRope(f, s, rotaryDim);
            default -> throw s.unsupported(s.has("rope_type") ? "rope_type" : "type", type,
                    "supported: default, llama3, longrope");
        };
    }

    private static Llama3 llama3(ConfigFields s) {
        double low = s.requirePositiveDouble("low_freq_factor");
        double high = s.requirePositiveDouble("high_freq_factor");
        if (high <= low) {
            throw s.unsupported("high_freq_factor", high, "expected more than low_freq_factor " + low);
        }
        return new Llama3(s.requirePositiveDouble("factor"), low, high,
                s.requireDimension("original_max_position_embeddings"));
    }

    private static LongRope longRope(ConfigFields f, ConfigFields s, int rotaryDim) {
        double[] shortFactor = s.requireDoubles("short_factor");
        double[] longFactor = s.requireDoubles("long_factor");
        for (double[] factors : new double[][]{shortFactor, longFactor}) {
            for (double x : factors) {
                if (!(x > 0) || Double.isInfinite(x)) {
                    throw f.unsupported("rope_scaling", x, "short_factor and long_factor must be finite and above 0");
                }
            }
            if (factors.length != rotaryDim / 2) {
                throw f.unsupported("rope_scaling", factors.length + " factors",
                        "short_factor and long_factor need one factor per rotary frequency: " + rotaryDim / 2);
            }
        }
        // As Hugging Face: a top-level original_max_position_embeddings (Phi-3) gives the scale as the ratio of
        // the two context lengths; otherwise the context is max_position_embeddings and rope_scaling.factor the scale.
        int original;
        double factor;
        if (f.has("original_max_position_embeddings")) {
            original = f.requireDimension("original_max_position_embeddings");
            factor = (double) f.requireDimension("max_position_embeddings") / original;
        } else {
            original = f.requireDimension("max_position_embeddings");
            factor = s.requirePositiveDouble("factor");
        }
        double attention = s.has("attention_factor") ? s.requirePositiveDouble("attention_factor")
                : factor <= 1.0 ? 1.0 : Math.sqrt(1 + Math.log(factor) / Math.log(original));
        return new LongRope(shortFactor, longFactor, original, attention);
    }
}
