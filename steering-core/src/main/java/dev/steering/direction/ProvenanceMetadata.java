package dev.steering.direction;

import dev.steering.hooks.HookPoint;
import dev.steering.model.BosConvention;
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
    /**
     * Metadata key: how the prompts the direction was read from start ({@link BosConvention#id()}, or
     * {@link #GIVEN_IDS} for prompts given as token ids).
     */
    public static final String BOS = "bos";
    /** The {@link #BOS} value of prompts given as token ids: their start is whatever the caller chose. */
    public static final String GIVEN_IDS = "ids";

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

    /**
     * Fails if {@code v} was read from prompts started under another {@link BosConvention} than {@code used}:
     * activations differ too much for such a direction to mean the same, so mixing must be asked for
     * ({@code allowMismatch}). Vectors without the entry (older files, other tools) or from prompts given as ids,
     * and prompts of unknown convention ({@code used == null}) are not checked.
     */
    public static void checkBos(SteeringVector v, BosConvention used, boolean allowMismatch) {
        String built = v.metadata().get(BOS);
        if (allowMismatch || used == null || built == null || built.equals(GIVEN_IDS) || built.equals(used.id())) {
            return;
        }
        throw new IllegalArgumentException("steering vector" + describeSource(v) + " was built from prompts started by"
                + " the '" + built + "' BOS convention, but these prompts use '" + used.id() + "': build the direction"
                + " with the same convention, or allow the mismatch explicitly");
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
