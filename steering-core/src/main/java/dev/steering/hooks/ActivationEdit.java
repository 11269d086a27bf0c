package dev.steering.hooks;

/**
 * An intervention bound to its direction, ready to edit a hook's activations in place (TransformerLens's hook
 * function). Made once per forward call by {@link Intervention#bind}; it may keep scratch arrays, since the engine
 * calls it from one thread at a time.
 */
@FunctionalInterface
public interface ActivationEdit {

    /** Edits the selected rows of {@code x} in place. */
    void apply(HookActivations x);
}
