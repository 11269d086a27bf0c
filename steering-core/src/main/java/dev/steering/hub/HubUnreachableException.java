package dev.steering.hub;

/**
 * The hub endpoint could not be contacted at all (connection refused, unknown host, connect timeout).
 * Callers may fall back to whatever is already in the cache, as huggingface_hub does.
 */
public class HubUnreachableException extends HubException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message a complete, user-facing explanation
     * @param cause the connection error
     */
    public HubUnreachableException(String message, Throwable cause) {
        super(message, cause);
    }
}
