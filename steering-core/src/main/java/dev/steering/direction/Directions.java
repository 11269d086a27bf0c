package dev.steering.direction;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Comparisons between directions built by several methods or at several layers: the statistic "cosine to the
 * directions of the other layers and methods" reported when more than one was built.
 */
public final class Directions {
    private Directions() {
    }

    /**
     * Pairwise cosines of named directions (e.g. {@code "dim/L3"}, {@code "caa/L3"}), in the map's order.
     *
     * @throws IllegalArgumentException if the directions have different dimensions
     */
    public static CosineTable cosines(Map<String, SteeringVector> directions) {
        List<String> names = new ArrayList<>(directions.keySet());
        List<SteeringVector> vs = new ArrayList<>(directions.values());
        double[][] c = new double[names.size()][names.size()];
        for (int i = 0; i < names.size(); i++) {
            for (int j = 0; j < names.size(); j++) {
                if (vs.get(i).dim() != vs.get(j).dim()) {
                    throw new IllegalArgumentException(names.get(i) + " has " + vs.get(i).dim() + " entries but "
                            + names.get(j) + " has " + vs.get(j).dim());
                }
                c[i][j] = MeanDifference.cosine(vs.get(i).raw(), vs.get(j).raw());
            }
        }
        return new CosineTable(List.copyOf(names), c);
    }

    /**
     * A symmetric table of cosines.
     *
     * @param names   the directions' names
     * @param cosines {@code cosines[i][j] = cos(names[i], names[j])}
     */
    public record CosineTable(List<String> names, double[][] cosines) {

        /** The cosine between two named directions. */
        public double get(String a, String b) {
            return cosines[index(a)][index(b)];
        }

        /** The cosines of {@code name} to every other direction, in table order. */
        public Map<String, Double> others(String name) {
            int i = index(name);
            Map<String, Double> out = new java.util.LinkedHashMap<>();
            for (int j = 0; j < names.size(); j++) {
                if (j != i) {
                    out.put(names.get(j), cosines[i][j]);
                }
            }
            return out;
        }

        /** A plain-text table with three decimals. */
        public String format() {
            int w = Math.max(6, names.stream().mapToInt(String::length).max().orElse(0));
            StringBuilder sb = new StringBuilder(String.format(Locale.ROOT, "%-" + w + "s", ""));
            for (String n : names) {
                sb.append(String.format(Locale.ROOT, " %" + w + "s", n));
            }
            for (int i = 0; i < names.size(); i++) {
                sb.append('\n').append(String.format(Locale.ROOT, "%-" + w + "s", names.get(i)));
                for (int j = 0; j < names.size(); j++) {
                    sb.append(String.format(Locale.ROOT, " %" + w + ".3f", cosines[i][j]));
                }
            }
            return sb.toString();
        }

        private int index(String name) {
            int i = names.indexOf(name);
            if (i < 0) {
                throw new IllegalArgumentException("no direction named '" + name + "' (have " + names + ")");
            }
            return i;
        }
    }
}
