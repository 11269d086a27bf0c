package dev.steering.hub;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Timeouts and retries of {@link HubClient}'s requests. A request whose connection cannot be opened within
 * {@code connectTimeout} counts as an unreachable hub (no retry: the cache fallback applies). Headers must arrive
 * within {@code readTimeout}, and a body that delivers no byte for {@code readTimeout} is abandoned. Answers 429,
 * 500, 502, 503 and 504, header timeouts, stalled or cut-off bodies and dropped connections are retried up to
 * {@code maxAttempts} attempts in all, waiting {@code initialBackoff} doubled after each attempt, or the server's
 * {@code Retry-After} when it gives one (seconds or an HTTP date). A {@code Retry-After} longer than
 * {@code maxRetryAfter} fails at once, saying how long the server asked to wait. Interrupted downloads resume
 * with a {@code Range} request.
 *
 * @param connectTimeout limit for opening a connection
 * @param readTimeout    limit for the headers to arrive and for each wait for body bytes
 * @param maxAttempts    attempts per request, at least 1
 * @param initialBackoff wait before the second attempt, doubled for each further one
 * @param maxRetryAfter  longest {@code Retry-After} honoured
 */
public record HttpPolicy(Duration connectTimeout, Duration readTimeout, int maxAttempts, Duration initialBackoff,
                         Duration maxRetryAfter) {
    /** Variable of huggingface_hub giving the read timeout in seconds. */
    public static final String TIMEOUT_VARIABLE = "HF_HUB_DOWNLOAD_TIMEOUT";

    /** Checks the values. */
    public HttpPolicy {
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(readTimeout, "readTimeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxRetryAfter, "maxRetryAfter");
        if (connectTimeout.isNegative() || connectTimeout.isZero() || readTimeout.isNegative() || readTimeout.isZero()) {
            throw new IllegalArgumentException("timeouts must be positive, found connect " + connectTimeout
                    + ", read " + readTimeout);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, found " + maxAttempts);
        }
        if (initialBackoff.isNegative() || maxRetryAfter.isNegative()) {
            throw new IllegalArgumentException("initialBackoff and maxRetryAfter must not be negative");
        }
    }

    /** @return connect 10 s, read 30 s, 5 attempts, backoff 1 s doubling, Retry-After up to 2 min */
    public static HttpPolicy defaults() {
        return new HttpPolicy(Duration.ofSeconds(10), Duration.ofSeconds(30), 5, Duration.ofSeconds(1),
                Duration.ofMinutes(2));
    }

    /**
     * @param env environment variables; {@value #TIMEOUT_VARIABLE} (seconds, as in huggingface_hub) sets the read timeout
     * @return {@link #defaults()} with the environment's read timeout
     * @throws HubException if the variable is not a positive number
     */
    public static HttpPolicy fromEnvironment(Map<String, String> env) {
        HttpPolicy d = defaults();
        Optional<String> timeout = Optional.ofNullable(env.get(TIMEOUT_VARIABLE)).map(String::strip).filter(s -> !s.isEmpty());
        if (timeout.isEmpty()) {
            return d;
        }
        double seconds;
        try {
            seconds = Double.parseDouble(timeout.get());
        } catch (NumberFormatException e) {
            seconds = Double.NaN;
        }
        if (!(seconds > 0) || seconds > 86_400) {
            throw new HubException(TIMEOUT_VARIABLE + "=" + timeout.get() + " is not a timeout: expected seconds, a number"
                    + " above 0 and at most 86400");
        }
        return d.withReadTimeout(Duration.ofMillis(Math.round(seconds * 1000)));
    }

    /** @return this policy with another read timeout */
    public HttpPolicy withReadTimeout(Duration newReadTimeout) {
        return new HttpPolicy(connectTimeout, newReadTimeout, maxAttempts, initialBackoff, maxRetryAfter);
    }

    /** @return this policy with other retry settings */
    public HttpPolicy withRetries(int newMaxAttempts, Duration newInitialBackoff) {
        return new HttpPolicy(connectTimeout, readTimeout, newMaxAttempts, newInitialBackoff, maxRetryAfter);
    }

    /** @return the wait before attempt {@code attempt + 1} without a Retry-After: initialBackoff * 2^(attempt-1) */
    Duration backoff(int attempt) {
        return initialBackoff.multipliedBy(1L << Math.min(attempt - 1, 20));
    }
}
