package dev.steering.cli;

import java.util.concurrent.Callable;

/**
 * One verb of the {@code steering} command line ({@code trace}, {@code generate}, {@code score}, ...): a picocli
 * {@link picocli.CommandLine.Command @Command} whose {@code @Option} fields are filled in before {@link #call()} runs.
 * Implementations are listed in {@code META-INF/services/dev.steering.cli.Command}; {@link Main} registers each as a
 * subcommand, so its help, option parsing and error reporting come from picocli.
 */
public interface Command extends Callable<Integer> {

    /**
     * Runs the command after its options have been parsed and converted.
     *
     * @return the process exit code (0 on success)
     * @throws CliException for bad arguments or input files: printed as one line, exit code 2
     * @throws Exception    for any other failure: printed as one line, exit code 1
     */
    @Override
    Integer call() throws Exception;
}
