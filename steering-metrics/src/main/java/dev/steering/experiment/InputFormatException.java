package dev.steering.experiment;

import java.io.IOException;

/** A problem in an input file at a known line; the message is {@code "<file>:<line>: <problem>"}. */
public class InputFormatException extends IOException {
    private final String source;
    private final int line;
    private final String problem;

    /**
     * @param source  the file (as the user named it)
     * @param line    1-based line number
     * @param problem what is wrong, without the location
     */
    public InputFormatException(String source, int line, String problem) {
        this(source, line, problem, null);
    }

    /**
     * A problem with the file as a whole (not a line of it), such as a directory given as a file; {@link #line()} is 0.
     *
     * @param source  the file (as the user named it)
     * @param problem what is wrong
     */
    public InputFormatException(String source, String problem) {
        super(source + ": " + problem);
        this.source = source;
        this.line = 0;
        this.problem = problem;
    }

    /** As {@link #InputFormatException(String, int, String)}, with the underlying cause. */
    public InputFormatException(String source, int line, String problem, Throwable cause) {
        super(source + ":" + line + ": " + problem, cause);
        this.source = source;
        this.line = line;
        this.problem = problem;
    }

    /** The file. */
    public String source() {
        return source;
    }

    /** The 1-based line number, or 0 for a problem with the whole file. */
    public int line() {
        return line;
    }

    /** The problem without the location prefix. */
    public String problem() {
        return problem;
    }
}
