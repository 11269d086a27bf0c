package dev.steering;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where long loops report how far they are. The library logs through SLF4J by default; command-line programs
 * install a console progress bar with an ETA.
 */
public interface Progress {

    /** Starts a task of {@code total} units (prompts, conditions, steps). */
    Task start(String label, long total);

    /** A running task. */
    interface Task extends AutoCloseable {
        /** {@code n} more units are done. */
        void step(long n);

        /** The task is finished (or abandoned). */
        @Override
        void close();
    }

    /** Logs at INFO about every 10% of each task. */
    static Progress logging() {
        return logging(0);
    }

    /**
     * Logs at INFO about every 10% of each task once it has run {@code quietMillis} (shorter tasks log nothing): for
     * work that is usually quick but can take minutes, such as loading a model.
     */
    static Progress logging(long quietMillis) {
        Logger log = LoggerFactory.getLogger(Progress.class);
        return (label, total) -> new Task() {
            private final long t0 = System.nanoTime();
            private long done;
            private long lastDecile = -1;

            @Override
            public void step(long n) {
                done += n;
                long decile = total <= 0 ? 0 : done * 10 / total;
                double s = (System.nanoTime() - t0) / 1e9;
                if (decile != lastDecile && s * 1000 >= quietMillis) {
                    lastDecile = decile;
                    double eta = done == 0 ? Double.NaN : s * (total - done) / done;
                    log.info("{}: {}/{} ({} %, {} s, ETA {} s)", label, done, total, decile * 10, Math.round(s),
                            Math.round(eta));
                }
            }

            @Override
            public void close() {
            }
        };
    }

    /** Reports nothing. */
    static Progress silent() {
        return (label, total) -> new Task() {
            @Override
            public void step(long n) {
            }

            @Override
            public void close() {
            }
        };
    }
}
