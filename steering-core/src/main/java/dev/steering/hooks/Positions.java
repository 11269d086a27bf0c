package dev.steering.hooks;

/**
 * Which token positions an intervention edits. Positions count real tokens of one sequence from 0 (padding is never
 * edited and never counted); the prompt occupies {@code 0 … promptLength−1}, generated tokens follow.
 *
 * <p>During prefill the model sees every prompt position at once; during each decode step it sees only the newest
 * position (the token generated last), whose activations produce the next token. An edit at a prompt position
 * persists through the KV cache: later tokens attend to the edited keys and values.
 * <ul>
 *   <li>{@link #all()}: every position, prompt and generated (the fixtures' and Arditi's convention).</li>
 *   <li>{@link #promptOnly()}: prefill positions only; decode steps run unedited (but attend to the edited cache).</li>
 *   <li>{@link #generatedOnly()}: positions ≥ promptLength, i.e. only decode steps after the first generated token
 *       is fed back; the first new token is predicted from an unedited prompt.</li>
 *   <li>{@link #from(int)}: positions ≥ p (CAA steers from the end of the instruction on).</li>
 *   <li>{@link #lastPromptToken()}: position promptLength−1 only (touched during prefill).</li>
 * </ul>
 */
public sealed interface Positions {

    /** Whether the token at {@code position} of a sequence whose prompt has {@code promptLength} tokens is edited. */
    boolean includes(int position, int promptLength);

    /** The name used in configs and file metadata. */
    String describe();

    /** Every position. */
    static Positions all() {
        return All.INSTANCE;
    }

    /** Prompt positions only. */
    static Positions promptOnly() {
        return PromptOnly.INSTANCE;
    }

    /** Generated positions only. */
    static Positions generatedOnly() {
        return GeneratedOnly.INSTANCE;
    }

    /** Positions {@code ≥ position}. */
    static Positions from(int position) {
        return new From(position);
    }

    /** The last prompt token only. */
    static Positions lastPromptToken() {
        return LastPromptToken.INSTANCE;
    }

    /** Parses {@code all}, {@code prompt}, {@code generated}, {@code last-prompt-token} or {@code from:N}. */
    static Positions parse(String s) {
        String t = s.trim().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        return switch (t) {
            case "all" -> all();
            case "prompt", "prompt-only" -> promptOnly();
            case "generated", "generated-only" -> generatedOnly();
            case "last-prompt-token" -> lastPromptToken();
            default -> {
                if (t.startsWith("from:")) {
                    try {
                        yield from(Integer.parseInt(t.substring(5)));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("bad position '" + s + "': from:N needs an integer");
                    }
                }
                throw new IllegalArgumentException("unknown positions '" + s
                        + "' (expected all, prompt, generated, last-prompt-token or from:N)");
            }
        };
    }

    /** Every position. */
    enum All implements Positions {
        INSTANCE;

        @Override
        public boolean includes(int position, int promptLength) {
            return true;
        }

        @Override
        public String describe() {
            return "all";
        }
    }

    /** Prompt positions. */
    enum PromptOnly implements Positions {
        INSTANCE;

        @Override
        public boolean includes(int position, int promptLength) {
            return position < promptLength;
        }

        @Override
        public String describe() {
            return "prompt";
        }
    }

    /** Generated positions. */
    enum GeneratedOnly implements Positions {
        INSTANCE;

        @Override
        public boolean includes(int position, int promptLength) {
            return position >= promptLength;
        }

        @Override
        public String describe() {
            return "generated";
        }
    }

    /** The last prompt token. */
    enum LastPromptToken implements Positions {
        INSTANCE;

        @Override
        public boolean includes(int position, int promptLength) {
            return position == promptLength - 1;
        }

        @Override
        public String describe() {
            return "last-prompt-token";
        }
    }

    /**
     * Positions from {@code start} on.
     *
     * @param start first edited position (≥ 0)
     */
    record From(int start) implements Positions {
        public From {
            if (start < 0) {
                throw new IllegalArgumentException("from:" + start + ": position must be ≥ 0");
            }
        }

        @Override
        public boolean includes(int position, int promptLength) {
            return position >= start;
        }

        @Override
        public String describe() {
            return "from:" + start;
        }
    }
}
