package dev.steering.experiment;

import java.io.Serializable;
import java.util.List;
import java.util.Map;

/**
 * How another process rebuilds a study to run some of its conditions: serializable, so a distributed
 * {@link ConditionRunner} ships it to its executors. It carries what the study was built from (the effective config,
 * the prompts, the run directory), never a loaded model: {@link #open()} loads the model where it runs.
 */
public interface StudyTask extends Serializable {

    /** Builds the study in this process: loads its model (and classifier), ready to run conditions. */
    Session open();

    /**
     * The model a condition needs: conditions of one group share an opened {@link Session}, so an executor loads
     * each model once and reuses it for every condition of that model it runs.
     */
    default String group(Condition c) {
        return "model";
    }

    /** An opened study: runs conditions one at a time, then releases its model. */
    interface Session extends AutoCloseable {
        /** The rows of one condition of the plan (not stored: the runner stores them). */
        List<Map<String, Object>> run(Condition c);

        /** Releases the model and whatever else {@link #open()} loaded. */
        @Override
        void close();
    }
}
