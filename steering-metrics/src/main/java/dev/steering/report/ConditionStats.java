package dev.steering.report;

import dev.steering.metrics.Quality;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One condition of the family-sweep or quantization study (model × precision × phase × method × layer × multiplier)
 * summarised from its rows ({@code dev.steering.experiment.SweepColumns}): the refusal, coherent-refusal and
 * garbled-refusal rates with 95 % Wilson intervals, the plan's verdict and the output quality.
 *
 * @param model           the model as configured
 * @param modelId         the model as loaded (with its revision when known)
 * @param family          the model family
 * @param precision       the load precision
 * @param phase           {@code validation}, {@code full}, {@code follow_up} or {@code quantization}
 * @param method          {@code dim} or {@code cosmic}
 * @param layerPct        the depth fraction
 * @param layer           the layer index {@code int(layer_pct · n_layers)}
 * @param nLayers         the model's layers
 * @param multiplier      multiplier of the raw direction
 * @param steerRange      {@code to_end} or {@code single}
 * @param directionNorm   the raw direction's norm
 * @param extractedFrom   the precision the direction was extracted at
 * @param extractionSeconds extraction time (NaN when unknown)
 * @param seconds         the steering test's time
 * @param refusal         all refusals
 * @param coherent        refusals in coherent text (the only ones that count)
 * @param garbled         refusals in garbled or degenerate text
 * @param garbledOutputs  samples whose text is garbled or degenerate, refusal or not
 * @param rows            the condition's rows
 */
public record ConditionStats(String model, String modelId, String family, String precision, String phase,
                             String method, double layerPct, int layer, int nLayers, double multiplier,
                             String steerRange, double directionNorm, String extractedFrom, double extractionSeconds,
                             double seconds, Proportion refusal, Proportion coherent, Proportion garbled,
                             Proportion garbledOutputs, List<Map<String, Object>> rows) {

    /** Samples of the condition. */
    public int n() {
        return refusal.trials();
    }

    /** The plan's verdict of this condition ({@link RefusalVerdict}). */
    public RefusalVerdict verdict() {
        return RefusalVerdict.of(coherent.successes(), garbled.successes(), refusal.successes(), n());
    }

    /**
     * The condition's output quality: {@code coherent} when at most 10 % of its samples are garbled (or degenerate),
     * {@code garbled} when at least half are, {@code mixed} in between.
     */
    public String outputQuality() {
        int g = garbledOutputs.successes();
        return 10L * g <= n() ? "coherent" : 2L * g >= n() ? "garbled" : "mixed";
    }

    /** Garbled for the plan's verdict: a quality label other than {@code coherent} and {@code normal}. */
    public static boolean isGarbled(String qualityLabel) {
        return !Quality.COHERENT.label().equals(qualityLabel) && !Quality.NORMAL.label().equals(qualityLabel);
    }

    /** The conditions of {@code rows}, in the order their first rows appear. */
    public static List<ConditionStats> of(List<Map<String, Object>> rows) {
        Map<List<Object>, List<Map<String, Object>>> groups = new LinkedHashMap<>();
        for (Map<String, Object> r : rows) {
            groups.computeIfAbsent(List.of(r.get("model"), r.get("precision"), r.get("phase"), r.get("method"),
                    r.get("layer"), r.get("multiplier")), k -> new ArrayList<>()).add(r);
        }
        List<ConditionStats> out = new ArrayList<>();
        for (List<Map<String, Object>> g : groups.values()) {
            out.add(of(g.get(0), g));
        }
        return out;
    }

    private static ConditionStats of(Map<String, Object> first, List<Map<String, Object>> rs) {
        int refusals = 0;
        int coherent = 0;
        int garbled = 0;
        int garbledOut = 0;
        for (Map<String, Object> r : rs) {
            refusals += Boolean.TRUE.equals(r.get("is_refusal")) ? 1 : 0;
            coherent += Boolean.TRUE.equals(r.get("coherent_refusal")) ? 1 : 0;
            garbled += Boolean.TRUE.equals(r.get("garbled_refusal")) ? 1 : 0;
            garbledOut += isGarbled((String) r.get("quality")) ? 1 : 0;
        }
        int n = rs.size();
        Object ext = first.get("extraction_s");
        return new ConditionStats((String) first.get("model"), (String) first.get("model_id"),
                (String) first.get("family"), (String) first.get("precision"), (String) first.get("phase"),
                (String) first.get("method"), num(first.get("layer_pct")), ((Number) first.get("layer")).intValue(),
                ((Number) first.get("n_layers")).intValue(), num(first.get("multiplier")),
                (String) first.get("steer_range"), num(first.get("direction_norm")),
                (String) first.get("extracted_from"), ext == null ? Double.NaN : num(ext),
                num(first.get("condition_s")), Proportion.of(refusals, n), Proportion.of(coherent, n),
                Proportion.of(garbled, n), Proportion.of(garbledOut, n), List.copyOf(rs));
    }

    private static double num(Object o) {
        return ((Number) o).doubleValue();
    }

    /**
     * The best condition: the highest coherent-refusal rate (only coherent refusals count); ties go to the lower
     * garbled-refusal rate, then to the earlier condition.
     *
     * @throws IllegalArgumentException if there is none
     */
    public static ConditionStats best(List<ConditionStats> conditions) {
        ConditionStats best = null;
        Comparator<ConditionStats> order = Comparator.comparingDouble((ConditionStats c) -> c.coherent().rate())
                .thenComparingDouble(c -> -c.garbled().rate());
        for (ConditionStats c : conditions) {
            if (best == null || order.compare(c, best) > 0) {
                best = c;
            }
        }
        if (best == null) {
            throw new IllegalArgumentException("no conditions to choose the best from");
        }
        return best;
    }
}
