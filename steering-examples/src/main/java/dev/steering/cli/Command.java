package dev.steering.cli;

/** One verb of the {@code steering} command line ({@code trace}, {@code generate}, {@code score}, ...). */
public interface Command {

    /** The verb as typed on the command line. */
    String name();

    /** One-paragraph usage text: the synopsis line and what each option means. */
    String usage();

    /**
     * Runs the command.
     *
     * @return the process exit code (0 on success)
     * @throws CliException for bad arguments or input files: printed as one line, no stack trace
     */
    int run(Args args) throws Exception;
}
