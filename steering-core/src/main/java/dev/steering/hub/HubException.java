package dev.steering.hub;

/**
 * Failure to resolve or download a model from the Hugging Face hub or the local cache.
 * Messages are written for the end user: they name the repository, revision and file concerned and
 * say how to fix the problem (token, offline mode, local directory, ...).
 */
public class HubException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** @param message a complete, user-facing explanation */
    public HubException(String message) {
        super(message);
    }

    /**
     * @param message a complete, user-facing explanation
     * @param cause the underlying I/O or protocol error
     */
    public HubException(String message, Throwable cause) {
        super(message, cause);
    }
}
