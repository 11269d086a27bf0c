package dev.steering.spark;

import dev.steering.experiment.ConditionRunner;
import dev.steering.experiment.StudyTask;

/** Registers {@link SparkConditionRunner} as the distributed engine of {@link ConditionRunner#distributed}. */
public final class SparkRunnerProvider implements ConditionRunner.Provider {
    /** For {@link java.util.ServiceLoader}. */
    public SparkRunnerProvider() {
    }

    @Override
    public ConditionRunner open(String master, StudyTask task) {
        SparkConditionRunner.Builder b = SparkConditionRunner.builder(task);
        if (master != null) {
            b.master(master);
        }
        return b.build();
    }
}
