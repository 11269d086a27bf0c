package dev.steering.weights;

/**
 * Thrown when a checkpoint cannot be read or written. Every message names the file, the tensor or
 * field concerned, and what was expected versus what was found.
 */
public class WeightsException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message what went wrong, naming file, tensor/field, expected and found */
    public WeightsException(String message) {
        super(message);
    }

    /**
     * @param message what went wrong, naming file, tensor/field, expected and found
     * @param cause the underlying I/O or parse failure
     */
    public WeightsException(String message, Throwable cause) {
        super(message, cause);
    }
}
