package dev.steering.model;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Rotary position embedding tables (GPT-NeoX / Llama "rotate half" convention): the first {@code rotaryDim}
 * dimensions of each head rotate in two halves, the rest pass through. The frequencies are computed once from the
 * config; per call only the {@code cos}/{@code sin} tables of the positions at hand are built (in Java, so padding
 * and per-row positions cost no graph ops).
 */
public final class RotaryEmbedding {
    private final int headDim;
    private final int rotaryDim;
    private final float[] invFreq;
    private final float[] longInvFreq;
    private final int longAbove;
    private final double attentionScaling;

    /**
     * @param headDim          size of one head
     * @param rotaryDim        how many leading dimensions of each head rotate (even, ≤ headDim)
     * @param invFreq          the {@code rotaryDim/2} inverse frequencies
     * @param attentionScaling factor on both cos and sin (1 except for long-context scalings such as Phi-3 longrope)
     */
    public RotaryEmbedding(int headDim, int rotaryDim, float[] invFreq, double attentionScaling) {
        this(headDim, rotaryDim, invFreq, invFreq, Integer.MAX_VALUE, attentionScaling);
    }

    /**
     * Frequencies that depend on the length of the call (Phi-3 longrope): {@code longInvFreq} is used for a call
     * whose largest position id + 1 exceeds {@code longAbove}, {@code invFreq} otherwise.
     *
     * @param headDim          size of one head
     * @param rotaryDim        how many leading dimensions of each head rotate (even, ≤ headDim)
     * @param invFreq          the {@code rotaryDim/2} inverse frequencies for calls up to {@code longAbove} positions
     * @param longInvFreq      the inverse frequencies for longer calls
     * @param longAbove        the sequence length above which {@code longInvFreq} applies
     * @param attentionScaling factor on both cos and sin
     */
    public RotaryEmbedding(int headDim, int rotaryDim, float[] invFreq, float[] longInvFreq, int longAbove,
                           double attentionScaling) {
        if (rotaryDim % 2 != 0 || rotaryDim > headDim || invFreq.length != rotaryDim / 2
                || longInvFreq.length != invFreq.length) {
            throw new IllegalArgumentException("rotary dim " + rotaryDim + " must be even, ≤ head dim " + headDim
                    + " and match " + invFreq.length + " frequencies");
        }
        this.headDim = headDim;
        this.rotaryDim = rotaryDim;
        this.invFreq = invFreq.clone();
        this.longInvFreq = longInvFreq.clone();
        this.longAbove = longAbove;
        this.attentionScaling = attentionScaling;
    }

    /** The standard frequencies {@code 1 / base^(2i/rotaryDim)}. */
    public static float[] defaultInvFreq(int rotaryDim, double base) {
        float[] f = new float[rotaryDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(base, (2.0 * i) / rotaryDim));
        }
        return f;
    }

    /** Size of one head. */
    public int headDim() {
        return headDim;
    }

    /** How many leading dimensions of each head rotate. */
    public int rotaryDim() {
        return rotaryDim;
    }


    /**
     * For rows of {@code heads} concatenated heads, the column each column of {@code rotateHalf(x)} comes from
     * ({@code rotateHalf(x)[:, j] = sign_j · x[:, source[j]]}; pass-through columns map to themselves, their sin is 0).
     */
    public long[] rotateHalfSource(int heads) {
        int half = rotaryDim / 2;
        long[] src = new long[heads * headDim];
        for (int h = 0; h < heads; h++) {
            for (int d = 0; d < headDim; d++) {
                int from = d < half ? d + half : d < rotaryDim ? d - half : d;
                src[h * headDim + d] = (long) h * headDim + from;
            }
        }
        return src;
    }

    /**
     * {@link #tables} with the sign of {@code rotateHalf} folded into sin ({@code −sin} on the first half of the
     * rotary dimensions), for {@code x·cos + x[:, rotateHalfSource]·sin}.
     */
    public INDArray[] rotateHalfTables(long[] positions, int heads) {
        INDArray[] cs = tables(positions, heads);
        int half = rotaryDim / 2;
        float[] sign = new float[heads * headDim];
        java.util.Arrays.fill(sign, 1f);
        for (int h = 0; h < heads; h++) {
            for (int d = 0; d < half; d++) {
                sign[h * headDim + d] = -1f;
            }
        }
        cs[1].muliRowVector(Nd4j.create(sign, new long[]{1, sign.length}, 'c'));
        return cs;
    }

    /**
     * Cos and sin tables for rows of {@code heads} concatenated heads: element {@code [row, h·headDim + d]} is
     * {@code cos(pos·f)} (resp. {@code sin}) on rotary dimensions and 1 (resp. 0) on pass-through ones.
     *
     * @param positions one position id per row (batch × sequence, row-major); their maximum also selects the
     *                  long-context frequencies, if any
     * @return {@code {cos, sin}}, each {@code [rows, heads·headDim]}
     */
    public INDArray[] tables(long[] positions, int heads) {
        int width = heads * headDim;
        float[] cos = new float[positions.length * width];
        float[] sin = new float[positions.length * width];
        int half = rotaryDim / 2;
        float[] rowCos = new float[headDim];
        float[] rowSin = new float[headDim];
        long longest = java.util.Arrays.stream(positions).max().orElse(-1) + 1;
        float[] freq = longest > longAbove ? longInvFreq : invFreq;
        for (int r = 0; r < positions.length; r++) {
            java.util.Arrays.fill(rowCos, 1f);
            java.util.Arrays.fill(rowSin, 0f);
            for (int i = 0; i < half; i++) {
                float angle = (float) positions[r] * freq[i];
                rowCos[i] = rowCos[i + half] = (float) (Math.cos(angle) * attentionScaling);
                rowSin[i] = rowSin[i + half] = (float) (Math.sin(angle) * attentionScaling);
            }
            for (int h = 0; h < heads; h++) {
                System.arraycopy(rowCos, 0, cos, r * width + h * headDim, headDim);
                System.arraycopy(rowSin, 0, sin, r * width + h * headDim, headDim);
            }
        }
        long[] shape = {positions.length, width};
        return new INDArray[]{Nd4j.create(cos, shape, 'c'), Nd4j.create(sin, shape, 'c')};
    }
}
