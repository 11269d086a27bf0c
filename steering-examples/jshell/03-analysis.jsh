// 03 · analysis: load a finished run, redraw its figures and summary, and print its examples.
// Run: jshell --class-path steering-examples/target/steering.jar steering-examples/jshell/03-analysis.jsh
//      (-R-Dsteering.run=artifacts/runs/<run_id> to pick a run; default: the newest under artifacts/runs)

// ---- parameters -------------------------------------------------------------------------------------------
String RUNS = "artifacts/runs";
String RUN = System.getProperty("steering.run", "");      // empty = the most recent run under RUNS
// -----------------------------------------------------------------------------------------------------------

import dev.steering.experiment.parquet.ParquetReader;
import dev.steering.report.StudyReport;
import java.nio.file.*;
import java.util.*;

Path newest = Files.list(Path.of(RUNS)).filter(Files::isDirectory).max(Comparator.comparingLong(p -> p.toFile().lastModified())).orElseThrow();
Path run = RUN.isEmpty() ? newest : Path.of(RUN);
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
