package dev.steering.examples;

import dev.steering.cli.Main;

/**
 * Run the refusal study (baseline, layer × intervention × α sweep, sanity checks, results and report) with a
 * bundled config; the same as {@code java -jar steering.jar run-all --config smoke}.
 * <pre>java -cp steering.jar dev.steering.examples.RunSweep [CONFIG]</pre>
 */
public final class RunSweep {
    public static void main(String[] args) {
        System.exit(Main.run(new String[]{"run-all", "--config", args.length > 0 ? args[0] : "smoke"}, System.err));
    }
}
