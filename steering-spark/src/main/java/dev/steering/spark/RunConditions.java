package dev.steering.spark;

import dev.steering.experiment.Condition;
import dev.steering.experiment.ResultStore;
import dev.steering.experiment.SharedRun;
import dev.steering.experiment.StudyTask;
import java.io.IOException;
import java.io.Serial;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.VoidFunction;
import org.apache.spark.broadcast.Broadcast;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Spark task: runs its conditions (all of one batch and one model) with the executor's opened study, storing
 * each part in its batch's run directory. A run directory on shared storage ({@link SharedRun}) is pulled into the
 * executor's working copy first and what the task added is pushed after it (each part as soon as it is stored).
 */
final class RunConditions implements VoidFunction<SparkConditionRunner.Chunk> {
    @Serial
    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(RunConditions.class);

    private final Broadcast<List<StudyTask>> studies;
    private final List<ResultStore> stores;
    private final String job;
    private final int modelsPerExecutor;

    RunConditions(Broadcast<List<StudyTask>> studies, List<ResultStore> stores, String job, int modelsPerExecutor) {
        this.studies = studies;
        this.stores = new ArrayList<>(stores);
        this.job = job;
        this.modelsPerExecutor = modelsPerExecutor;
    }

    @Override
    public void call(SparkConditionRunner.Chunk chunk) throws IOException {
        ResultStore store = stores.get(chunk.batch());
        Optional<SharedRun> shared = store.shared();
        if (shared.isPresent()) {
            // the directions the driver wrote, and the parts an earlier attempt stored
            shared.get().pull();
        }
        List<Condition> todo = chunk.conditions().stream().filter(c -> !store.has(c.key())).toList();
        TaskContext tc = TaskContext.get();
        LOG.info("task {} (stage {}, attempt {}): {} of {} conditions to run in {}", tc.partitionId(), tc.stageId(),
                tc.attemptNumber(), todo.size(), chunk.conditions().size(), store.runDir());
        if (todo.isEmpty()) {
            return;
        }
        StudyTask task = studies.value().get(chunk.batch());
        String group = chunk.batch() + "/" + task.group(todo.get(0));
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
        if (shared.isPresent()) {
            // what the study wrote besides its parts (the quantization study's own directions)
            shared.get().push(false);
        }
    }
}
