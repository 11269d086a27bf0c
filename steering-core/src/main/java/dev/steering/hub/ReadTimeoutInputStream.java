package dev.steering.hub;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * A response body whose every read must return within a timeout: when a read waits longer, the body is closed,
 * which ends the blocked read, and the read throws {@link Stalled}. (Java's HTTP client bounds only the wait for
 * the headers.)
 */
final class ReadTimeoutInputStream extends FilterInputStream {
    /** Thrown by a read that received nothing within the timeout. */
    static final class Stalled extends IOException {
        private static final long serialVersionUID = 1L;

        Stalled(Duration timeout) {
            super("no data received for " + timeout.toMillis() / 1000.0 + " s (read timeout)");
        }
    }

    private static final ScheduledThreadPoolExecutor WATCHDOG = new ScheduledThreadPoolExecutor(1, r -> {
        Thread t = new Thread(r, "hub-read-timeout");
        t.setDaemon(true);
        return t;
    });

    static {
        WATCHDOG.setRemoveOnCancelPolicy(true);
    }

    private final Duration timeout;
    private volatile boolean timedOut;

    ReadTimeoutInputStream(InputStream in, Duration timeout) {
        super(in);
        this.timeout = timeout;
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        ScheduledFuture<?> alarm = WATCHDOG.schedule(this::expire, timeout.toMillis(), TimeUnit.MILLISECONDS);
        try {
            int n = in.read(b, off, len);
            if (timedOut) {
                throw new Stalled(timeout);
            }
            return n;
        } catch (IOException e) {
            if (timedOut) {
                throw new Stalled(timeout);
            }
            throw e;
        } finally {
            alarm.cancel(false);
        }
    }

    private void expire() {
        timedOut = true;
        try {
            in.close();
        } catch (IOException e) {
            // the read that timed out reports the stall
        }
    }
}
