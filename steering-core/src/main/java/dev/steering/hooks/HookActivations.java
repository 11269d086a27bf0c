package dev.steering.hooks;

/**
 * The activations at one hook point during one forward call, as an {@link ActivationEdit} sees them: {@code rows}
 * rows of {@code width} floats (rows are batch × positions of the call, row-major), and which rows the edit's
 * {@link Positions} select. Reads and writes are bounds-checked; an edit must write only selected rows.
 */
public interface HookActivations {

    /** Number of rows (batch × positions of this call). */
    int rows();

    /** Floats per row (the hook's width, e.g. the hidden size). */
    int width();

    /** Whether the edit applies to {@code row} (a real token at a position the edit's {@link Positions} include). */
    boolean selected(int row);

    /** Copies row {@code row} into {@code dst[0 … width−1]}. */
    void read(int row, float[] dst);

    /** Replaces row {@code row} by {@code src[0 … width−1]}. */
    void write(int row, float[] src);
}
