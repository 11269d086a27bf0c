package dev.steering.model;

/**
 * The weights of a model will not fit: the Java heap this JVM may grow to, or the machine's memory, is smaller than
 * what {@link WeightBudget} estimates they take at the working precision. The message says how much is needed and
 * which launch flag gives it; nothing was allocated.
 */
public final class InsufficientMemoryException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message one line: what is needed, what there is, what to do */
    public InsufficientMemoryException(String message) {
        super(message);
    }
}
