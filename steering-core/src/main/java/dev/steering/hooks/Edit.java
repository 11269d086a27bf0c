package dev.steering.hooks;

import dev.steering.direction.SteeringVector;

/**
 * One intervention bound to a hook point, a steering vector and the positions it edits.
 *
 * @param hook         where
 * @param intervention what
 * @param vector       along which direction
 * @param positions    at which tokens
 */
public record Edit(HookPoint hook, Intervention intervention, SteeringVector vector, Positions positions) {

    /** An edit at every position. */
    public static Edit everywhere(HookPoint hook, Intervention intervention, SteeringVector vector) {
        return new Edit(hook, intervention, vector, Positions.all());
    }

    /** {@code add(alpha=2.0) at blocks.8.hook_resid_post [all]}. */
    public String describe() {
        return intervention.describe() + " at " + hook.name() + " [" + positions.describe() + "]";
    }
}
