package dev.steering.hooks;

import java.util.ArrayList;
import java.util.List;

/**
 * Which layers an intervention or a direction uses: indices, depth percentages ({@code "60%"} → {@code int(0.6·L)},
 * the convention of cross-family studies) and ranges up to the last layer ({@link #END}).
 */
public final class LayerSpec {
    /** Stands for the last layer in ranges: {@code layers(8, END)}. */
    public static final int END = Integer.MAX_VALUE;

    private final List<String> items;

    private LayerSpec(List<String> items) {
        this.items = List.copyOf(items);
    }

    /** One layer index. */
    public static LayerSpec of(int layer) {
        return new LayerSpec(List.of(Integer.toString(layer)));
    }

    /** Several items, each an index ({@code "8"}), a depth percentage ({@code "60%"}) or a range ({@code "8-END"}). */
    public static LayerSpec parse(String... items) {
        return new LayerSpec(List.of(items));
    }

    /** {@code from … to} inclusive; {@code to} may be {@link #END}. */
    public static LayerSpec range(int from, int to) {
        return new LayerSpec(List.of(from + "-" + (to == END ? "END" : Integer.toString(to))));
    }

    /** The concrete layer indices for a model with {@code numLayers} blocks, in order, without repeats. */
    public List<Integer> resolve(int numLayers) {
        List<Integer> out = new ArrayList<>();
        for (String item : items) {
            String t = item.trim();
            int dash = t.indexOf('-', 1);
            if (dash > 0) {
                int from = single(t.substring(0, dash), numLayers);
                String end = t.substring(dash + 1).trim();
                int to = end.equalsIgnoreCase("END") ? numLayers - 1 : single(end, numLayers);
                if (to < from) {
                    throw new IllegalArgumentException("layer range '" + item + "' is empty");
                }
                for (int l = from; l <= to; l++) {
                    add(out, l);
                }
            } else {
                add(out, single(t, numLayers));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no layers given");
        }
        return out;
    }

    /** One index or percentage, checked against the model's depth. */
    public static int single(String s, int numLayers) {
        String t = s.trim();
        int layer;
        try {
            if (t.endsWith("%")) {
                double pct = Double.parseDouble(t.substring(0, t.length() - 1));
                if (pct < 0 || pct > 100) {
                    throw new IllegalArgumentException("layer depth '" + s + "' must be between 0% and 100%");
                }
                layer = atDepth(pct / 100.0, numLayers);
            } else {
                layer = Integer.parseInt(t);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad layer '" + s + "': expected an index, a percentage like 60% or a range like 8-END");
        }
        if (layer < 0 || layer >= numLayers) {
            throw new IllegalArgumentException("layer " + layer + " is outside the model's layers 0.." + (numLayers - 1));
        }
        return layer;
    }

    /**
     * The layer at depth {@code fraction} of a model with {@code numLayers} blocks: {@code int(fraction · numLayers)}
     * as Python computes it (Gemma-2-9B, 42 layers: 0.6 → 25), the last layer for 1.0.
     *
     * @throws IllegalArgumentException if the fraction is not in [0, 1]
     */
    public static int atDepth(double fraction, int numLayers) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("layer depth " + fraction + " must be between 0 and 1");
        }
        return Math.min(numLayers - 1, (int) (fraction * numLayers));
    }

    private static void add(List<Integer> out, int l) {
        if (!out.contains(l)) {
            out.add(l);
        }
    }

    @Override
    public String toString() {
        return String.join(",", items);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LayerSpec s && s.items.equals(items);
    }

    @Override
    public int hashCode() {
        return items.hashCode();
    }
}
