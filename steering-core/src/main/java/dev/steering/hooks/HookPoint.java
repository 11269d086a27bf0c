package dev.steering.hooks;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A named place in the residual stream where activations can be read (an activation cache) and edited (an
 * intervention). Names follow TransformerLens: {@code blocks.{L}.hook_resid_pre} is the input of block {@code L},
 * {@code blocks.{L}.hook_resid_post} its output, {@code hook_attn_out} / {@code hook_mlp_out} the attention and MLP
 * outputs before they are added to the residual, and {@code ln_final.hook_normalized} the final-norm output.
 *
 * @param layer the block index, or {@code -1} for {@link Kind#LN_FINAL}
 * @param kind  which activation of the block
 */
public record HookPoint(int layer, Kind kind) {

    /** The activations a block exposes. */
    public enum Kind {
        /** Input of the block (the residual stream before it). */
        RESID_PRE("hook_resid_pre"),
        /** Attention output, before it is added to the residual. */
        ATTN_OUT("hook_attn_out"),
        /** MLP output, before it is added to the residual. */
        MLP_OUT("hook_mlp_out"),
        /** Output of the block (the residual stream after it). */
        RESID_POST("hook_resid_post"),
        /** Output of the final norm, the input of the unembedding. */
        LN_FINAL("hook_normalized");

        private final String suffix;

        Kind(String suffix) {
            this.suffix = suffix;
        }

        /** The TransformerLens suffix, e.g. {@code hook_resid_post}. */
        public String suffix() {
            return suffix;
        }

        /** Parses {@code resid_post}, {@code hook_resid_post} or {@code RESID_POST}. */
        public static Kind parse(String s) {
            String t = s.trim().toLowerCase(Locale.ROOT);
            for (Kind k : values()) {
                if (k.suffix.equals(t) || k.suffix.equals("hook_" + t) || k.name().toLowerCase(Locale.ROOT).equals(t)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown hook kind '" + s
                    + "' (expected resid_pre, resid_post, attn_out or mlp_out)");
        }
    }

    private static final Pattern BLOCK = Pattern.compile("blocks\\.(\\d+)\\.(hook_\\w+)");
    private static final String LN_FINAL_NAME = "ln_final.hook_normalized";

    public HookPoint {
        if (kind == Kind.LN_FINAL ? layer != -1 : layer < 0) {
            throw new IllegalArgumentException("bad layer " + layer + " for hook kind " + kind);
        }
    }

    /** {@code blocks.L.hook_resid_pre}. */
    public static HookPoint residPre(int layer) {
        return new HookPoint(layer, Kind.RESID_PRE);
    }

    /** {@code blocks.L.hook_resid_post}. */
    public static HookPoint residPost(int layer) {
        return new HookPoint(layer, Kind.RESID_POST);
    }

    /** {@code blocks.L.hook_attn_out}. */
    public static HookPoint attnOut(int layer) {
        return new HookPoint(layer, Kind.ATTN_OUT);
    }

    /** {@code blocks.L.hook_mlp_out}. */
    public static HookPoint mlpOut(int layer) {
        return new HookPoint(layer, Kind.MLP_OUT);
    }

    /** {@code ln_final.hook_normalized}. */
    public static HookPoint lnFinal() {
        return new HookPoint(-1, Kind.LN_FINAL);
    }

    /** The TransformerLens name, e.g. {@code blocks.8.hook_resid_post}. */
    public String name() {
        return kind == Kind.LN_FINAL ? LN_FINAL_NAME : "blocks." + layer + "." + kind.suffix();
    }

    /** True for the residual-stream hooks (a block's input or output), false for attn/mlp outputs. */
    public boolean isResidual() {
        return kind == Kind.RESID_PRE || kind == Kind.RESID_POST;
    }

    /** Parses a full TransformerLens name such as {@code blocks.3.hook_mlp_out}. */
    public static HookPoint parse(String name) {
        String t = name.trim();
        if (t.equals(LN_FINAL_NAME)) {
            return lnFinal();
        }
        Matcher m = BLOCK.matcher(t);
        if (!m.matches()) {
            throw new IllegalArgumentException("not a hook name: '" + name
                    + "' (expected blocks.{L}.hook_resid_pre|hook_resid_post|hook_attn_out|hook_mlp_out or " + LN_FINAL_NAME + ")");
        }
        Kind kind = Kind.parse(m.group(2));
        if (kind == Kind.LN_FINAL) {
            throw new IllegalArgumentException("not a hook name: '" + name + "'");
        }
        return new HookPoint(Integer.parseInt(m.group(1)), kind);
    }

    /** Every hook point of a model with {@code numLayers} blocks, in forward order, ending with the final norm. */
    public static List<HookPoint> all(int numLayers) {
        List<HookPoint> out = new ArrayList<>();
        for (int l = 0; l < numLayers; l++) {
            for (Kind k : List.of(Kind.RESID_PRE, Kind.ATTN_OUT, Kind.MLP_OUT, Kind.RESID_POST)) {
                out.add(new HookPoint(l, k));
            }
        }
        out.add(lnFinal());
        return out;
    }

    /** Fails unless this hook exists in a model with {@code numLayers} blocks. */
    public HookPoint checkWithin(int numLayers) {
        if (layer >= numLayers) {
            throw new IllegalArgumentException("hook " + name() + " is beyond the model's " + numLayers
                    + " layers (valid: 0.." + (numLayers - 1) + ")");
        }
        return this;
    }

    @Override
    public String toString() {
        return name();
    }
}
