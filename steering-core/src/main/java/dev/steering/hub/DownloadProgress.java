package dev.steering.hub;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;

/**
 * Receives download progress so that a CLI can draw a progress bar. Called from the downloading
 * thread after every chunk, and once more when a file is complete ({@code done == total}).
 */
@FunctionalInterface
public interface DownloadProgress {

    /**
     * @param file the file being downloaded, as named in the repository (e.g. {@code model.safetensors})
     * @param done bytes received so far (including bytes of a resumed partial download)
     * @param total expected size in bytes, or {@code -1} if the server did not say
     */
    void update(String file, long done, long total);

    /** @return a callback that logs via SLF4J (INFO) roughly every 5% of each file */
    static DownloadProgress logging() {
        return new LoggingProgress();
    }

    /** @return a callback that ignores all updates */
    static DownloadProgress silent() {
        return (file, done, total) -> { };
    }
}

/** SLF4J implementation behind {@link DownloadProgress#logging()}. */
final class LoggingProgress implements DownloadProgress {
    private static final Logger log = LoggerFactory.getLogger(DownloadProgress.class);
    /** Log step for files of unknown size. */
    private static final long UNKNOWN_SIZE_STEP = 64L << 20;

    private final Map<String, Long> lastStep = new HashMap<>();

    @Override
    public synchronized void update(String file, long done, long total) {
        long step = total > 0 ? done * 20 / total : done / UNKNOWN_SIZE_STEP;
        Long last = lastStep.get(file);
        if (last != null && step <= last) {
            return;
        }
        lastStep.put(file, step);
        if (total > 0) {
            log.info("{}: {}% ({} / {})", file, done * 100 / total, human(done), human(total));
        } else {
            log.info("{}: {}", file, human(done));
        }
        if (total > 0 && done >= total) {
            lastStep.remove(file);
        }
    }

    static String human(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String units = "KMGTP";
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length() - 1) {
            v /= 1024;
            u++;
        }
        return String.format(java.util.Locale.ROOT, "%.1f %siB", v, units.charAt(u));
    }
}
