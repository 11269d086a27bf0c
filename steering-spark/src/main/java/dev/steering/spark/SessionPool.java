package dev.steering.spark;

import dev.steering.experiment.StudyTask;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The opened studies (loaded models) of one executor JVM, shared by its tasks: a task borrows an idle session of its
 * job and model or opens one; at most {@code capacity} sessions exist at once, so a task waits for a busy one rather
 * than load a model more than the executor can hold, and an idle session of another model (or an earlier job) is
 * closed to make room. A session runs one task at a time.
 */
final class SessionPool {
    private static final Logger LOG = LoggerFactory.getLogger(SessionPool.class);
    private static final Map<String, Deque<StudyTask.Session>> IDLE = new LinkedHashMap<>();
    private static int open;

    private SessionPool() {
    }

    /** A borrowed session: release it when the task ends. */
    record Lease(String key, StudyTask.Session session) {
        /** Returns the session to the pool, or closes it after a failure (its state is unknown). */
        void release(boolean ok) {
            SessionPool.release(this, ok);
        }
    }

    /** Borrows a session of {@code job}'s {@code group}, opening one when none is idle and there is room. */
    static Lease borrow(String job, String group, Supplier<StudyTask.Session> opener, int capacity) {
        String key = job + "/" + group;
        synchronized (SessionPool.class) {
            while (true) {
                Deque<StudyTask.Session> idle = IDLE.get(key);
                if (idle != null && !idle.isEmpty()) {
                    return new Lease(key, idle.pop());
                }
                if (open < capacity || (closeOneIdle() && open < capacity)) {
                    open++;
                    break;
                }
                try {
                    SessionPool.class.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for a model slot", e);
                }
            }
        }
        try {
            long t0 = System.nanoTime();
            StudyTask.Session s = opener.get();
            LOG.info("opened the study for model group '{}' in {} s", group, Math.round((System.nanoTime() - t0) / 1e9));
            return new Lease(key, s);
        } catch (RuntimeException | Error e) {
            synchronized (SessionPool.class) {
                open--;
                SessionPool.class.notifyAll();
            }
            throw e;
        }
    }

    private static void release(Lease lease, boolean ok) {
        synchronized (SessionPool.class) {
            if (ok) {
                IDLE.computeIfAbsent(lease.key(), k -> new ArrayDeque<>()).push(lease.session());
            } else {
                open--;
            }
            SessionPool.class.notifyAll();
        }
        if (!ok) {
            lease.session().close();
        }
    }

    /** Closes the idle sessions of a finished job (in local mode the driver is the executor). */
    static void closeJob(String job) {
        List<StudyTask.Session> closing = new ArrayList<>();
        synchronized (SessionPool.class) {
            for (Iterator<Map.Entry<String, Deque<StudyTask.Session>>> it = IDLE.entrySet().iterator(); it.hasNext(); ) {
                Map.Entry<String, Deque<StudyTask.Session>> e = it.next();
                if (e.getKey().startsWith(job + "/")) {
                    closing.addAll(e.getValue());
                    open -= e.getValue().size();
                    it.remove();
                }
            }
            SessionPool.class.notifyAll();
        }
        closing.forEach(StudyTask.Session::close);
    }

    /** Closes one idle session (of the key idle longest) to make room; call holding the lock. */
    private static boolean closeOneIdle() {
        for (Iterator<Map.Entry<String, Deque<StudyTask.Session>>> it = IDLE.entrySet().iterator(); it.hasNext(); ) {
            Deque<StudyTask.Session> d = it.next().getValue();
            if (!d.isEmpty()) {
                StudyTask.Session s = d.removeLast();
                if (d.isEmpty()) {
                    it.remove();
                }
                open--;
                s.close();
                return true;
            }
        }
        return false;
    }
}
