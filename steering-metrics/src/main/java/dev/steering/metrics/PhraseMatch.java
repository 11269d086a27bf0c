package dev.steering.metrics;

/**
 * One phrase found in a completion and the evidence it contributed to the refusal score.
 *
 * @param phrase the phrase as configured (normalised: lower case, straight apostrophes)
 * @param start  offset of its first character in the original completion
 * @param end    offset just past its last character
 * @param weight its effective weight: positive for refusal evidence (configured weight × position factor),
 *               negative for compliance evidence (minus the configured weight)
 */
public record PhraseMatch(String phrase, int start, int end, double weight) {
}
