package dev.steering.experiment;

import dev.steering.Progress;
import dev.steering.SteeredModel;
import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.TokenizedPrompt;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every study shares: running a plan of conditions resumably, and generating with progress. */
final class StudyRunner {
    private static final Logger LOG = LoggerFactory.getLogger(StudyRunner.class);

    private StudyRunner() {
    }

    /**
     * Runs every condition of {@code plan} whose part is not in {@code store} yet, in this process, storing each as
     * soon as it finishes, then merges the parts into {@code results.parquet}.
     *
     * @return all rows, in plan order
     */
    static List<Map<String, Object>> runPlan(List<Condition> plan, ResultStore store, Progress progress,
                                             Function<Condition, List<Map<String, Object>>> run,
                                             Map<String, String> metadata) {
        return runPlan(plan, store, progress, run, metadata, Execution.inProcess());
    }

    /**
     * Runs every condition of {@code plan} whose part is not in {@code store} yet through the execution's runner,
     * stage after stage (each stage prepared here first), then merges the parts into {@code results.parquet}.
     *
     * @return all rows, in plan order
     */
    static List<Map<String, Object>> runPlan(List<Condition> plan, ResultStore store, Progress progress,
                                             Function<Condition, List<Map<String, Object>>> run,
                                             Map<String, String> metadata, Execution execution) {
        Set<String> done = store.completed();
        Map<Integer, List<Condition>> stages = new TreeMap<>();
        for (Condition c : plan) {
            if (!done.contains(c.key())) {
                stages.computeIfAbsent(execution.stage().applyAsInt(c), s -> new ArrayList<>()).add(c);
            }
        }
        long todo = stages.values().stream().mapToLong(List::size).sum();
        LOG.info("{} conditions, {} finished earlier, {} to run", plan.size(), plan.size() - todo, todo);
        try (Progress.Task task = progress.start("conditions", plan.size())) {
            task.step(plan.size() - todo);
            for (List<Condition> stage : stages.values()) {
                execution.prepare().accept(stage);
                execution.runner().run(List.of(new ConditionRunner.Batch(execution.task(), stage, run, store)), task);
            }
        }
        return store.consolidate(plan.stream().map(Condition::key).toList(), metadata);
    }

    /**
     * How a plan runs.
     *
     * @param runner  the engine ({@link ConditionRunner#inProcess()} or a distributed one)
     * @param task    how an executor rebuilds what runs the conditions, or null for the runner's own
     * @param stage   the stage of a condition: stages run in increasing order, each after the previous one finished
     *                (the toxicity study's vectors need its baseline's rows)
     * @param prepare builds here, before a stage's conditions run, what they share (their directions, written into
     *                the run directory), so no executor builds it again
     */
    record Execution(ConditionRunner runner, StudyTask task, ToIntFunction<Condition> stage,
                     Consumer<List<Condition>> prepare) {
        /** One stage, nothing to prepare, in this process: the study as it always ran. */
        static Execution inProcess() {
            return new Execution(ConditionRunner.inProcess(), null, c -> 0, todo -> { });
        }
    }

    /** The generation settings of a config, with a condition's seed. */
    static GenerationConfig generation(ExperimentConfig.Generation g, long seed) {
        return GenerationConfig.defaults().maxNewTokens(g.maxNewTokens()).temperature(g.temperature())
                .topP(g.topP()).seed(seed).batchSize(g.batchSize());
    }

    /** Completions of {@code prompts}, reporting progress under {@code label}. */
    static List<Completion> generate(SteeredModel m, List<TokenizedPrompt> prompts, GenerationConfig gen,
                                     Progress progress, String label) {
        try (Progress.Task t = progress.start(label, prompts.size())) {
            int[] last = {0};
            return m.generateTokens(prompts, gen, n -> {
                t.step(n - last[0]);
                last[0] = n;
            });
        }
    }

    /** A finite number, or null (a results-table cell without a value). */
    static Object finiteOrNull(double x) {
        return Double.isFinite(x) ? x : null;
    }

    /** Writes a text file through a temporary file and an atomic rename. */
    static void writeAtomically(Path file, String text) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), "." + file.getFileName(), ".tmp");
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
