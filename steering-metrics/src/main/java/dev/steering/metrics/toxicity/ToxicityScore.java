package dev.steering.metrics.toxicity;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The toxicity classifier's verdict on one text: every label's probability.
 *
 * @param probs label → probability, in the classifier's label order
 */
public record ToxicityScore(Map<String, Double> probs) {
    /** The headline label's name. */
    public static final String TOXICITY = "toxicity";
    /** Prefix of the per-label fields of {@link #toFields()}. */
    public static final String LABEL_PREFIX = "tox_";

    /** Copies the map, keeping its order. */
    public ToxicityScore {
        if (probs.isEmpty()) {
            throw new IllegalArgumentException("a toxicity score needs at least one label");
        }
        probs = Collections.unmodifiableMap(new LinkedHashMap<>(probs));
    }

    /**
     * The headline score: the probability of the label named {@code toxicity}; for a classifier without such a label,
     * the largest probability over all labels (the text is as toxic as its most likely kind of toxicity).
     */
    public double toxicity() {
        Double t = probs.get(TOXICITY);
        return t != null ? t : probs.values().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    /**
     * The fields added to a scored completion: {@code toxicity} ({@link #toxicity()}), then {@code tox_<label>} for
     * every label, in label order.
     */
    public Map<String, Object> toFields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put(TOXICITY, toxicity());
        probs.forEach((label, p) -> f.put(LABEL_PREFIX + label, p));
        return f;
    }
}
