package dev.steering.spark;

import dev.steering.experiment.Condition;
import dev.steering.experiment.StudyTask;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** How conditions become tasks, and how an executor shares its opened studies. */
class SparkConditionRunnerTest {

    /** Conditions of two models, alternating in the plan. */
    private static final StudyTask TWO_MODELS = new StudyTask() {
        @Override
        public Session open() {
            throw new UnsupportedOperationException();
        }

        @Override
        public String group(Condition c) {
            return c.index() % 2 == 0 ? "a" : "b";
        }
    };

    @Test
    void tasksHoldConditionsOfOneModelInPlanOrder() {
        List<Condition> plan = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            plan.add(new Condition(i, 1, "add", i, null, 0, 0));
        }
        List<List<Integer>> tasks = SparkConditionRunner.tasks(plan, TWO_MODELS, 3).stream()
                .map(t -> t.stream().map(Condition::index).toList()).toList();
        assertEquals(List.of(List.of(0, 2, 4), List.of(6), List.of(1, 3, 5)), tasks);
        assertEquals(7, SparkConditionRunner.tasks(plan, TWO_MODELS, 1).size());
    }

    @Test
    void anExecutorReusesAnOpenedStudyAndHoldsNoMoreThanItsCapacity() {
        AtomicInteger opened = new AtomicInteger();
        AtomicInteger closed = new AtomicInteger();
        java.util.function.Supplier<StudyTask.Session> open = () -> {
            opened.incrementAndGet();
            return new StudyTask.Session() {
                @Override
                public List<Map<String, Object>> run(Condition c) {
                    return List.of();
                }

                @Override
                public void close() {
                    closed.incrementAndGet();
                }
            };
        };
        SessionPool.Lease a = SessionPool.borrow("job", "a", open, 1);
        a.release(true);
        SessionPool.Lease again = SessionPool.borrow("job", "a", open, 1);
        assertEquals(a.session(), again.session(), "the same model, not loaded twice");
        again.release(true);
        SessionPool.Lease b = SessionPool.borrow("job", "b", open, 1);
        assertEquals(2, opened.get());
        assertEquals(1, closed.get(), "model a was closed to make room for model b");
        b.release(false);
        assertEquals(2, closed.get(), "a session whose task failed is closed, not reused");
        SessionPool.Lease c = SessionPool.borrow("job", "c", open, 1);
        c.release(true);
        SessionPool.closeJob("job");
        assertEquals(3, closed.get());
    }

    @Test
    void aMasterIsRequired() {
        String msg = assertThrows(IllegalArgumentException.class,
                () -> SparkConditionRunner.builder(TWO_MODELS).build()).getMessage();
        assertTrue(msg.contains("--spark-master"), msg);
    }
}
