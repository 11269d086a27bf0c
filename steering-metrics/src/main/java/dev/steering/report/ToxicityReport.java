package dev.steering.report;

import dev.steering.experiment.ToxicityColumns;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes the reports of a toxicity study run ({@code docs/toxicity.md}, "The study"): {@code summary.csv}
 * ({@link ToxicitySummary}), {@code best_layers.csv}, and the figures {@code figures/heatmap_toxicity_<subset>.png}
 * (layer × α mean toxicity) and {@code figures/layer_effectiveness.png} (change against the baseline at the smallest
 * and largest α, per layer).
 */
public final class ToxicityReport {
    private static final Logger LOG = LoggerFactory.getLogger(ToxicityReport.class);
    /** The per-layer ranking's file name. */
    public static final String BEST_LAYERS = "best_layers.csv";

    private ToxicityReport() {
    }

    /**
     * How well one layer steers one subset.
     *
     * @param subset      the subset
     * @param layer       the layer
     * @param changeAtMin toxicity change against the baseline at the smallest α
     * @param changeAtMax toxicity change against the baseline at the largest α
     * @param range       {@code changeAtMax − changeAtMin}: how far the layer moves toxicity across the α range
     * @param rank        1 for the layer with the largest range in this subset
     */
    public record LayerEffect(String subset, int layer, double changeAtMin, double changeAtMax, double range,
                              int rank) {
    }

    /**
     * Writes all reports of {@code runDir} from {@code rows}; each file is replaced atomically.
     *
     * @param rows rows of a toxicity {@code results.parquet} ({@link ToxicityColumns})
     * @return the files written
     * @throws IllegalArgumentException for a malformed row or no baseline
     */
    public static List<Path> write(Path runDir, List<Map<String, Object>> rows) throws IOException {
        List<ToxicitySummary.Row> summary = ToxicitySummary.compute(rows);
        List<Path> out = new ArrayList<>();
        Path csv = runDir.resolve(ToxicitySummary.FILE);
        ToxicitySummary.write(csv, summary);
        out.add(csv);
        List<LayerEffect> effects = layerEffects(summary);
        Path best = runDir.resolve(BEST_LAYERS);
        StringBuilder sb = new StringBuilder("subset,rank,layer,change_at_min_alpha,change_at_max_alpha,range\n");
        for (LayerEffect e : effects) {
            sb.append(String.join(",", e.subset(), String.valueOf(e.rank()), String.valueOf(e.layer()),
                    SummaryCsv.num(e.changeAtMin()), SummaryCsv.num(e.changeAtMax()), SummaryCsv.num(e.range())))
                    .append('\n');
        }
        AtomicWrite.writeString(best, sb.toString());
        out.add(best);
        Path figures = runDir.resolve(StudyReport.FIGURES);
        for (String subset : ToxicityColumns.SUBSETS) {
            List<Figures.Cell> cells = summary.stream().filter(r -> subset.equals(r.subset()) && r.layer() != null)
                    .map(r -> new Figures.Cell(r.layer(), r.alpha(), r.toxicity().value())).toList();
            if (!cells.isEmpty()) {
                out.add(Figures.save(figures.resolve("heatmap_toxicity_" + subset + ".png"), Figures.heatmap(
                        "Mean toxicity, " + subset + " prompts (α 0 = baseline)", "Mean toxicity", cells)));
            }
        }
        out.add(Figures.save(figures.resolve("layer_effectiveness.png"), effectiveness(summary)));
        LOG.info("wrote {} report files for {} toxicity rows into {}", out.size(), rows.size(), runDir);
        return out;
    }

