package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;
import dev.steering.model.ModelConfig;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The metadata that makes a direction file self-describing: which model (id, revision, architecture and shape),
 * where it was read (layer, hook, whether that is a block's input or output) and the library version; methods add
 * their own parameters.
 */
public final class ProvenanceMetadata {
    /** Metadata key: the model id the vector was computed on. */
    public static final String MODEL = "model";
    /** Metadata key: architecture name. */
    public static final String ARCHITECTURE = "architecture";
    /** Metadata key: hidden size. */
    public static final String HIDDEN_SIZE = "hidden_size";
    /** Metadata key: number of layers. */
    public static final String NUM_LAYERS = "num_layers";

    private ProvenanceMetadata() {
    }

    /** Common provenance followed by the method's own entries. */
    public static Map<String, String> describe(LanguageModel model, HookPoint hook, Map<String, String> method) {
        ModelConfig c = model.config();
        Map<String, String> m = new LinkedHashMap<>();
        m.put(MODEL, model.id());
        model.revision().ifPresent(r -> m.put("model_revision", r));
        m.put(ARCHITECTURE, c.architecture());
        m.put(HIDDEN_SIZE, Integer.toString(c.hiddenSize()));
        m.put(NUM_LAYERS, Integer.toString(c.numLayers()));
        m.put("layer", Integer.toString(hook.layer()));
        m.put("hook", hook.name());
        m.put("hook_role", role(hook));
        m.putAll(method);
        m.put("library", "steering " + LibraryVersion.get());
        return m;
    }

    /**
     * Fails with a clear message if {@code v} was computed for a model of another architecture or shape. A
     * vector without provenance (e.g. written by other tools) is only checked for its dimension.
     */
    public static void checkCompatible(SteeringVector v, LanguageModel model) {
        ModelConfig c = model.config();
        if (v.dim() != c.hiddenSize()) {
            throw new IllegalArgumentException("steering vector has " + v.dim() + " entries but " + model.id()
                    + " has hidden size " + c.hiddenSize() + describeSource(v));
        }
        String arch = v.metadata().get(ARCHITECTURE);
        if (arch != null && !arch.equals(c.architecture())) {
            throw new IllegalArgumentException("steering vector was computed on a " + arch + " model" + describeSource(v)
                    + ", not on " + c.architecture() + " (" + model.id() + ")");
        }
        String layers = v.metadata().get(NUM_LAYERS);
        if (layers != null && !layers.equals(Integer.toString(c.numLayers()))) {
            throw new IllegalArgumentException("steering vector was computed on a model with " + layers + " layers"
                    + describeSource(v) + ", " + model.id() + " has " + c.numLayers());
        }
    }

    private static String describeSource(SteeringVector v) {
        String m = v.metadata().get(MODEL);
        return m == null ? "" : " (model " + m + ")";
    }

    private static String role(HookPoint h) {
        return switch (h.kind()) {
            case RESID_PRE -> "input of block " + h.layer();
            case RESID_POST -> "output of block " + h.layer();
            case ATTN_OUT -> "attention output of block " + h.layer();
            case MLP_OUT -> "MLP output of block " + h.layer();
            case LN_FINAL -> "final norm output";
        };
    }
}
