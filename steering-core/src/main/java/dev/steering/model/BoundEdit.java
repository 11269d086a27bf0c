package dev.steering.model;

import dev.steering.hooks.ActivationEdit;
import dev.steering.hooks.Edit;

/**
 * An edit with its intervention bound to its vector ({@link dev.steering.hooks.Intervention#bind}), as an engine
 * applies it. Bound once per {@link ForwardGraph} view, not per call.
 *
 * @param edit  what, where and at which positions
 * @param apply the bound function
 */
public record BoundEdit(Edit edit, ActivationEdit apply) {

    /** Binds {@code edit}'s intervention to its vector. */
    public static BoundEdit of(Edit edit) {
        return new BoundEdit(edit, edit.intervention().bind(edit.vector()));
    }
}
