package dev.steering.spark;

import dev.steering.Progress;
import dev.steering.experiment.Condition;
import dev.steering.experiment.ConditionRunner;
import dev.steering.experiment.ResultStore;
import dev.steering.experiment.SharedRun;
import dev.steering.experiment.StudyTask;
import java.io.IOException;
import java.io.Serial;
import java.io.UncheckedIOException;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a study's conditions as one Spark job per stage: the conditions (of one plan, or of several, e.g. a quantization
 * study's (model, precision) pairs, each with its own {@link StudyTask} and run directory) are grouped by the model
 * they need ({@link StudyTask#group}) and cut into tasks of {@link Builder#conditionsPerTask} conditions; the
 * {@link StudyTask}s are broadcast; each executor opens a study once per model and reuses it for every condition of
 * that model it is given ({@link SessionPool}), and writes each condition's part itself into the run directory
 * (a path every executor and the driver see, or the working copies of a {@link SharedRun} on HDFS or S3: the driver
 * pushes its copy before the stage and pulls the executors' parts after it). A retried, speculative or resubmitted
 * task skips the conditions whose part exists, and parts are written atomically, so a row is never lost or doubled.
 *
 * <p>Settings (spark-submit {@code --conf}, or the builder): {@value #CONDITIONS_PER_TASK} (default 1) and
 * {@value #MODELS_PER_EXECUTOR} (default 1: how many opened studies, i.e. loaded models, one executor JVM keeps).
 */
public final class SparkConditionRunner implements ConditionRunner {
    /** Conditions per Spark task. */
    public static final String CONDITIONS_PER_TASK = "spark.steering.conditionsPerTask";
    /** Loaded models one executor keeps. */
    public static final String MODELS_PER_EXECUTOR = "spark.steering.modelsPerExecutor";

    private static final Logger LOG = LoggerFactory.getLogger(SparkConditionRunner.class);

    private final StudyTask task;
    private final SparkConf conf;
    private final int conditionsPerTask;
    private final int modelsPerExecutor;
    private JavaSparkContext context;

    private SparkConditionRunner(Builder b) {
        this.task = b.task;
        this.conf = b.conf;
        this.conditionsPerTask = b.conditionsPerTask > 0 ? b.conditionsPerTask : conf.getInt(CONDITIONS_PER_TASK, 1);
        this.modelsPerExecutor = b.modelsPerExecutor > 0 ? b.modelsPerExecutor : conf.getInt(MODELS_PER_EXECUTOR, 1);
        if (conditionsPerTask < 1 || modelsPerExecutor < 1) {
            throw new IllegalArgumentException(CONDITIONS_PER_TASK + " and " + MODELS_PER_EXECUTOR
                    + " must be at least 1, got " + conditionsPerTask + " and " + modelsPerExecutor);
        }
    }

    /**
     * A runner for {@code task}'s study, or with null a runner whose every run names its tasks
     * ({@link ConditionRunner.Batch#task}: a sweep's models, the quantization study's pairs).
     */
    public static Builder builder(StudyTask task) {
        return new Builder(task);
    }

    @Override
    public void run(List<Condition> todo, Function<Condition, List<Map<String, Object>>> here, ResultStore store,
                    Progress.Task progress) {
        run(List.of(new Batch(null, todo, here, store)), progress);
    }

    /**
     * Runs every batch's conditions as the tasks of one Spark stage: each task holds conditions of one batch and one
     * {@link StudyTask#group} (so one model), at most {@link Builder#conditionsPerTask}.
     */
    @Override
    public void run(List<Batch> batches, Progress.Task progress) {
        List<StudyTask> recipes = new ArrayList<>();
        List<ResultStore> stores = new ArrayList<>();
        List<Chunk> chunks = new ArrayList<>();
        for (Batch b : batches) {
            StudyTask recipe = b.task() != null ? b.task() : task;
            if (recipe == null) {
                throw new IllegalStateException("no StudyTask for the conditions of " + b.store().runDir()
                        + ": the runner was opened without one and the batch names none");
            }
            for (List<Condition> t : tasks(b.todo(), recipe, conditionsPerTask)) {
                chunks.add(new Chunk(recipes.size(), t));
            }
            recipes.add(recipe);
            stores.add(b.store());
        }
        int conditions = batches.stream().mapToInt(b -> b.todo().size()).sum();
        if (conditions == 0) {
            return;
        }
        Set<SharedRun> shared = new LinkedHashSet<>();
        stores.forEach(s -> s.shared().ifPresent(shared::add));
        for (SharedRun r : shared) {
            sync(r, true); // what the stage's conditions read: directions, the driver's config and prompts
        }
        JavaSparkContext sc = context();
        String job = UUID.randomUUID().toString();
        Broadcast<List<StudyTask>> study = sc.broadcast(recipes);
        Condition first = chunks.get(0).conditions().get(0);
        sc.setJobDescription("steering: " + conditions + " conditions (" + first.key() + " ...) into "
                + stores.get(0).runDir() + (stores.size() > 1 ? " and " + (stores.size() - 1) + " more" : ""));
        LOG.info("Spark job: {} conditions in {} tasks on {} (Spark UI: {})", conditions, chunks.size(), sc.master(),
                sc.sc().uiWebUrl().getOrElse(() -> "disabled"));
        try {
            sc.parallelize(chunks, chunks.size()).foreach(new RunConditions(study, stores, job, modelsPerExecutor));
        } finally {
            study.destroy();
            SessionPool.closeJob(job);
        }
        for (SharedRun r : shared) {
            sync(r, false); // the parts (and directions) the executors stored
        }
        progress.step(conditions);
        List<String> missing = new ArrayList<>();
        for (Batch b : batches) {
            b.todo().stream().filter(c -> !b.store().has(c.key()))
                    .forEach(c -> missing.add(b.store().runDir().resolve("parts").resolve(c.key()).toString()));
        }
        if (!missing.isEmpty()) {
            throw new IllegalStateException("the Spark job finished without the parts " + missing + (shared.isEmpty()
                    ? ": is the run directory one every executor and the driver share?"
                    : " (working copy of " + shared.stream().map(SharedRun::uri).toList() + ")"));
        }
    }

    /** Pushes the driver's working copy to its shared run directory ({@code push}), or pulls it. */
    private static void sync(SharedRun run, boolean push) {
        try {
            if (push) {
                run.push(true);
            } else {
                run.pull();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot " + (push ? "upload the run directory to " : "download ")
                    + run.uri() + ": " + e.getMessage(), e);
        }
    }

    /** One Spark task's work: conditions of one batch (its index in the job's recipes and stores) and one model. */
    record Chunk(int batch, List<Condition> conditions) implements Serializable {
        @Serial
        private static final long serialVersionUID = 1L;

        Chunk {
            conditions = new ArrayList<>(conditions);
        }
    }

    /** The conditions cut into tasks: each task holds conditions of one group, at most {@code size}, in plan order. */
    static List<List<Condition>> tasks(List<Condition> todo, StudyTask task, int size) {
        Map<String, List<Condition>> groups = new LinkedHashMap<>();
        for (Condition c : todo) {
            groups.computeIfAbsent(task.group(c), g -> new ArrayList<>()).add(c);
        }
        List<List<Condition>> out = new ArrayList<>();
        for (List<Condition> g : groups.values()) {
            for (int i = 0; i < g.size(); i += size) {
                out.add(new ArrayList<>(g.subList(i, Math.min(g.size(), i + size))));
            }
        }
        return out;
    }

    private JavaSparkContext context() {
        if (context == null) {
            context = new JavaSparkContext(conf);
        }
        return context;
    }

    /** Stops the Spark context this runner started (and with it a local-mode job's executors). */
    @Override
    public void close() {
        if (context != null) {
            context.stop();
            context = null;
        }
    }

    /** Settings of a {@link SparkConditionRunner}. Not thread-safe; the runner it builds is used by one thread. */
    public static final class Builder {
        private final StudyTask task;
        private final SparkConf conf = new SparkConf().setIfMissing("spark.app.name", "steering run-all");
        private int conditionsPerTask;
        private int modelsPerExecutor;

        private Builder(StudyTask task) {
            this.task = task;
        }

        /** The master ({@code local[2]}, {@code local[2,3]}, {@code spark://host:7077}, {@code k8s://...}); default spark-submit's. */
        public Builder master(String master) {
            conf.setMaster(master);
            return this;
        }

        /** Any other Spark setting. */
        public Builder set(String key, String value) {
            conf.set(key, value);
            return this;
        }

        /** Conditions per Spark task (default {@value SparkConditionRunner#CONDITIONS_PER_TASK} or 1). */
        public Builder conditionsPerTask(int n) {
            this.conditionsPerTask = n;
            return this;
        }

        /** Loaded models one executor keeps (default {@value SparkConditionRunner#MODELS_PER_EXECUTOR} or 1). */
        public Builder modelsPerExecutor(int n) {
            this.modelsPerExecutor = n;
            return this;
        }

        /**
         * @throws IllegalArgumentException when neither {@link #master} nor spark-submit gave a master
         */
        public SparkConditionRunner build() {
            if (!conf.contains("spark.master")) {
                throw new IllegalArgumentException("no Spark master: pass --spark-master (e.g. local[2]) or run "
                        + "under spark-submit --master ...");
            }
            return new SparkConditionRunner(this);
        }
    }
}
