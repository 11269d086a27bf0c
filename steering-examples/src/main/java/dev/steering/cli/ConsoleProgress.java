package dev.steering.cli;

import dev.steering.Progress;
import java.io.PrintStream;
import java.util.Locale;

/**
 * A one-line progress bar with rate and ETA on stderr ({@code \r}-redrawn on a terminal; on a pipe or in CI, one
 * line per 10%).
 */
final class ConsoleProgress {
    private ConsoleProgress() {
    }

    static Progress create() {
        PrintStream err = System.err;
        boolean tty = System.console() != null;
        return (label, total) -> new Progress.Task() {
            private final long t0 = System.nanoTime();
            private long done;
            private long lastDecile = -1;

            @Override
            public void step(long n) {
                done += n;
                long decile = total <= 0 ? 10 : done * 10 / total;
                if (tty) {
                    err.print("\r" + line());
                } else if (decile != lastDecile) {
                    err.println(line());
                }
                lastDecile = decile;
            }

            private String line() {
                double s = (System.nanoTime() - t0) / 1e9;
                int width = 24;
                int filled = total <= 0 ? width : (int) Math.min(width, done * width / total);
                String eta = done == 0 ? "?" : String.format(Locale.ROOT, "%.0fs", s * (total - done) / done);
                return String.format(Locale.ROOT, "%-28s [%s%s] %d/%d  %.0fs elapsed, ETA %s", label,
                        "#".repeat(filled), ".".repeat(width - filled), done, total, s, eta);
            }

            @Override
            public void close() {
                if (tty) {
                    err.println();
                }
            }
        };
    }
}
