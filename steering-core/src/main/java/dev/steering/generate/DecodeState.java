package dev.steering.generate;

import dev.steering.model.ForwardInputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The per-row bookkeeping of batched, KV-cached decoding with left padding: which cached keys are real, each row's
 * prompt length and next position id. Builds the {@link ForwardInputs} of the prefill and of each decode step.
 */
final class DecodeState {
    private final int batch;
    private final int[] promptLengths;
    private final List<boolean[]> valid = new ArrayList<>();   // per cached position: which rows hold a real token
    private final long[] nextPosition;

    DecodeState(List<long[]> prompts) {
        this.batch = prompts.size();
        this.promptLengths = prompts.stream().mapToInt(p -> p.length).toArray();
        this.nextPosition = Arrays.stream(promptLengths).asLongStream().toArray();
    }

    /** The left-padded prompts, logits at each row's last position. */
    ForwardInputs prefill(List<long[]> prompts, long padId) {
        ForwardInputs in = ForwardInputs.leftPadded(prompts, padId);
        for (int i = 0; i < in.seqLength(); i++) {
            boolean[] col = new boolean[batch];
            for (int r = 0; r < batch; r++) {
                col[r] = in.keyValid()[r][i];
            }
            valid.add(col);
        }
        return in;
    }

    /** One new token per row (its last sampled token), appended after the cache. */
    ForwardInputs step(long[] lastTokens) {
        int past = valid.size();
        long[][] tok = new long[batch][1];
        long[][] pos = new long[batch][1];
        boolean[][] keys = new boolean[batch][past + 1];
        int[] rows = new int[batch];
        for (int r = 0; r < batch; r++) {
            tok[r][0] = lastTokens[r];
            pos[r][0] = nextPosition[r]++;
            for (int j = 0; j < past; j++) {
                keys[r][j] = valid.get(j)[r];
            }
            keys[r][past] = true;
            rows[r] = r;
        }
        boolean[] col = new boolean[batch];
        Arrays.fill(col, true);
        valid.add(col);
        return new ForwardInputs(tok, pos, keys, past, promptLengths, rows);
    }
}
