// 03 · analysis: load a finished run, redraw its figures and summary, and print its examples.
// Run: jshell --class-path steering-examples/target/steering.jar steering-examples/jshell/03-analysis.jsh
//      (-R-Dsteering.run=artifacts/runs/<run_id> to pick a run, -R-Dsteering.runs=DIR to look elsewhere; default: the newest completed run, i.e. the newest
//      folder under artifacts/runs that holds results.parquet; an interrupted run has none until it finishes)

// ---- parameters -------------------------------------------------------------------------------------------
String RUNS = System.getProperty("steering.runs", "artifacts/runs");   // where run-all writes its runs
String RUN = System.getProperty("steering.run", "");      // empty = the most recent completed run under RUNS
// -----------------------------------------------------------------------------------------------------------

import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.report.StudyReport;
import java.nio.file.*;
import java.util.*;

Optional<Path> completed(Path runs) throws java.io.IOException {
    if (!Files.isDirectory(runs)) {
        return Optional.empty();
    }
    try (var dirs = Files.list(runs)) {
        return dirs.filter(d -> Files.isRegularFile(d.resolve("results.parquet")))
                .max(Comparator.comparingLong(d -> d.resolve("results.parquet").toFile().lastModified()));
    }
}
Path run = RUN.isEmpty() ? completed(Path.of(RUNS)).orElse(null) : Path.of(RUN);
if (run == null || !Files.isRegularFile(run.resolve("results.parquet"))) {
    System.out.println(run == null ? "no completed run under " + RUNS + ": run 'java -jar steering-examples/target/steering.jar run-all' first"
            : run + " holds no results.parquet: the run did not finish (run-all resumes it)");
    System.exit(2);   // ends this jshell session
}
System.out.println("run: " + run);
List<Path> written = StudyReport.fromRunDir(run);
written.forEach(p -> System.out.println("  redrew " + p));

var rows = ParquetReader.read(run.resolve("results.parquet")).rows();
System.out.println(rows.size() + " result rows");
System.out.println("\n== summary.csv (first lines) ==");
Files.readAllLines(run.resolve("summary.csv")).stream().limit(6).forEach(System.out::println);
System.out.println("\n== reports/examples.md ==");
Files.readAllLines(run.resolve("reports/examples.md")).stream().limit(40).forEach(System.out::println);
/exit
