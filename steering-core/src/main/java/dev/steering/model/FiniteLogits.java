package dev.steering.model;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;

/** The check that no logits leave a forward pass as NaN or infinity, which would be written or sampled silently. */
final class FiniteLogits {
    private FiniteLogits() {
    }

    /** @throws IllegalStateException if any logit is NaN or infinite (one reduction when all are finite) */
    static void require(INDArray logits) {
        if (Double.isFinite(logits.sumNumber().doubleValue())) {
            return;
        }
        boolean nan = BooleanIndexing.or(logits, Conditions.isNan());
        if (nan || BooleanIndexing.or(logits, Conditions.isInfinite())) {
            throw new IllegalStateException("the forward pass produced " + (nan ? "NaN" : "infinite") + " logits: the"
                    + " checkpoint's weights or its config (e.g. a norm epsilon) are broken, or an edit made the"
                    + " activations diverge");
        }
    }
}
