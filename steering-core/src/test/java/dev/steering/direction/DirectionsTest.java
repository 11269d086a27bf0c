package dev.steering.direction;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DirectionsTest {

    @Test
    void cosineTableBetweenMethodsAndLayers() {
        Map<String, SteeringVector> in = new LinkedHashMap<>();
        in.put("dim/L1", SteeringVector.of(1, 0, 0));
        in.put("caa/L1", SteeringVector.of(2, 2, 0));
        in.put("pca/L1", SteeringVector.of(-1, 0, 0));
        Directions.CosineTable t = Directions.cosines(in);
        assertEquals(1.0, t.get("dim/L1", "dim/L1"), 1e-12);
        assertEquals(Math.sqrt(0.5), t.get("dim/L1", "caa/L1"), 1e-7);
        assertEquals(-1.0, t.get("pca/L1", "dim/L1"), 1e-12);
        assertEquals(2, t.others("caa/L1").size());
        assertTrue(t.format().contains("-1.000"), t.format());
        assertThrows(IllegalArgumentException.class,
                () -> Directions.cosines(Map.of("a", SteeringVector.of(1, 0), "b", SteeringVector.of(1, 0, 0))));
    }
}
