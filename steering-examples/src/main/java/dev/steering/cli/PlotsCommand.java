package dev.steering.cli;

import dev.steering.report.StudyReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code plots --run DIR}: redraws {@code summary.csv}, the figures and the Markdown reports of an existing study run
 * from its {@code results.parquet}, without generating anything (see {@link StudyReport#fromRunDir(Path)}).
 */
@picocli.CommandLine.Command(name = "plots", mixinStandardHelpOptions = true,
        description = "Redraws the summary, figures and reports of a study run from its results.parquet.",
        footer = {"Rewrites DIR/summary.csv, DIR/figures/*.png, DIR/reports/examples.md and DIR/reports/sanity.md "
                + "(docs/pipeline-outputs.md). Nothing is generated; a missing or malformed results.parquet is an "
                + "error."})
public final class PlotsCommand implements Command {
    @Option(names = "--run", required = true, paramLabel = "DIR",
            description = "a study run directory holding results.parquet (and optionally sanity_template.json)")
    Path run;

    @Override
    public Integer call() {
        if (!Files.isDirectory(run)) {
            throw new CliException("--run: no such directory: " + run);
        }
        List<Path> written;
        try {
            written = StudyReport.fromRunDir(run);
        } catch (IOException e) {
            throw new CliException(e.getMessage(), e);
        }
        written.forEach(p -> System.err.println("wrote " + p));
        return 0;
    }
}