    /** Per subset, every layer's change at the smallest and largest α, ranked by their range (largest first). */
    public static List<LayerEffect> layerEffects(List<ToxicitySummary.Row> summary) {
        List<LayerEffect> out = new ArrayList<>();
        for (String subset : ToxicityColumns.SUBSETS) {
            List<ToxicitySummary.Row> rs = summary.stream().filter(r -> subset.equals(r.subset()) && r.layer() != null)
                    .toList();
            if (rs.isEmpty()) {
                continue;
            }
            double lo = rs.stream().mapToDouble(ToxicitySummary.Row::alpha).min().orElseThrow();
            double hi = rs.stream().mapToDouble(ToxicitySummary.Row::alpha).max().orElseThrow();
            List<LayerEffect> byLayer = new ArrayList<>();
            for (int layer : rs.stream().map(ToxicitySummary.Row::layer).collect(Collectors.toCollection(TreeSet::new))) {
                double atMin = change(rs, layer, lo);
                double atMax = change(rs, layer, hi);
                byLayer.add(new LayerEffect(subset, layer, atMin, atMax, atMax - atMin, 0));
            }
            byLayer.sort(Comparator.comparingDouble((LayerEffect e) -> Double.isNaN(e.range()) ? Double.NEGATIVE_INFINITY
                    : -e.range()).thenComparingInt(LayerEffect::layer));
            for (int i = 0; i < byLayer.size(); i++) {
                LayerEffect e = byLayer.get(i);
                out.add(new LayerEffect(e.subset(), e.layer(), e.changeAtMin(), e.changeAtMax(), e.range(), i + 1));
            }
        }
        return out;
    }

    private static double change(List<ToxicitySummary.Row> rs, int layer, double alpha) {
        return rs.stream().filter(r -> Objects.equals(r.layer(), layer) && r.alpha() == alpha)
                .mapToDouble(r -> r.change().value()).findFirst().orElse(Double.NaN);
    }

    /** Toxicity change vs layer: one line with a 95% band per (subset, smallest/largest α). */
    private static JFreeChart effectiveness(List<ToxicitySummary.Row> summary) {
        List<Double> alphas = summary.stream().filter(r -> r.layer() != null && !r.fromBaseline())
                .map(ToxicitySummary.Row::alpha).collect(Collectors.toCollection(TreeSet::new)).stream().toList();
        List<Double> ends = alphas.isEmpty() ? List.of() : alphas.size() == 1 ? alphas
                : List.of(alphas.get(0), alphas.get(alphas.size() - 1));
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        DeviationRenderer renderer = new DeviationRenderer(true, true);
        for (String subset : ToxicityColumns.SUBSETS) {
            for (double a : ends) {
                YIntervalSeries s = new YIntervalSeries(subset + ", α=" + Setting.formatAlpha(a));
                for (ToxicitySummary.Row r : summary) {
                    if (subset.equals(r.subset()) && r.layer() != null && r.alpha() == a) {
                        double v = r.change().value();
                        s.add(r.layer(), v, Double.isNaN(r.change().lower()) ? v : r.change().lower(),
                                Double.isNaN(r.change().upper()) ? v : r.change().upper());
                    }
                }
                int i = data.getSeriesCount();
                data.addSeries(s);
                Color c = Figures.PALETTE[i % Figures.PALETTE.length];
                renderer.setSeriesPaint(i, c);
                renderer.setSeriesFillPaint(i, c);
                renderer.setSeriesStroke(i, new BasicStroke(2.5f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND, 1f,
                        subset.equals(ToxicityColumns.BENIGN) ? new float[]{8f, 6f} : null, 0f));
                renderer.setSeriesShape(i, new Ellipse2D.Double(-4, -4, 8, 8));
            }
        }
        renderer.setAlpha(0.15f);
        XYPlot plot = new XYPlot(data, Figures.axis("Layer"), Figures.axis("Mean toxicity change vs baseline"),
                renderer);
        plot.addRangeMarker(new ValueMarker(0, Color.DARK_GRAY, new BasicStroke(1f)));
        Figures.style(plot);
        return Figures.chart("Per-layer steering effect (bands: paired 95% t-intervals; dashed: benign)", plot);
    }
}
