package dev.steering.spark;

import dev.steering.experiment.Condition;
import dev.steering.experiment.ResultStore;
import dev.steering.experiment.StudyTask;
import java.io.Serial;
import java.util.List;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One Spark task: runs its conditions (all of one model) with the executor's opened study, storing each part. */
final class RunConditions implements VoidFunction<List<Condition>> {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RunConditions.class);

    private final Broadcast<StudyTask> study;
    private final ResultStore store;
    private final String job;
    private final int modelsPerExecutor;

    RunConditions(Broadcast<StudyTask> study, ResultStore store, String job, int modelsPerExecutor) {
        this.study = study;
        this.store = store;
        this.job = job;
        this.modelsPerExecutor = modelsPerExecutor;
    }

    @Override
    public void call(List<Condition> conditions) {
        List<Condition> todo = conditions.stream().filter(c -> !store.has(c.key())).toList();
        TaskContext tc = TaskContext.get();
        LOG.info("task {} (stage {}, attempt {}): {} of {} conditions to run", tc.partitionId(), tc.stageId(),
                tc.attemptNumber(), todo.size(), conditions.size());
        if (todo.isEmpty()) {
            return;
        }
        StudyTask task = study.value();
        String group = task.group(todo.get(0));
        SessionPool.Lease lease = SessionPool.borrow(job, group, task::open, modelsPerExecutor);
        boolean ok = false;
        try {
            for (Condition c : todo) {
                store.runIfAbsent(c, lease.session()::run);
            }
            ok = true;
        } finally {
            lease.release(ok);
        }
    }
}
