package dev.steering.hooks;

import dev.steering.direction.SteeringVector;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;

/**
 * An edit of a hook's activations, compiled into the model's SameDiff graph. Implementations are immutable and
 * describe themselves; {@link Add} and {@link Ablate} are the built-in ones, and users may write their own.
 *
 * <p>{@code x} is 2-D {@code [rows, hidden]} (rows are batch × positions of the current call); {@code mask} is
 * {@code [rows, 1]} with 1 on the rows the edit applies to and 0 elsewhere (see {@link Positions}). An
 * implementation must leave masked-out rows unchanged.
 */
public interface Intervention {

    /**
     * Adds the edit to the graph.
     *
     * @param sd        the graph under construction
     * @param x         the hook's activations {@code [rows, hidden]}
     * @param mask      {@code [rows, 1]}: 1 where the edit applies
     * @param direction the steering vector (raw, with its norm)
     * @return the edited activations, same shape as {@code x}
     */
    SDVariable apply(SameDiff sd, SDVariable x, SDVariable mask, SteeringVector direction);

    /** A short description, e.g. {@code add(alpha=2.0)}, used in logs, file metadata and results. */
    String describe();

    /** The kind written in results tables ({@code add}, {@code ablate}, ...). */
    String kind();

    /** The scalar strength written in results tables (α or multiplier). */
    double strength();
}
