package dev.steering.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.CategoryLabelPositions;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.category.StackedBarRenderer;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYErrorRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

/**
 * The figures of the family-sweep and quantization studies (PNG, headless, written atomically): per model the refusal
 * rates against layer depth with coherent and garbled refusals stacked, across models the coherent-refusal rate
 * against depth, per model the rates per precision and the cosine heatmap of the precisions' directions.
 */
final class SweepFigures {
    private static final Color COHERENT = new Color(0x2ca02c);
    private static final Color GARBLED = new Color(0xd62728);
    private static final Color OTHER = new Color(0xbbbbbb);

    private SweepFigures() {
    }

    /** {@code depth_<model>.png} per model and {@code coherent_vs_depth.png}. */
    static List<Path> writeFamily(Path dir, List<ConditionStats> all) throws IOException {
        List<Path> out = new ArrayList<>();
        Map<String, Map<String, ConditionStats>> best = bestPerLayer(all);
        for (var m : best.entrySet()) {
            out.add(Figures.save(dir.resolve("depth_" + SweepReport.slug(m.getKey()) + ".png"),
                    depth(m.getKey(), m.getValue().values())));
        }
        out.add(Figures.save(dir.resolve("coherent_vs_depth.png"), coherentVsDepth(best)));
        return out;
    }

    /**
     * Per model, per (method, layer) the best condition over multipliers and phases (validation excluded), in
     * method then layer order.
     */
    static Map<String, Map<String, ConditionStats>> bestPerLayer(List<ConditionStats> all) {
        Map<String, Map<String, List<ConditionStats>>> by = new LinkedHashMap<>();
        for (ConditionStats c : all) {
            if (!"validation".equals(c.phase())) {
                by.computeIfAbsent(c.model(), k -> new java.util.TreeMap<>())
                        .computeIfAbsent(String.format(Locale.ROOT, "%s|%04d", c.method(), c.layer()),
                                k -> new ArrayList<>()).add(c);
            }
        }
        Map<String, Map<String, ConditionStats>> out = new LinkedHashMap<>();
        by.forEach((m, cells) -> {
            Map<String, ConditionStats> b = new LinkedHashMap<>();
            cells.forEach((k, cs) -> b.put(k, ConditionStats.best(cs)));
            out.put(m, b);
        });
        return out;
    }

    private static JFreeChart depth(String model, java.util.Collection<ConditionStats> cells) {
        DefaultCategoryDataset data = new DefaultCategoryDataset();
        for (ConditionStats c : cells) {
            String col = String.format(Locale.ROOT, "%s L%d (%s) ×%s", c.method().toUpperCase(Locale.ROOT), c.layer(),
                    SweepReport.pct(c.layerPct()), SummaryCsv.num(c.multiplier()));
            double other = c.refusal().rate() - c.coherent().rate() - c.garbled().rate();
            data.addValue(c.coherent().rate(), "coherent refusal", col);
            data.addValue(c.garbled().rate(), "garbled refusal", col);
            data.addValue(Math.max(0, other), "other refusal (mildly repetitive text)", col);
        }
        StackedBarRenderer r = new StackedBarRenderer();
        r.setSeriesPaint(0, COHERENT);
        r.setSeriesPaint(1, GARBLED);
        r.setSeriesPaint(2, OTHER);
        r.setShadowVisible(false);
        r.setBarPainter(new org.jfree.chart.renderer.category.StandardBarPainter());
        r.setMaximumBarWidth(0.12);
        CategoryAxis x = new CategoryAxis("method, layer (depth), best multiplier");
        x.setCategoryLabelPositions(CategoryLabelPositions.UP_45);
        x.setTickLabelFont(Figures.axis("").getTickLabelFont());
        x.setLabelFont(Figures.axis("").getLabelFont());
        NumberAxis y = Figures.axis("Share of harmless test samples refused");
        y.setRange(0, 1.0);
        CategoryPlot plot = new CategoryPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        plot.addRangeMarker(new ValueMarker(0.6, COHERENT.darker(), dashed()));
        plot.addRangeMarker(new ValueMarker(0.4, Color.GRAY, dashed()));
        return Figures.chart(model + ": refusal of harmless prompts vs layer depth (dashed: 60% Works, 40% Partial)",
                plot);
    }

