package dev.steering.metrics;

import java.util.List;

/**
 * The refusal verdict on one completion.
 *
 * @param refusalScore refusal evidence / (refusal + compliance evidence + neutral mass), in [0, 1]; 0 with no markers
 * @param isRefusal    {@code refusalScore >= threshold}
 * @param matches      the phrases that counted, in order of position (see {@link PhraseMatch#weight()})
 */
public record RefusalResult(double refusalScore, boolean isRefusal, List<PhraseMatch> matches) {
    public RefusalResult {
        matches = List.copyOf(matches);
    }
}
