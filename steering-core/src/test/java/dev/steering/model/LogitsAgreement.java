package dev.steering.model;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/**
 * How closely logits match reference logits at every position: the mean cosine of the rows and the share of
 * positions whose argmax (the greedy next token) agrees.
 *
 * @param meanCosine mean over positions of the rows' cosine
 * @param agreement  share of positions with the same argmax
 * @param positions  positions compared
 */
public record LogitsAgreement(double meanCosine, double agreement, int positions) {

    /** Compares each {@code [positions, vocab]} array of {@code got} with the one at the same index of {@code reference}. */
    public static LogitsAgreement of(List<INDArray> reference, List<INDArray> got) {
        double cos = 0;
        int agree = 0;
        int positions = 0;
        for (int p = 0; p < reference.size(); p++) {
            INDArray a = reference.get(p);
            INDArray b = got.get(p);
            assertArrayEquals(a.shape(), b.shape());
            for (int i = 0; i < a.rows(); i++) {
                INDArray ra = a.getRow(i);
                INDArray rb = b.getRow(i);
                cos += ra.mul(rb).sumNumber().doubleValue()
                        / (ra.norm2Number().doubleValue() * rb.norm2Number().doubleValue());
                agree += ra.argMax().getInt(0) == rb.argMax().getInt(0) ? 1 : 0;
                positions++;
            }
        }
        return new LogitsAgreement(cos / positions, (double) agree / positions, positions);
    }
}
