package dev.steering.cli;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Optional;

/**
 * Says why a file operation failed, in words: Java's file-system exceptions carry only the path as their message
 * ({@code AccessDeniedException: /data/runs}), so the reason is read from the exception's type.
 */
final class IoErrors {
    private IoErrors() {
    }

    /** What failed and why: "FILE: permission denied", "FILE: no such file or directory", or the system's reason. */
    static String reason(IOException e) {
        if (e instanceof FileSystemException f) {
            return (f.getFile() == null ? "" : f.getFile() + ": ") + why(f);
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /** Why {@code f} happened, in words. */
    static String why(FileSystemException f) {
        return f.getReason() != null ? f.getReason().toLowerCase(java.util.Locale.ROOT)
                : f instanceof AccessDeniedException ? "permission denied"
                : f instanceof NoSuchFileException ? "no such file or directory"
                : f instanceof FileAlreadyExistsException ? "a file of that name is in the way"
                : f instanceof NotDirectoryException ? "not a directory"
                : f instanceof DirectoryNotEmptyException ? "the directory is not empty"
                : f.getClass().getSimpleName();
    }

    /** The first file-system exception among {@code t} and its causes. */
    static Optional<FileSystemException> find(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof FileSystemException f) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
