package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;

/**
 * A way of finding a steering direction from a model's activations (contrastive prefixes, difference in means,
 * ...). Implementations are immutable and configured through their own fluent setters.
 */
public interface DirectionMethod {

    /**
     * Computes the direction read at {@code hook} with its statistics.
     *
     * @return the raw vector (metadata describes the method, its parameters and where it was read) and statistics
     * @throws IllegalArgumentException if the direction is undefined (e.g. its norm is ~0)
     */
    DirectionResult build(LanguageModel model, HookPoint hook);

    /** The direction alone. */
    default SteeringVector compute(LanguageModel model, HookPoint hook) {
        return build(model, hook).vector();
    }

    /** The method's name as written in configs and file metadata, e.g. {@code contrastive_prefix}. */
    String name();
}
