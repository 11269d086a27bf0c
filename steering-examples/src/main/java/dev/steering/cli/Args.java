package dev.steering.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parsed {@code --key value} / {@code --flag} options of one command. Every option must be consumed by the
 * command: {@link #finish()} rejects the ones it did not ask for, so a typo is an error, not silently ignored.
 */
public final class Args {
    private final Map<String, List<String>> options = new LinkedHashMap<>();
    private final Set<String> flags;
    private final java.util.HashSet<String> used = new java.util.HashSet<>();

    /**
     * @param argv  the arguments after the verb
     * @param flags the option names that take no value (without {@code --})
     */
    public Args(List<String> argv, Set<String> flags) {
        this.flags = flags;
        for (int i = 0; i < argv.size(); i++) {
            String a = argv.get(i);
            if (!a.startsWith("--") || a.length() == 2) {
                throw new CliException("unexpected argument '" + a + "' (options start with --)");
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq > 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (flags.contains(key)) {
                value = "true";
            } else {
                if (i + 1 >= argv.size()) {
                    throw new CliException("option --" + key + " needs a value");
                }
                value = argv.get(++i);
            }
            options.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
    }

    /** The value of {@code --key}, or {@code null}. Given twice is an error. */
    public String get(String key) {
        used.add(key);
        List<String> v = options.get(key);
        if (v == null) {
            return null;
        }
        if (v.size() > 1) {
            throw new CliException("option --" + key + " given " + v.size() + " times");
        }
        return v.get(0);
    }

    /** All values of a repeatable option, in order. */
    public List<String> getAll(String key) {
        used.add(key);
        return options.getOrDefault(key, Collections.emptyList());
    }

    public String get(String key, String fallback) {
        String v = get(key);
        return v == null ? fallback : v;
    }

    public String require(String key) {
        String v = get(key);
        if (v == null) {
            throw new CliException("missing required option --" + key);
        }
        return v;
    }

    public boolean flag(String key) {
        if (!flags.contains(key)) {
            throw new IllegalArgumentException("not a declared flag: " + key);
        }
        return "true".equals(get(key));
    }

    public int getInt(String key, int fallback) {
        String v = get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException("option --" + key + " expects an integer, got '" + v + "'");
        }
    }

    public double getDouble(String key, double fallback) {
        String v = get(key);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw new CliException("option --" + key + " expects a number, got '" + v + "'");
        }
    }

    /** An input file that must exist. */
    public Path inputFile(String key) {
        Path p = Path.of(require(key));
        if (!Files.isRegularFile(p)) {
            throw new CliException("--" + key + ": no such file: " + p);
        }
        return p;
    }

    /** Comma-separated integers, e.g. {@code --tokens 2347,513,309}. */
    public int[] getInts(String key) {
        String v = get(key);
        if (v == null) {
            return null;
        }
        String[] parts = v.split(",");
        int[] out = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new CliException("--" + key + ": item " + (i + 1) + " is not an integer: '" + parts[i] + "'");
            }
        }
        return out;
    }

    /** Fails on any option the command never asked for. */
    public void finish() {
        for (String k : options.keySet()) {
            if (!used.contains(k)) {
                throw new CliException("unknown option --" + k);
            }
        }
    }
}
