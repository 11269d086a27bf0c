package dev.steering.experiment;

import dev.steering.Progress;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Function;

/**
 * Runs a study's unfinished conditions, each one's rows stored in the run's {@link ResultStore} as soon as it
 * finishes ({@link ResultStore#runIfAbsent}). {@link #inProcess()} runs them one after another here, with the model
 * the study loaded; a distributed runner (the {@code steering-spark} module) runs them as tasks of a cluster job,
 * each executor rebuilding the study from a {@link StudyTask} and writing its parts into the same run directory.
 * Either way the run directory ends up with the same parts, so reports, {@code plots} and resume do not care which.
 */
public interface ConditionRunner extends AutoCloseable {

    /**
     * Runs {@code todo} and stores every condition's rows in {@code store}; a condition whose part already exists is
     * skipped (a retried task, a resumed run).
     *
     * @param todo     the conditions to run, in plan order
     * @param here     runs one condition in this process (the study's loaded model)
     * @param store    where each finished condition's part goes
     * @param progress advanced by one per condition
     */
    void run(List<Condition> todo, Function<Condition, List<Map<String, Object>>> here, ResultStore store,
             Progress.Task progress);

    /**
     * Runs several plans as one job (a sweep's models or its (model, precision) pairs, each with its own run
     * directory and its own recipe), storing every condition's rows in its batch's store. The in-process runner runs
     * them one after another with their {@link Batch#here} functions; a distributed runner runs all their conditions
     * as tasks of one stage, each executor opening a batch's {@link Batch#task} once per model.
     *
     * @param batches  the plans, in order
     * @param progress advanced by one per condition
     */
    default void run(List<Batch> batches, Progress.Task progress) {
        for (Batch b : batches) {
            run(b.todo(), b.here(), b.store(), progress);
        }
    }

    /**
     * One plan of a multi-plan job.
     *
     * @param task  how an executor rebuilds what runs these conditions, or null for the runner's own task
     * @param todo  the conditions to run, in plan order
     * @param here  runs one condition in this process
     * @param store where the conditions' parts go
     */
    record Batch(StudyTask task, List<Condition> todo, Function<Condition, List<Map<String, Object>>> here,
                 ResultStore store) {
        /** Copies the plan. */
        public Batch {
            todo = List.copyOf(todo);
        }
    }

    /** Releases what the runner holds (a cluster connection); the in-process runner holds nothing. */
    @Override
    default void close() {
    }

    /** Runs every condition here, one after another, with the study's own model: the single-process engine. */
    static ConditionRunner inProcess() {
        return (todo, here, store, progress) -> {
            for (Condition c : todo) {
                store.runIfAbsent(c, here);
                progress.step(1);
            }
        };
    }

    /**
     * A runner that spreads the conditions over a cluster, found on the class path ({@link Provider}).
     *
     * @param master the cluster to run on (e.g. {@code local[2]}, {@code spark://host:7077}), or null for the one
     *               the launcher configured (spark-submit's {@code --master})
     * @param task   how an executor rebuilds the study, or null when every run names its {@link Batch#task}s
     * @throws IllegalStateException when no distributed runner is on the class path
     */
    static ConditionRunner distributed(String master, StudyTask task) {
        for (Provider p : ServiceLoader.load(Provider.class, Thread.currentThread().getContextClassLoader())) {
            return p.open(master, task);
        }
        throw new IllegalStateException("no distributed condition runner on the class path: run with the "
                + "steering-spark jar (docs/distributed.md)");
    }

    /**
     * True when this process was started by a cluster launcher that configured a master (spark-submit sets the
     * {@code spark.master} system property), so studies should run on it even without an explicit master.
     */
    static boolean launchedOnCluster() {
        return System.getProperty("spark.master") != null;
    }

    /** A distributed engine, registered as a {@link ServiceLoader} service of this interface. */
    interface Provider {
        /**
         * @param master the cluster, or null for the launcher's
         * @param task   how an executor rebuilds the study, or null when every run names its batches' tasks
         * @return a runner the caller closes
         */
        ConditionRunner open(String master, StudyTask task);
    }
}
