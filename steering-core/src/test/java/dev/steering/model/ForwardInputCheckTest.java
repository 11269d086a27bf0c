package dev.steering.model;

import java.util.List;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ids the embedding tables cannot index are refused with a message, not a native crash. */
class ForwardInputCheckTest {

    @Test
    void tokenIdsOutsideTheVocabularyAreRefused() {
        try (LanguageModel m = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            ForwardGraph g = m.graph(List.of());
            long vocab = m.config().vocabSize();
            for (long bad : new long[]{vocab, -1}) {
                var e = assertThrows(IllegalArgumentException.class,
                        () -> g.run(ForwardInputs.single(new long[]{5, bad, 7}), null, List.of()));
                assertTrue(e.getMessage().contains("token id " + bad + " (row 0, position 1)"), e.getMessage());
            }
        }
    }

    @Test
    void positionsBeyondLearnedPositionsAreRefused() {
        try (LanguageModel m = LanguageModel.load(Reference.fixture("gpt2-tiny"))) {   // n_positions 128
            ForwardGraph g = m.graph(List.of());
            var e = assertThrows(IllegalArgumentException.class,
                    () -> g.run(ForwardInputs.single(new long[129]), null, List.of()));
            assertTrue(e.getMessage().contains("position 128 (row 0) is beyond the model's 128 learned positions"),
                    e.getMessage());
            g.run(ForwardInputs.single(new long[128]), null, List.of());   // the longest allowed runs
        }
    }
}