    private static JFreeChart coherentVsDepth(Map<String, Map<String, ConditionStats>> best) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        DeviationRenderer r = new DeviationRenderer(true, true);
        Map<String, Color> familyColor = new LinkedHashMap<>();
        for (var m : best.entrySet()) {
            Map<Integer, ConditionStats> byLayer = new java.util.TreeMap<>();
            for (ConditionStats c : m.getValue().values()) {
                byLayer.merge(c.layer(), c, (a, b) -> ConditionStats.best(List.of(a, b)));
            }
            ConditionStats first = byLayer.values().iterator().next();
            YIntervalSeries s = new YIntervalSeries(first.family() + " (" + m.getKey() + ")");
            for (ConditionStats c : byLayer.values()) {
                s.add(100.0 * c.layer() / c.nLayers(), c.coherent().rate(), c.coherent().lower(), c.coherent().upper());
            }
            Color color = familyColor.computeIfAbsent(first.family(),
                    f -> Figures.PALETTE[familyColor.size() % Figures.PALETTE.length]);
            int i = data.getSeriesCount();
            data.addSeries(s);
            r.setSeriesPaint(i, color);
            r.setSeriesFillPaint(i, color);
            r.setSeriesStroke(i, new BasicStroke(2.5f));
            r.setSeriesShape(i, new Ellipse2D.Double(-5, -5, 10, 10));
        }
        r.setAlpha(0.12f);
        NumberAxis x = Figures.axis("Layer depth: layer index / number of layers (%)");
        x.setRange(0, 100);
        NumberAxis y = Figures.axis("Coherent refusal rate on harmless prompts (best method and multiplier)");
        y.setRange(-0.02, 1.02);
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.addRangeMarker(new ValueMarker(0.6, COHERENT.darker(), dashed()));
        Figures.style(plot);
        return Figures.chart("Coherent refusal vs depth, one line per family (bands: 95% Wilson intervals)", plot);
    }

    /** Refusal, coherent and garbled rates with their intervals, one point per precision. */
    static JFreeChart ratesPerPrecision(String model, List<ConditionStats> byPrecision) {
        YIntervalSeriesCollection data = new YIntervalSeriesCollection();
        String[] names = {"refusal", "coherent refusal", "garbled refusal"};
        Color[] colors = {Color.DARK_GRAY, COHERENT, GARBLED};
        for (int k = 0; k < names.length; k++) {
            YIntervalSeries s = new YIntervalSeries(names[k]);
            for (int i = 0; i < byPrecision.size(); i++) {
                ConditionStats c = byPrecision.get(i);
                Proportion p = k == 0 ? c.refusal() : k == 1 ? c.coherent() : c.garbled();
                s.add(i + (k - 1) * 0.12, p.rate(), p.lower(), p.upper());
            }
            data.addSeries(s);
        }
        XYErrorRenderer r = new XYErrorRenderer();
        r.setDefaultLinesVisible(false);
        r.setErrorStroke(new BasicStroke(2f));
        r.setCapLength(10);
        for (int k = 0; k < names.length; k++) {
            r.setSeriesPaint(k, colors[k]);
            r.setSeriesShape(k, new Ellipse2D.Double(-6, -6, 12, 12));
        }
        SymbolAxis x = new SymbolAxis("Precision",
                byPrecision.stream().map(ConditionStats::precision).toArray(String[]::new));
        x.setTickLabelFont(Figures.axis("").getTickLabelFont());
        x.setLabelFont(Figures.axis("").getLabelFont());
        x.setGridBandsVisible(false);
        x.setRange(-0.6, byPrecision.size() - 0.4);
        NumberAxis y = Figures.axis("Rate on harmless test samples");
        y.setRange(-0.02, 1.02);
        XYPlot plot = new XYPlot(data, x, y, r);
        Figures.style(plot);
        ConditionStats c0 = byPrecision.get(0);
        return Figures.chart(String.format(Locale.ROOT, "%s: DIM at layer %d, multiplier %s, per precision "
                + "(bars: 95%% Wilson)", model, c0.layer(), SummaryCsv.num(c0.multiplier())), plot);
    }

    /** The precisions × precisions cosine matrix of a model's directions, each cell labelled. */
    static JFreeChart cosineHeatmap(String model, List<String> names, double[][] cos) {
        int n = names.size();
        double[][] xyz = new double[3][n * n];
        XYPlot plot = new XYPlot();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int k = i * n + j;
                xyz[0][k] = j;
                xyz[1][k] = i;
                xyz[2][k] = cos[i][j];
                XYTextAnnotation a = new XYTextAnnotation(String.format(Locale.ROOT, "%.3f", cos[i][j]), j, i);
                a.setFont(Figures.axis("").getLabelFont().deriveFont(java.awt.Font.BOLD));
                a.setPaint(Math.abs(cos[i][j]) > 0.6 ? Color.WHITE : Color.BLACK);
                plot.addAnnotation(a);
            }
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries("cosine", xyz);
        CosineScale scale = new CosineScale();
        XYBlockRenderer r = new XYBlockRenderer();
        r.setPaintScale(scale);
        plot.setDataset(data);
        plot.setRenderer(r);
        String[] labels = names.toArray(String[]::new);
        SymbolAxis x = new SymbolAxis("Precision", labels);
        SymbolAxis y = new SymbolAxis("Precision", labels);
        for (SymbolAxis a : List.of(x, y)) {
            a.setGridBandsVisible(false);
            a.setTickLabelFont(Figures.axis("").getTickLabelFont());
            a.setLabelFont(Figures.axis("").getLabelFont());
            a.setRange(-0.5, n - 0.5);
        }
        plot.setDomainAxis(x);
        plot.setRangeAxis(y);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        JFreeChart chart = new JFreeChart(model + ": cosine of the DIM directions across precisions (> 0.90: preserved)",
                Figures.axis("").getLabelFont().deriveFont(java.awt.Font.BOLD, 22f), plot, false);
        NumberAxis scaleAxis = Figures.axis("cosine");
        scaleAxis.setRange(-1, 1);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setStripWidth(24);
        legend.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Diverging scale: red (−1) through white (0) to blue (1). */
    private static final class CosineScale implements PaintScale {
        @Override
        public double getLowerBound() {
            return -1;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double v) {
            double t = Math.max(-1, Math.min(1, v));
            Color end = t >= 0 ? new Color(0x08306b) : new Color(0x67000d);
            double a = Math.abs(t);
            return new Color(mix(255, end.getRed(), a), mix(255, end.getGreen(), a), mix(255, end.getBlue(), a));
        }

        private static int mix(int from, int to, double t) {
            return (int) Math.round(from + (to - from) * t);
        }
    }

    private static BasicStroke dashed() {
        return new BasicStroke(1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{8f, 6f}, 0f);
    }
}
