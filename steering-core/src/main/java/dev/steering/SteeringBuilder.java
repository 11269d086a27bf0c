package dev.steering;

import dev.steering.direction.DirectionMethod;
import dev.steering.direction.ProvenanceMetadata;
import dev.steering.direction.SteeringVector;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Intervention;
import dev.steering.hooks.LayerSpec;
import dev.steering.hooks.Positions;
import dev.steering.model.LanguageModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * An immutable description of a steering setup: which layers, which hook, which positions and which direction.
 * {@link #intervene(Intervention)} turns it into a {@link SteeredModel}. Every setter returns a new builder, so a
 * partially configured builder can be shared and branched.
 *
 * <p>Defaults: hook {@code resid_post}, all positions, the layer must be given.
 */
public final class SteeringBuilder {
    /** Stands for the last layer in {@link #layers(int, int)}. */
    public static final int END = LayerSpec.END;

    private final LanguageModel model;
    private final LayerSpec layers;
    private final HookPoint.Kind hook;
    private final Positions positions;
    private final DirectionMethod method;
    private final SteeringVector vector;

    SteeringBuilder(LanguageModel model) {
        this(model, null, HookPoint.Kind.RESID_POST, Positions.all(), null, null);
    }

    private SteeringBuilder(LanguageModel model, LayerSpec layers, HookPoint.Kind hook, Positions positions,
                            DirectionMethod method, SteeringVector vector) {
        this.model = model;
        this.layers = layers;
        this.hook = hook;
        this.positions = positions;
        this.method = method;
        this.vector = vector;
    }

    /** Steer at one layer. */
    public SteeringBuilder layer(int layer) {
        return layers(LayerSpec.of(layer));
    }

    /** Steer at one layer given as an index or a depth percentage ({@code "60%"}). */
    public SteeringBuilder layer(String layer) {
        return layers(LayerSpec.parse(layer));
    }

    /** Steer at layers {@code from … to} inclusive ({@code to} may be {@link #END}). */
    public SteeringBuilder layers(int from, int to) {
        return layers(LayerSpec.range(from, to));
    }

    /** Steer at these layers. */
    public SteeringBuilder layers(LayerSpec spec) {
        spec.resolve(model.config().numLayers());       // fail now on a bad layer
        return new SteeringBuilder(model, spec, hook, positions, method, vector);
    }

    /** Which hook of each layer ({@code RESID_PRE}, {@code RESID_POST}, {@code ATTN_OUT}, {@code MLP_OUT}). */
    public SteeringBuilder hook(HookPoint.Kind kind) {
        if (kind == HookPoint.Kind.LN_FINAL) {
            throw new IllegalArgumentException("ln_final is not a per-layer hook");
        }
        return new SteeringBuilder(model, layers, kind, positions, method, vector);
    }

    /** Which token positions are edited (default: all). */
    public SteeringBuilder positions(Positions p) {
        return new SteeringBuilder(model, layers, hook, Objects.requireNonNull(p), method, vector);
    }

    /** Compute the direction with a method, at each steered layer's hook. */
    public SteeringBuilder direction(DirectionMethod m) {
        return new SteeringBuilder(model, layers, hook, positions, Objects.requireNonNull(m), null);
    }

    /** Use this vector at every steered layer. */
    public SteeringBuilder direction(SteeringVector v) {
        ProvenanceMetadata.checkCompatible(v, model);
        return new SteeringBuilder(model, layers, hook, positions, null, v);
    }

    /**
     * Builds the steered view: computes the direction (once per layer for a method) and binds the intervention.
     */
    public SteeredModel intervene(Intervention intervention) {
        if (layers == null) {
            throw new IllegalStateException("choose a layer first: .layer(L)");
        }
        if (method == null && vector == null) {
            throw new IllegalStateException("choose a direction first: .direction(ContrastivePrefix.defaults()) or "
                    + ".direction(SteeringVector)");
        }
        List<Edit> edits = new ArrayList<>();
        for (int l : layers.resolve(model.config().numLayers())) {
            HookPoint hp = new HookPoint(l, hook);
            SteeringVector v = vector != null ? vector : method.compute(model, hp);
            edits.add(new Edit(hp, intervention, v, positions));
        }
        return new SteeredModel(model, edits);
    }

    /** The unsteered model, for baselines. */
    public SteeredModel baseline() {
        return new SteeredModel(model, List.of());
    }

    /** The direction at one layer, computed with the configured method (or the fixed vector). */
    public SteeringVector computeDirection(int layer) {
        if (vector != null) {
            return vector;
        }
        if (method == null) {
            throw new IllegalStateException("no direction configured");
        }
        return method.compute(model, new HookPoint(layer, hook));
    }

    /** The model. */
    public LanguageModel model() {
        return model;
    }
}
