package dev.steering.cli;

import dev.steering.report.StudyReport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code plots --run DIR}: redraws {@code summary.csv}, the figures and the Markdown reports of an existing study run
 * from its {@code results.parquet}, without generating anything (see {@link StudyReport#fromRunDir(Path)}).
 */
public final class PlotsCommand implements Command {

    @Override
    public String name() {
        return "plots";
    }

    @Override
    public String usage() {
        return """
                usage: steering plots --run DIR
                  --run  a study run directory holding results.parquet (and optionally sanity_template.json)
                Rewrites DIR/summary.csv, DIR/figures/*.png, DIR/reports/examples.md and DIR/reports/sanity.md
                (docs/pipeline-outputs.md). Nothing is generated; a missing or malformed results.parquet is an error.""";
    }

    @Override
    public int run(Args args) {
        Path run = Path.of(args.require("run"));
        args.finish();
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
