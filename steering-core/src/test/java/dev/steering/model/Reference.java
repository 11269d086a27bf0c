package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.weights.SafeTensors;
import dev.steering.weights.SafeTensorsFile;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** A fixture checkpoint with its PyTorch reference outputs ({@code reference.json} + {@code reference.safetensors}). */
public final class Reference implements AutoCloseable {
    /** The fixtures' tolerance: 1e-4 absolute plus 1e-4 relative. */
    public static final double TOL = 1e-4;

    public final Path dir;
    public final JsonNode json;
    public final SafeTensorsFile tensors;

    private Reference(Path dir) throws IOException {
        this.dir = dir;
        this.json = new ObjectMapper().readTree(dir.resolve("reference.json").toFile());
        this.tensors = SafeTensors.open(dir.resolve("reference.safetensors"));
    }

    /** Opens {@code src/test/resources/fixtures/<name>}. */
    public static Reference open(String name) {
        try {
            return new Reference(fixture(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The path of a test fixture directory. */
    public static Path fixture(String name) {
        try {
            return Path.of(Reference.class.getResource("/fixtures/" + name + "/config.json").toURI()).getParent();
        } catch (URISyntaxException | NullPointerException e) {
            throw new IllegalStateException("missing test fixture " + name, e);
        }
    }

    /** Token ids of every prompt. */
    public List<long[]> prompts() {
        List<long[]> out = new ArrayList<>();
        for (JsonNode p : json.get("prompts")) {
            long[] ids = new long[p.size()];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = p.get(i).longValue();
            }
            out.add(ids);
        }
        return out;
    }

    public INDArray tensor(String name) {
        return tensors.array(name);
    }

    /** Asserts {@code |actual − expected| ≤ TOL + TOL·|expected|} element-wise, naming the worst element. */
    public static void assertClose(INDArray expected, INDArray actual, String what) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()),
                what + ": shape");
        float[] e = expected.dup('c').data().asFloat();
        float[] a = actual.dup('c').data().asFloat();
        double worst = 0;
        int at = -1;
        for (int i = 0; i < e.length; i++) {
            double excess = Math.abs(a[i] - e[i]) - (TOL + TOL * Math.abs(e[i]));
            if (excess > worst || Double.isNaN(a[i])) {
                worst = Double.isNaN(a[i]) ? Double.POSITIVE_INFINITY : excess;
                at = i;
            }
        }
        if (at >= 0) {
            fail(what + ": element " + at + " is " + a[at] + ", expected " + e[at] + " (tolerance exceeded by "
                    + worst + ")");
        }
    }

    /** The greedy tokens up to (excluding) the first step whose best-vs-second gap is below 1e-3. */
    public static int reliableSteps(JsonNode kase) {
        JsonNode gaps = kase.get("greedy_gaps");
        for (int i = 0; i < gaps.size(); i++) {
            if (gaps.get(i).doubleValue() < 1e-3) {
                return i;
            }
        }
        return gaps.size();
    }

    @Override
    public void close() {
        tensors.close();
    }
}
