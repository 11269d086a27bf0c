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
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What every study shares: running a plan of conditions resumably, and generating with progress. */
final class StudyRunner {
    private static final Logger LOG = LoggerFactory.getLogger(StudyRunner.class);

    private StudyRunner() {
    }

    /**
     * Runs every condition of {@code plan} whose part is not in {@code store} yet, storing each as soon as it
     * finishes, then merges the parts into {@code results.parquet}.
     *
     * @return all rows, in plan order
     */
    static List<Map<String, Object>> runPlan(List<Condition> plan, ResultStore store, Progress progress,
                                             Function<Condition, List<Map<String, Object>>> run,
                                             Map<String, String> metadata) {
        Set<String> done = store.completed();
        long todo = plan.stream().filter(c -> !done.contains(c.key())).count();
        LOG.info("{} conditions, {} finished earlier, {} to run", plan.size(), plan.size() - todo, todo);
        try (Progress.Task task = progress.start("conditions", plan.size())) {
            task.step(plan.size() - todo);
            for (Condition c : plan) {
                if (!done.contains(c.key())) {
                    store.append(c.key(), run.apply(c));
                    task.step(1);
                }
            }
        }
        return store.consolidate(plan.stream().map(Condition::key).toList(), metadata);
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
