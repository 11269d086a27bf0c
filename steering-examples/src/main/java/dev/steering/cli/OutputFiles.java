package dev.steering.cli;

import java.nio.file.Files;
import java.nio.file.Path;

/** Checks, before any work starts, that an output file or directory named on the command line can be written. */
final class OutputFiles {
    private OutputFiles() {
    }

    /**
     * Fails with a one-line input error if {@code file} cannot be created: its folder does not exist, is not a
     * folder or is not writable, or {@code file} is itself a directory.
     */
    static void checkWritable(Path file, String option) {
        Path abs = file.toAbsolutePath();
        Path dir = abs.getParent();
        if (Files.isDirectory(abs)) {
            throw new CliException(option + " " + file + ": is a directory, expected a file name");
        }
        if (dir == null || !Files.isDirectory(dir)) {
            throw new CliException(option + " " + file + ": cannot write there, the folder " + dir
                    + " does not exist");
        }
        if (!Files.isWritable(dir)) {
            throw new CliException(option + " " + file + ": cannot write there, the folder " + dir
                    + " is not writable (permission denied)");
        }
    }

    /**
     * Fails with a one-line input error if the directory {@code dir} cannot be created or written: the nearest
     * existing ancestor must be a writable directory.
     */
    static void checkWritableDir(Path dir, String what) {
        Path p = dir.toAbsolutePath();
        while (p != null && !Files.exists(p)) {
            p = p.getParent();
        }
        if (p == null) {
            throw new CliException(what + " " + dir + ": no part of the path exists");
        }
        if (!Files.isDirectory(p)) {
            throw new CliException(what + " " + dir + ": cannot create it, " + p + " is a file");
        }
        if (!Files.isWritable(p)) {
            throw new CliException(what + " " + dir + ": cannot write there, " + p
                    + " is not writable (permission denied)");
        }
    }
}
