package dev.steering.generate;

import dev.steering.hooks.Edit;
import dev.steering.model.ForwardInputs;
import dev.steering.model.ForwardGraph;
import dev.steering.model.LanguageModel;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Teacher-forced next-token logits: the logits a model (under a set of edits) gives along fixed sequences
 * {@code prompt ++ continuation}, without sampling. Comparing the same sequences with and without edits measures
 * what an edit does to the next-token distribution (the KL side effect of a steering study).
 *
 * <p>For a sequence whose prompt has {@code p} tokens and continuation {@code c}, row {@code j} ({@code 0 ≤ j ≤ c})
 * of the result is the distribution predicting continuation token {@code j}, i.e. the logits at position
 * {@code p − 1 + j}: row 0 is the first generated position, row {@code c} follows the whole continuation. Edits see
 * the prompt length {@code p}, so {@link dev.steering.hooks.Positions} behave as during generation. Sequences are
 * left-padded in batches (padding changes nothing, as in {@link Generator}). Immutable and thread-safe.
 */
public final class TeacherForcing {
    private final LanguageModel model;
    private final int batchSize;

    private TeacherForcing(LanguageModel model, int batchSize) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive, got " + batchSize);
        }
        this.model = model;
        this.batchSize = batchSize;
    }

    /** Teacher forcing on {@code model}, {@code batchSize} sequences per forward call. */
    public static TeacherForcing of(LanguageModel model, int batchSize) {
        return new TeacherForcing(model, batchSize);
    }

    /**
     * The logits along each {@code prompts[i] ++ continuations[i]} under {@code edits}.
     *
     * @param edits         the edits (empty: the unedited model)
     * @param prompts       prompt token ids (each non-empty)
     * @param continuations continuation token ids, one per prompt (may be empty)
     * @return per sequence, {@code [continuation.length + 1][vocab]} logits (see the class comment)
     */
    public List<float[][]> logits(List<Edit> edits, List<long[]> prompts, List<long[]> continuations) {
        if (prompts.size() != continuations.size()) {
            throw new IllegalArgumentException(prompts.size() + " prompts but " + continuations.size()
                    + " continuations");
        }
        ForwardGraph graph = model.graph(edits);
        long pad = Math.max(0, model.config().eosTokenId());
        List<float[][]> out = new ArrayList<>(prompts.size());
        for (int start = 0; start < prompts.size(); start += batchSize) {
            int end = Math.min(prompts.size(), start + batchSize);
            ForwardInputs in = inputs(prompts.subList(start, end), continuations.subList(start, end), pad);
            INDArray logits = graph.run(in, null, List.of()).logits();
            float[][] all = logits.toFloatMatrix();
            int row = 0;
            for (int i = start; i < end; i++) {
                float[][] seq = new float[continuations.get(i).length + 1][];
                for (int j = 0; j < seq.length; j++) {
                    seq[j] = all[row++];
                }
                out.add(seq);
            }
        }
        return out;
    }

    /** Left-padded {@code prompt ++ continuation} rows; logits from each row's last prompt token on. */
    static ForwardInputs inputs(List<long[]> prompts, List<long[]> continuations, long padId) {
        int b = prompts.size();
        int s = 0;
        for (int r = 0; r < b; r++) {
            if (prompts.get(r).length == 0) {
                throw new IllegalArgumentException("prompt " + r + " has no tokens");
            }
            s = Math.max(s, prompts.get(r).length + continuations.get(r).length);
        }
        long[][] tok = new long[b][s];
        long[][] pos = new long[b][s];
        boolean[][] valid = new boolean[b][s];
        int[] lens = new int[b];
        List<Integer> rows = new ArrayList<>();
        for (int r = 0; r < b; r++) {
            long[] p = prompts.get(r);
            long[] c = continuations.get(r);
            int n = p.length + c.length;
            int padLen = s - n;
            for (int i = 0; i < s; i++) {
                int k = i - padLen;
                boolean real = k >= 0;
                tok[r][i] = !real ? padId : k < p.length ? p[k] : c[k - p.length];
                pos[r][i] = real ? k : 0;
                valid[r][i] = real;
            }
            lens[r] = p.length;
            for (int j = 0; j <= c.length; j++) {
                rows.add(r * s + padLen + p.length - 1 + j);
            }
        }
        return new ForwardInputs(tok, pos, valid, 0, lens, rows.stream().mapToInt(Integer::intValue).toArray());
    }
}
