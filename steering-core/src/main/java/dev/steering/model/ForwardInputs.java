package dev.steering.model;

/**
 * The tokens of one forward call, already laid out as a rectangular batch. Row {@code r} holds
 * {@code tokens[r].length} tokens (the same for every row; shorter prompts are left-padded); {@code keyValid[r]}
 * covers the cached past and this call ({@code past + seq} entries) and is false on padding.
 *
 * @param tokens        token ids {@code [batch][seq]}
 * @param positions     position id of each token, counting real tokens from 0 {@code [batch][seq]}
 * @param keyValid      which keys are real tokens {@code [batch][past + seq]}
 * @param pastLength    number of cached positions before this call
 * @param promptLengths prompt length of each row (decides which positions edits touch)
 * @param logitRows     flattened row indices ({@code r·seq + i}) whose logits are wanted
 */
public record ForwardInputs(long[][] tokens, long[][] positions, boolean[][] keyValid, int pastLength,
                            int[] promptLengths, int[] logitRows) {

    public ForwardInputs {
        int b = tokens.length;
        if (b == 0 || positions.length != b || keyValid.length != b || promptLengths.length != b) {
            throw new IllegalArgumentException("inconsistent batch: " + b + " rows of tokens, " + positions.length
                    + " of positions, " + keyValid.length + " of masks, " + promptLengths.length + " prompt lengths");
        }
        int s = tokens[0].length;
        for (int r = 0; r < b; r++) {
            if (tokens[r].length != s || positions[r].length != s || keyValid[r].length != pastLength + s) {
                throw new IllegalArgumentException("row " + r + " is not " + s + " tokens wide");
            }
        }
        for (int row : logitRows) {
            if (row < 0 || row >= b * s) {
                throw new IllegalArgumentException("logit row " + row + " outside 0.." + (b * s - 1));
            }
        }
    }

    /**
     * One unpadded sequence with no past, logits at every position (what {@code trace} runs).
     */
    public static ForwardInputs single(long[] tokens) {
        int s = tokens.length;
        long[] pos = new long[s];
        boolean[] valid = new boolean[s];
        int[] rows = new int[s];
        for (int i = 0; i < s; i++) {
            pos[i] = i;
            valid[i] = true;
            rows[i] = i;
        }
        return new ForwardInputs(new long[][]{tokens.clone()}, new long[][]{pos}, new boolean[][]{valid}, 0,
                new int[]{s}, rows);
    }

    /**
     * Prompts of different lengths, left-padded with {@code padId}, no past; logits at each row's last position.
     */
    public static ForwardInputs leftPadded(java.util.List<long[]> prompts, long padId) {
        int b = prompts.size();
        int s = prompts.stream().mapToInt(p -> p.length).max().orElseThrow();
        long[][] tok = new long[b][s];
        long[][] pos = new long[b][s];
        boolean[][] valid = new boolean[b][s];
        int[] lens = new int[b];
        int[] rows = new int[b];
        for (int r = 0; r < b; r++) {
            long[] p = prompts.get(r);
            if (p.length == 0) {
                throw new IllegalArgumentException("prompt " + r + " has no tokens");
            }
            int pad = s - p.length;
            for (int i = 0; i < s; i++) {
                boolean real = i >= pad;
                tok[r][i] = real ? p[i - pad] : padId;
                pos[r][i] = real ? i - pad : 0;
                valid[r][i] = real;
            }
            lens[r] = p.length;
            rows[r] = r * s + s - 1;
        }
        return new ForwardInputs(tok, pos, valid, 0, lens, rows);
    }

    public int batchSize() {
        return tokens.length;
    }

    public int seqLength() {
        return tokens[0].length;
    }

    /** True if token {@code i} of row {@code r} in this call is a real token (not padding). */
    public boolean isReal(int r, int i) {
        return keyValid[r][pastLength + i];
    }
}
