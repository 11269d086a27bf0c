package dev.steering;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Settings that must reach ND4J's native library before it loads, made from inside the JVM so that no launch
 * needs an environment variable or flag. libnd4j's OpenMP threads busy-wait between parallel regions unless
 * {@code OMP_WAIT_POLICY=PASSIVE}, and on a small machine they then compete with OpenBLAS's threads and the Java
 * kernels (a plain {@code java -jar} run was up to 13x slower under load). The variable is read once, when the
 * OpenMP runtime loads with libnd4j; a JVM cannot change its own environment through Java, so this calls libc's
 * {@code setenv} (through JavaCPP's {@code systems} preset) before that happens.
 *
 * <p>{@link #prepare()} runs from the static initialisers of {@link Steering} and of the model classes, i.e. before
 * steering touches ND4J. Code that uses ND4J itself before anything of steering should call it first. A value the
 * user set in the environment is kept ({@code OMP_WAIT_POLICY=ACTIVE} still works).
 */
public final class NativeRuntime {
    private static final Logger LOG = LoggerFactory.getLogger(NativeRuntime.class);
    private static volatile boolean prepared;

    private NativeRuntime() {
    }

    /** Sets {@code OMP_WAIT_POLICY=PASSIVE} in the process environment unless set already. Idempotent. */
    public static synchronized void prepare() {
        if (prepared) {
            return;
        }
        prepared = true;
        if (System.getenv("OMP_WAIT_POLICY") != null) {
            return;
        }
        try {
            int rc = org.bytedeco.systems.global.linux.setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
            LOG.debug("OMP_WAIT_POLICY=PASSIVE set in the process environment (setenv returned {})", rc);
        } catch (LinkageError | RuntimeException e) {
            // not Linux, or the preset's native library is missing: run with OpenMP's default
            LOG.debug("could not set OMP_WAIT_POLICY before libnd4j loads: {}", e.toString());
        }
    }

    /** The OpenMP wait policy the process environment holds now (what libnd4j reads when it loads). */
    public static String ompWaitPolicy() {
        try {
            try (org.bytedeco.javacpp.BytePointer name = new org.bytedeco.javacpp.BytePointer("OMP_WAIT_POLICY")) {
                org.bytedeco.javacpp.BytePointer v = org.bytedeco.systems.global.linux.getenv(name);
                return v == null || v.isNull() ? "unset" : v.getString();
            }
        } catch (LinkageError | RuntimeException e) {
            String v = System.getenv("OMP_WAIT_POLICY");
            return v == null ? "unset" : v;
        }
    }
}
