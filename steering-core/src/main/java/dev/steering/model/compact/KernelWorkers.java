package dev.steering.model.compact;

import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * The daemon threads that help the calling thread with a product ({@link CompactKernels}). A job offered is run by
 * every worker that sees it (each job claims its own shares, so a worker that misses one loses nothing). After a job
 * a worker lingers for {@value #LINGER_NANOS} ns, yielding its core to any other runnable thread, before it parks:
 * the products of a decode step come 20-300 µs apart, and waking a parked thread took 50-80 µs on the 2-core
 * Intel Xeon (more than a small product takes), so without lingering the second core joined most products late.
 */
final class KernelWorkers {
    static final long LINGER_NANOS = 300_000;
    private final AtomicReference<Runnable> current = new AtomicReference<>();
    private final Worker[] workers;

    KernelWorkers(int count, String name) {
        workers = new Worker[count];
        for (int i = 0; i < count; i++) {
            workers[i] = new Worker(name + "-" + i);
            workers[i].start();
        }
    }

    /** Offers {@code job} to the workers (waking those that are parked). */
    void offer(Runnable job) {
        current.set(job);
        for (Worker w : workers) {
            if (w.parked) {
                LockSupport.unpark(w);
            }
        }
    }

    /** Withdraws {@code job} once it is done, so that it (and the arrays it reaches) is not kept alive. */
    void withdraw(Runnable job) {
        current.compareAndSet(job, null);
    }

    private final class Worker extends Thread {
        volatile boolean parked;

        Worker(String name) {
            super(name);
            setDaemon(true);
        }

        @Override
        public void run() {
            Runnable last = null;
            long idleSince = System.nanoTime();
            while (true) {
                Runnable job = current.get();
                if (job != null && job != last) {
                    last = job;
                    job.run();
                    idleSince = System.nanoTime();
                } else if (System.nanoTime() - idleSince < LINGER_NANOS) {
                    Thread.yield();
                } else {
                    parked = true;
                    Runnable now = current.get();       // re-read after announcing: offer() sets, then reads parked
                    if (now == null || now == last) {
                        LockSupport.park(this);
                    }
                    parked = false;
                    idleSince = System.nanoTime();
                }
            }
        }
    }
}
