package dev.steering.report;

import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.LegendItem;
import org.jfree.chart.LegendItemCollection;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.CombinedRangeXYPlot;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.DeviationRenderer;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.data.xy.YIntervalSeries;
import org.jfree.data.xy.YIntervalSeriesCollection;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.geom.Ellipse2D;
import java.awt.geom.Rectangle2D;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;

/**
 * Draws the study figures from the summary as PNG files (headless). See {@code docs/pipeline-outputs.md}:
 * {@code gap_vs_alpha.png}, {@code tradeoff.png}, {@code kl_tradeoff.png}, per intervention
 * {@code heatmap_refusal_harm_test_<iv>.png} and {@code heatmap_helpful_benign_<iv>.png}, and with an operating point
 * {@code operating_point.png}.
 */
public final class Figures {
    static {
        System.setProperty("java.awt.headless", "true"); // before any AWT rendering class is initialized
    }

    /** Width of every figure in pixels. */
    public static final int WIDTH = 1200;
    /** Height of every figure in pixels. */
    public static final int HEIGHT = 800;

    private static final Font TITLE = new Font(Font.SANS_SERIF, Font.BOLD, 24);
    private static final Font LABEL = new Font(Font.SANS_SERIF, Font.PLAIN, 18);
    private static final Font TICK = new Font(Font.SANS_SERIF, Font.PLAIN, 15);
    private static final Font CELL = new Font(Font.SANS_SERIF, Font.BOLD, 15);
    static final Color[] PALETTE = {new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c),
            new Color(0xff7f0e), new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x17becf)};

    private Figures() {
    }

    /**
     * Writes all figures into {@code dir} (created if needed), each through a temporary file and an atomic rename.
     *
     * @param summary the output of {@link Summary#compute}
     * @return the files written
     */
    public static List<Path> write(Path dir, List<SummaryRow> summary) throws IOException {
        return write(dir, summary, null, Double.NaN);
    }

    /**
     * Writes all figures, and when {@code chosen} is given the Pareto front of harm_test coherent refusal against
     * benign {@code kl_first_token} with that point marked and the KL budget drawn ({@code operating_point.png}).
     *
     * @param chosen the operating point, or null
     * @param maxKl  the KL budget (NaN: not drawn)
     */
    public static List<Path> write(Path dir, List<SummaryRow> summary, Setting chosen, double maxKl)
            throws IOException {
        List<Path> out = new ArrayList<>();
        out.add(save(dir.resolve("gap_vs_alpha.png"), gapVsAlpha(summary)));
        out.add(save(dir.resolve("tradeoff.png"), tradeoff(summary)));
        out.add(save(dir.resolve("kl_tradeoff.png"), klTradeoff(summary)));
        for (String iv : interventions(summary)) {
            out.add(save(dir.resolve("heatmap_refusal_harm_test_" + iv + ".png"), heatmap(summary, iv,
                    "Refusal rate on harm_test", r -> r.refusalHarmTest().rate())));
            out.add(save(dir.resolve("heatmap_helpful_benign_" + iv + ".png"), heatmap(summary, iv,
                    "Helpful rate on benign prompts", r -> r.helpfulBenign().rate())));
        }
        if (chosen != null) {
            out.add(save(dir.resolve("operating_point.png"), operatingPoint(summary, chosen, maxKl)));
        }
        return out;
    }

    /** Writes {@code chart} as a PNG of {@link #WIDTH} × {@link #HEIGHT} atomically. */
    static Path save(Path file, JFreeChart chart) throws IOException {
        AtomicWrite.write(file, o -> ChartUtils.writeChartAsPNG(o, chart, WIDTH, HEIGHT));
        return file;
    }

    private static List<String> interventions(List<SummaryRow> summary) {
        return summary.stream().filter(r -> !r.setting().isBaseline()).map(r -> r.setting().intervention())
                .distinct().toList();
    }

    private static List<Integer> layers(List<SummaryRow> summary) {
        return new ArrayList<>(summary.stream().filter(r -> !r.setting().isBaseline()).map(r -> r.setting().layer())
                .collect(Collectors.toCollection(TreeSet::new)));
    }

    static Color layerColor(List<Integer> layers, Integer layer) {
        return PALETTE[layers.indexOf(layer) % PALETTE.length];
    }

    /** One panel per intervention (own α axis, shared gap axis); a line with a 95% band per layer. */
    private static JFreeChart gapVsAlpha(List<SummaryRow> summary) {
        List<Integer> layers = layers(summary);
        NumberAxis gapAxis = axis("Generalization gap: refusal(harm_train) − refusal(harm_test)");
        CombinedRangeXYPlot plot = new CombinedRangeXYPlot(gapAxis);
        plot.setGap(24);
        for (String iv : interventions(summary)) {
            YIntervalSeriesCollection data = new YIntervalSeriesCollection();
            DeviationRenderer renderer = new DeviationRenderer(true, true);
            for (Integer layer : layers) {
                YIntervalSeries s = new YIntervalSeries("layer " + layer);
                for (SummaryRow r : summary) {
                    if (iv.equals(r.setting().intervention()) && layer.equals(r.setting().layer())
                            && !Double.isNaN(r.gap().value())) {
                        s.add(r.setting().alpha(), r.gap().value(), r.gap().lower(), r.gap().upper());
                    }
                }
                if (s.getItemCount() > 0) {
                    Color c = layerColor(layers, layer);
                    int i = data.getSeriesCount();
                    data.addSeries(s);
                    renderer.setSeriesPaint(i, c);
                    renderer.setSeriesFillPaint(i, c);
                    renderer.setSeriesStroke(i, new BasicStroke(2.5f));
                    renderer.setSeriesShape(i, new Ellipse2D.Double(-4, -4, 8, 8));
                }
            }
            renderer.setAlpha(0.15f);
            XYPlot sub = new XYPlot(data, axis("ablate".equals(iv) ? "α (ablate; 1 = full projection, > 1 = over-subtraction)"
                    : "α (" + iv + ")"), null, renderer);
            sub.addRangeMarker(new ValueMarker(0, Color.DARK_GRAY, new BasicStroke(1f)));
            style(sub);
            plot.add(sub, 1);
        }
        LegendItemCollection legend = new LegendItemCollection();
        for (Integer layer : layers) {
            legend.add(new LegendItem("layer " + layer, layerColor(layers, layer)));
        }
        plot.setFixedLegendItems(legend);
        return chart("Generalization gap vs steering strength (bands: 95% Newcombe intervals)", plot);
    }

    /** x: harm_test refusal, y: benign helpfulness drop; one line per (layer, intervention) through its α values. */
    private static JFreeChart tradeoff(List<SummaryRow> summary) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        addSettingSeries(summary, r -> r.refusalHarmTest().rate(), r -> r.helpfulnessDrop().value(), data, renderer);
        XYSeries front = new XYSeries("Pareto frontier", false);
        XYSeries base = new XYSeries("baseline (= α 0)", false);
        List<XYTextAnnotation> labels = new ArrayList<>();
        for (SummaryRow r : summary) {
            if (r.setting().isBaseline()) {
                base.add(r.refusalHarmTest().rate(), r.helpfulnessDrop().value());
            } else if (r.pareto() && !r.fromBaseline()) {
                front.add(r.refusalHarmTest().rate(), r.helpfulnessDrop().value());
                XYTextAnnotation a = new XYTextAnnotation("  " + r.setting().label(), r.refusalHarmTest().rate(),
                        r.helpfulnessDrop().value());
                a.setFont(TICK);
                a.setTextAnchor(TextAnchor.BOTTOM_LEFT);
                labels.add(a);
            }
        }
        int fi = data.getSeriesCount();
        data.addSeries(front);
        renderer.setSeriesLinesVisible(fi, false);
        renderer.setSeriesPaint(fi, Color.BLACK);
        renderer.setSeriesShapesFilled(fi, false);
        renderer.setSeriesShape(fi, new Ellipse2D.Double(-9, -9, 18, 18));
        renderer.setSeriesStroke(fi, new BasicStroke(2.5f));
        int bi = data.getSeriesCount();
        data.addSeries(base);
        renderer.setSeriesLinesVisible(bi, false);
        renderer.setSeriesPaint(bi, Color.BLACK);
        renderer.setSeriesShape(bi, new Rectangle2D.Double(-6, -6, 12, 12));
        NumberAxis x = axis("Refusal rate on harm_test (higher = stronger steering)");
        x.setRange(-0.02, 1.05);
        NumberAxis y = axis("Benign helpfulness drop vs baseline (lower = better)");
        y.setAutoRangeIncludesZero(true);
        y.setAutoRangeStickyZero(false); // keep a margin below 0 so points at zero drop are not clipped
        XYPlot plot = new XYPlot(data, x, y, renderer);
        labels.forEach(plot::addAnnotation);
        style(plot);
        return chart("Steering trade-off (solid/circles: add, dashed/squares: ablate)", plot);
    }

    /**
     * One line per (layer, intervention) through its α values at ({@code x}, {@code y}), points with a NaN
     * coordinate left out: coloured by layer, solid with circles for add, dashed with squares for ablate.
     */
    private static void addSettingSeries(List<SummaryRow> summary, java.util.function.ToDoubleFunction<SummaryRow> x,
                                         java.util.function.ToDoubleFunction<SummaryRow> y, XYSeriesCollection data,
                                         XYLineAndShapeRenderer renderer) {
        List<Integer> layers = layers(summary);
        Map<String, List<SummaryRow>> bySeries = new LinkedHashMap<>();
        for (SummaryRow r : summary) {
            if (!r.setting().isBaseline()) {
                bySeries.computeIfAbsent(r.setting().series(), k -> new ArrayList<>()).add(r);
            }
        }
        for (List<SummaryRow> rs : bySeries.values()) {
            Setting first = rs.get(0).setting();
            XYSeries s = new XYSeries(first.series(), false);
            for (SummaryRow r : rs) {
                double px = x.applyAsDouble(r);
                double py = y.applyAsDouble(r);
                if (!Double.isNaN(px) && !Double.isNaN(py)) {
                    s.add(px, py);
                }
            }
            int i = data.getSeriesCount();
            data.addSeries(s);
            renderer.setSeriesPaint(i, layerColor(layers, first.layer()));
            boolean add = "add".equals(first.intervention());
            renderer.setSeriesStroke(i, add ? new BasicStroke(2.5f)
                    : new BasicStroke(2.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10f, new float[]{9f, 6f}, 0f));
            renderer.setSeriesShape(i, add ? new Ellipse2D.Double(-4, -4, 8, 8) : new Rectangle2D.Double(-4, -4, 8, 8));
        }
    }

    /** x: mean benign {@code kl_first_token}, y: harm_test coherent refusal; one line per (layer, intervention). */
    private static JFreeChart klTradeoff(List<SummaryRow> summary) {
        XYSeriesCollection data = new XYSeriesCollection();
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true);
        addSettingSeries(summary, r -> r.sideEffects().klFirstTokenBenign().value(),
                r -> r.coherentRefusalHarmTest().rate(), data, renderer);
        NumberAxis x = axis("Mean KL(unsteered ‖ steered) at the first generated token, benign prompts (nats)");
        x.setAutoRangeIncludesZero(true);
        NumberAxis y = axis("Coherent-refusal rate on harm_test");
        y.setRange(-0.02, 1.05);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        style(plot);
        return chart("Refusal vs KL side effect (solid/circles: add, dashed/squares: ablate)", plot);
    }

    /**
     * Every grid point as (benign KL, harm_test coherent refusal), the Pareto front (higher refusal, lower KL) joined,
     * the KL budget as a vertical line and the operating point marked.
     */
    private static JFreeChart operatingPoint(List<SummaryRow> summary, Setting chosen, double maxKl) {
        List<SummaryRow> pts = summary.stream().filter(r -> !r.fromBaseline() || r.setting().isBaseline())
                .filter(r -> !Double.isNaN(r.sideEffects().klFirstTokenBenign().value())).toList();
        double[] refusal = pts.stream().mapToDouble(r -> r.coherentRefusalHarmTest().rate()).toArray();
        double[] kl = pts.stream().mapToDouble(r -> r.sideEffects().klFirstTokenBenign().value()).toArray();
        boolean[] front = Summary.pareto(refusal, kl);
        XYSeries all = new XYSeries("grid points", false);
        XYSeries frontier = new XYSeries("Pareto front (higher refusal, lower KL)", false);
        XYSeries mark = new XYSeries("operating point " + chosen.label(), false);
        List<int[]> order = new ArrayList<>();
        for (int i = 0; i < pts.size(); i++) {
            all.add(kl[i], refusal[i]);
            if (front[i]) {
                order.add(new int[]{i});
            }
            if (pts.get(i).setting().equals(chosen)) {
                mark.add(kl[i], refusal[i]);
            }
        }
        order.sort((a, b) -> Double.compare(kl[a[0]], kl[b[0]]));
        order.forEach(o -> frontier.add(kl[o[0]], refusal[o[0]]));
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(all);
        data.addSeries(frontier);
        data.addSeries(mark);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(false, true);
        renderer.setSeriesPaint(0, Color.GRAY);
        renderer.setSeriesShape(0, new Ellipse2D.Double(-4, -4, 8, 8));
        renderer.setSeriesLinesVisible(1, true);
        renderer.setSeriesPaint(1, Color.BLACK);
        renderer.setSeriesStroke(1, new BasicStroke(2f));
        renderer.setSeriesShape(1, new Ellipse2D.Double(-6, -6, 12, 12));
        renderer.setSeriesShapesFilled(1, false);
        renderer.setSeriesPaint(2, PALETTE[1]);
        renderer.setSeriesShape(2, new Rectangle2D.Double(-9, -9, 18, 18));
        NumberAxis x = axis("Mean KL(unsteered ‖ steered) at the first generated token, benign prompts (nats)");
        x.setAutoRangeIncludesZero(true);
        NumberAxis y = axis("Coherent-refusal rate on harm_test");
        y.setRange(-0.02, 1.05);
        XYPlot plot = new XYPlot(data, x, y, renderer);
        if (!Double.isNaN(maxKl)) {
            plot.addDomainMarker(new ValueMarker(maxKl, PALETTE[1], new BasicStroke(1.5f, BasicStroke.CAP_BUTT,
                    BasicStroke.JOIN_MITER, 10f, new float[]{6f, 6f}, 0f)));
        }
        for (int i = 0; i < pts.size(); i++) {
            if (front[i] || pts.get(i).setting().equals(chosen)) {
                XYTextAnnotation a = new XYTextAnnotation("  " + pts.get(i).setting().label(), kl[i], refusal[i]);
                a.setFont(TICK);
                a.setTextAnchor(TextAnchor.BOTTOM_LEFT);
                plot.addAnnotation(a);
            }
        }
        style(plot);
        return chart("Pareto front: refusal vs KL (dashed: KL budget; square: operating point chosen on training"
                + " splits)", plot);
    }

    /** Layer × α grid for one intervention, colored by {@code value} in [0, 1], each cell labelled with its value. */
    private static JFreeChart heatmap(List<SummaryRow> summary, String iv, String what,
                                      ToDoubleFunction<SummaryRow> value) {
        List<SummaryRow> rs = summary.stream().filter(r -> iv.equals(r.setting().intervention())).toList();
        return heatmap(what + " — intervention " + iv + " (α 0 = baseline)", what,
                rs.stream().map(r -> new Cell(r.setting().layer(), r.setting().alpha(), value.applyAsDouble(r)))
                        .toList());
    }

    /**
     * One cell of a layer × α heatmap.
     *
     * @param layer the row
     * @param alpha the column
     * @param value the colour, in [0, 1] (NaN: grey, "n/a")
     */
    record Cell(int layer, double alpha, double value) {
    }

    /** Layer × α grid colored by each cell's value in [0, 1], each cell labelled with its value. */
    static JFreeChart heatmap(String title, String what, List<Cell> cells) {
        List<Double> alphas = new ArrayList<>(cells.stream().map(Cell::alpha)
                .collect(Collectors.toCollection(TreeSet::new)));
        List<Integer> layers = new ArrayList<>(cells.stream().map(Cell::layer)
                .collect(Collectors.toCollection(TreeSet::new)));
        double[][] xyz = new double[3][cells.size()];
        XYPlot plot = new XYPlot();
        for (int i = 0; i < cells.size(); i++) {
            Cell c = cells.get(i);
            xyz[0][i] = alphas.indexOf(c.alpha());
            xyz[1][i] = layers.indexOf(c.layer());
            xyz[2][i] = c.value();
            XYTextAnnotation a = new XYTextAnnotation(Double.isNaN(xyz[2][i]) ? "n/a"
                    : String.format(Locale.ROOT, "%.2f", xyz[2][i]), xyz[0][i], xyz[1][i]);
            a.setFont(CELL);
            a.setPaint(Scale.text(xyz[2][i]));
            plot.addAnnotation(a);
        }
        DefaultXYZDataset data = new DefaultXYZDataset();
        data.addSeries(what, xyz);
        Scale scale = new Scale();
        XYBlockRenderer renderer = new XYBlockRenderer();
        renderer.setPaintScale(scale);
        plot.setDataset(data);
        plot.setRenderer(renderer);
        SymbolAxis x = new SymbolAxis("α", alphas.stream().map(Setting::formatAlpha).toArray(String[]::new));
        SymbolAxis y = new SymbolAxis("Layer", layers.stream().map(String::valueOf).toArray(String[]::new));
        for (ValueAxis a : List.of(x, y)) {
            a.setLabelFont(LABEL);
            a.setTickLabelFont(TICK);
        }
        x.setGridBandsVisible(false);
        y.setGridBandsVisible(false);
        plot.setDomainAxis(x);
        plot.setRangeAxis(y);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        plot.setBackgroundPaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, TITLE, plot, false);
        NumberAxis scaleAxis = new NumberAxis(what);
        scaleAxis.setRange(0, 1);
        scaleAxis.setLabelFont(LABEL);
        scaleAxis.setTickLabelFont(TICK);
        PaintScaleLegend legend = new PaintScaleLegend(scale, scaleAxis);
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setStripWidth(24);
        legend.setMargin(new RectangleInsets(10, 10, 10, 10));
        legend.setBackgroundPaint(Color.WHITE);
        chart.addSubtitle(legend);
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /** Sequential scale from near-white (0) to dark blue (1), with no good/bad connotation; grey for NaN. */
    private static final class Scale implements PaintScale {
        private static final Color LOW = new Color(0xf7fbff);
        private static final Color HIGH = new Color(0x08306b);

        @Override
        public double getLowerBound() {
            return 0;
        }

        @Override
        public double getUpperBound() {
            return 1;
        }

        @Override
        public Paint getPaint(double value) {
            if (Double.isNaN(value)) {
                return Color.GRAY;
            }
            double t = Math.max(0, Math.min(1, value));
            return new Color(mix(LOW.getRed(), HIGH.getRed(), t), mix(LOW.getGreen(), HIGH.getGreen(), t),
                    mix(LOW.getBlue(), HIGH.getBlue(), t));
        }

        private static int mix(int a, int b, double t) {
            return (int) Math.round(a + (b - a) * t);
        }

        /** Cell label colour readable on {@link #getPaint}. */
        static Color text(double value) {
            return !Double.isNaN(value) && value > 0.4 ? Color.WHITE : Color.BLACK;
        }
    }

    static NumberAxis axis(String label) {
        NumberAxis a = new NumberAxis(label);
        a.setLabelFont(LABEL);
        a.setTickLabelFont(TICK);
        a.setAutoRangeIncludesZero(false);
        return a;
    }

    static void style(XYPlot plot) {
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
    }

    static JFreeChart chart(String title, org.jfree.chart.plot.Plot plot) {
        JFreeChart chart = new JFreeChart(title, TITLE, plot, true);
        chart.setBackgroundPaint(Color.WHITE);
        LegendTitle legend = chart.getLegend();
        legend.setItemFont(LABEL);
        legend.setPosition(RectangleEdge.BOTTOM);
        TextTitle t = chart.getTitle();
        t.setMargin(new RectangleInsets(8, 8, 8, 8));
        return chart;
    }
}
