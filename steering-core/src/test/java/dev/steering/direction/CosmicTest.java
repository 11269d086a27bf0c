package dev.steering.direction;

import dev.steering.model.LanguageModel;
import dev.steering.model.Reference;
import org.junit.jupiter.api.Test;

import static dev.steering.direction.DifferenceInMeansTest.HARMFUL;
import static dev.steering.direction.DifferenceInMeansTest.HARMLESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CosmicTest {

    @Test
    void selectsALayerBelowTheLimitEndToEnd() {
        try (LanguageModel model = LanguageModel.load(Reference.fixture("gpt-neox-tiny"))) {
            DifferenceInMeans dim = DifferenceInMeans.of(HARMFUL, HARMLESS).lastTokens(2)
                    .validation(HARMFUL.subList(2, 4), HARMLESS.subList(2, 4)).klThreshold(Double.POSITIVE_INFINITY);
            Cosmic.Selection s = Cosmic.of(dim).select(model);
            int layers = model.config().numLayers();
            assertTrue(s.layer() < (int) (0.8 * layers), "layer " + s.layer());
            assertEquals(1, s.lowLayers().size());                 // int(0.1·3) = 0, at least one
            assertEquals(2 * layers, s.table().size());
            assertEquals(2 * (layers - (int) (0.8 * layers)), s.filtered().get("layer"));
            Cosmic.Candidate best = s.table().stream()
                    .filter(c -> c.position() == s.position() && c.layer() == s.layer()).findFirst().orElseThrow();
            for (Cosmic.Candidate c : s.table()) {
                assertTrue(Math.abs(c.sAbl()) <= 1 + 1e-9 && Math.abs(c.sAdd()) <= 1 + 1e-9);
                assertTrue(!c.kept() || c.score() <= best.score());
            }
            assertEquals("cosmic", s.direction().metadata().get("method"));
            assertEquals(Integer.toString(s.position()), s.direction().metadata().get("position"));
            // The chosen vector is the DIM candidate at (position, layer).
            double[] r = dim.candidates(model).r(s.position(), s.layer());
            assertEquals(1.0, MeanDifference.cosine(r, MeanDifference.toDoubles(s.direction().raw())), 1e-6);
        }
    }
}
