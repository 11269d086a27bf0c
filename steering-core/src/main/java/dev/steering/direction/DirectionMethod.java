package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;

/**
 * A way of finding a steering direction from a model's activations (contrastive prefixes, difference in means,
 * ...). Implementations are immutable and configured through their own builders.
 */
public interface DirectionMethod {

    /**
     * Computes the direction read at {@code hook} (a residual hook of one layer).
     *
     * @return the raw vector with metadata describing the method, its parameters and where it was read
     * @throws IllegalArgumentException if the direction is undefined (e.g. its norm is ~0)
     */
    SteeringVector compute(LanguageModel model, HookPoint hook);

    /** The method's name as written in configs and file metadata, e.g. {@code contrastive_prefix}. */
    String name();
}
