// 02 · sweep: run the refusal study (baseline, layers × interventions × α, sanity checks) and save its run directory.
// Run: jshell --class-path steering-examples/target/steering.jar steering-examples/jshell/02-sweep.jsh

// ---- parameters -------------------------------------------------------------------------------------------
String CONFIG = System.getProperty("steering.config", "default");     // bundled name or a YAML file
List<String> OVERRIDES = List.of(                                     // any section.key=value
    "experiment.output_dir=artifacts/runs");
// -----------------------------------------------------------------------------------------------------------

import dev.steering.cli.Main;

int code = Main.run(java.util.stream.Stream.concat(java.util.stream.Stream.of("run-all", "--config", CONFIG),
        OVERRIDES.stream().flatMap(o -> java.util.stream.Stream.of("--set", o))).toArray(String[]::new), System.err);
System.out.println(code == 0 ? "done: the run directory is printed above; open it with 03-analysis.jsh" : "failed with exit code " + code);
/exit
