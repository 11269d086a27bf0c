package dev.steering.report;

import dev.steering.experiment.ResultColumns;
import dev.steering.experiment.parquet.ParquetSchema;
import dev.steering.experiment.parquet.ParquetWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class StudyReportTest {
    private static final double EPS = 1e-9;

    /** Wilson score interval by hand: (p + z²/2n ± z·sqrt(p(1−p)/n + z²/4n²)) / (1 + z²/n). */
    private static double[] wilson(int k, int n) {
        double z = 1.959963984540054;
        double p = (double) k / n;
        double denom = 1 + z * z / n;
        double centre = (p + z * z / (2 * n)) / denom;
        double half = z * Math.sqrt(p * (1 - p) / n + z * z / (4.0 * n * n)) / denom;
        return new double[]{centre - half, centre + half};
    }

    private static SummaryRow find(List<SummaryRow> summary, Integer layer, String iv, double alpha) {
        return summary.stream().filter(r -> r.setting().equals(new Setting(layer, iv, alpha))).findFirst()
                .orElseThrow(() -> new AssertionError("no summary row " + layer + " " + iv + " " + alpha));
    }

    private static void assertProportion(Proportion p, int k, int n) {
        assertEquals(k, p.successes());
        assertEquals(n, p.trials());
        assertEquals((double) k / n, p.rate(), EPS);
        double[] ci = wilson(k, n);
        assertEquals(ci[0], p.lower(), EPS);
        assertEquals(ci[1], p.upper(), EPS);
    }

    @Test
    void ratesAndWilsonBoundsMatchHandComputation() {
        List<SummaryRow> s = Summary.compute(Fixture.all());
        SummaryRow base = s.get(0);
        assertTrue(base.setting().isBaseline());
        assertProportion(base.refusalHarmTrain(), 2, 10);
        assertProportion(base.refusalHarmTest(), 2, 10);
        assertProportion(base.helpfulBenign(), 9, 10);
        assertProportion(base.falseRefusal(), 0, 10);
        assertEquals(0.05668, base.refusalHarmTest().lower(), 1e-5); // published value for 2/10
        assertEquals(0.50984, base.refusalHarmTest().upper(), 1e-5);

        SummaryRow l8 = find(s, 8, "add", 4.0);
        assertProportion(l8.refusalHarmTrain(), 10, 10);
        assertProportion(l8.refusalHarmTest(), 9, 10);
        assertProportion(l8.coherentRefusalHarmTest(), 8, 10);
        assertProportion(l8.helpfulBenign(), 5, 10);
        assertProportion(l8.falseRefusal(), 4, 10);
        assertProportion(l8.garbled(), 1, 30);
        double tokens = Fixture.condition(8, "add", 4.0, null, 10, 9, 5, 4, 10, 1).stream()
                .mapToInt(r -> (Integer) r.get("n_tokens")).average().orElseThrow();
        assertEquals(tokens, l8.meanTokens(), EPS);
        assertEquals((3 * 1.5 + 3 * 1.6 + 2 * 1.7 + 2 * 1.8) / 10, l8.meanEntropy(), EPS); // i % 4 over 10 prompts
    }

    @Test
    void alphaZeroPointsReuseTheBaseline() {
        List<SummaryRow> s = Summary.compute(Fixture.all());
        assertEquals(1 + 2 * 2 * 3, s.size());
        SummaryRow base = s.get(0);
        for (int layer : new int[]{4, 8}) {
            for (String iv : List.of("add", "ablate")) {
                SummaryRow zero = find(s, layer, iv, 0);
                assertTrue(zero.fromBaseline());
                assertEquals(base.refusalHarmTest(), zero.refusalHarmTest());
                assertEquals(base.helpfulBenign(), zero.helpfulBenign());
                assertEquals(base.gap(), zero.gap());
                assertEquals(0, zero.helpfulnessDrop().value(), EPS);
                assertFalse(find(s, layer, iv, 2.0).fromBaseline());
            }
        }
    }

    @Test
    void gapAndHelpfulnessDrop() {
        List<SummaryRow> s = Summary.compute(Fixture.all());
        SummaryRow l4 = find(s, 4, "add", 4.0);
        assertEquals(0.8 - 0.6, l4.gap().value(), EPS);
        assertEquals(0.9 - 0.6, l4.helpfulnessDrop().value(), EPS);
        assertTrue(l4.gap().lower() < l4.gap().value() && l4.gap().value() < l4.gap().upper());
        // Newcombe's interval from the two Wilson intervals, by hand.
        double[] a = wilson(8, 10);
        double[] b = wilson(6, 10);
        assertEquals(0.2 - Math.sqrt(Math.pow(0.8 - a[0], 2) + Math.pow(b[1] - 0.6, 2)), l4.gap().lower(), EPS);
        assertEquals(0.2 + Math.sqrt(Math.pow(a[1] - 0.8, 2) + Math.pow(0.6 - b[0], 2)), l4.gap().upper(), EPS);
        assertEquals(0.1, find(s, 8, "add", 4.0).gap().value(), EPS);
    }

    @Test
    void paretoFrontier() {
        // (refusal, drop): A (0.2, 0) B (0.5, 0.1) C (0.5, 0.3) dominated by B, D (0.9, 0.4), E identical to B, F NaN.
        boolean[] f = Summary.pareto(new double[]{0.2, 0.5, 0.5, 0.9, 0.5, Double.NaN},
                new double[]{0, 0.1, 0.3, 0.4, 0.1, 0});
        assertArrayEquals(new boolean[]{true, true, false, true, true, false}, f);

        List<SummaryRow> s = Summary.compute(Fixture.all());
        List<String> frontier = s.stream().filter(SummaryRow::pareto).map(r -> r.setting().label()).toList();
        assertEquals(List.of("L8 add α=2", "L8 add α=4"), frontier);
    }

    @Test
    void checkRowsAreExcludedFromTheSummary() {
        assertEquals(Summary.compute(Fixture.mainGrid()), Summary.compute(Fixture.all()));
    }

    @Test
    void malformedRowsAreNamed() {
        List<Map<String, Object>> rows = Fixture.mainGrid();
        rows.get(3).put("split", "harm_val");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Summary.compute(rows));
        assertTrue(e.getMessage().contains("row 3") && e.getMessage().contains("harm_val"), e.getMessage());
        List<Map<String, Object>> noBaseline = new ArrayList<>(Fixture.mainGrid().subList(30, 60));
        assertThrows(IllegalArgumentException.class, () -> Summary.compute(noBaseline));
    }

    @Test
    void csvRoundTrip(@TempDir Path dir) throws IOException {
        List<SummaryRow> s = Summary.compute(Fixture.all());
        Path csv = dir.resolve(SummaryCsv.FILE);
        SummaryCsv.write(csv, s);
        List<String> lines = Files.readAllLines(csv);
        assertEquals(String.join(",", SummaryCsv.COLUMNS), lines.get(0));
        assertTrue(lines.get(1).startsWith(",none,0,true,10,0.2,0.056"), lines.get(1));
        List<SummaryRow> back = SummaryCsv.read(csv);
        assertEquals(s.size(), back.size());
        for (int i = 0; i < s.size(); i++) {
            SummaryRow a = s.get(i);
            SummaryRow b = back.get(i);
            assertEquals(a.setting(), b.setting());
            assertEquals(a.fromBaseline(), b.fromBaseline());
            assertEquals(a.pareto(), b.pareto());
            List<Proportion> pa = List.of(a.refusalHarmTrain(), a.refusalHarmTest(), a.falseRefusal(),
                    a.helpfulBenign(), a.coherentRefusalHarmTest(), a.garbled());
            List<Proportion> pb = List.of(b.refusalHarmTrain(), b.refusalHarmTest(), b.falseRefusal(),
                    b.helpfulBenign(), b.coherentRefusalHarmTest(), b.garbled());
            for (int j = 0; j < pa.size(); j++) {
                assertEquals(pa.get(j).successes(), pb.get(j).successes());
                assertEquals(pa.get(j).trials(), pb.get(j).trials());
                assertEquals(pa.get(j).rate(), pb.get(j).rate(), 1e-6);
                assertEquals(pa.get(j).lower(), pb.get(j).lower(), 1e-6);
                assertEquals(pa.get(j).upper(), pb.get(j).upper(), 1e-6);
            }
            assertEquals(a.gap().value(), b.gap().value(), 1e-6);
            assertEquals(a.gap().lower(), b.gap().lower(), 1e-6);
            assertEquals(a.helpfulnessDrop().upper(), b.helpfulnessDrop().upper(), 1e-6);
            assertEquals(a.meanTokens(), b.meanTokens(), 1e-6);
            assertEquals(a.meanEntropy(), b.meanEntropy(), 1e-6);
        }
    }

    @Test
    void examplesShowFivePromptsPerSplitEscaped() {
        List<Map<String, Object>> rows = Fixture.all();
        String md = Examples.render(rows, Summary.compute(rows));
        assertTrue(md.contains("Steered condition: **L8 add α=4**"), md);
        for (String split : ResultColumns.SPLITS) {
            assertTrue(md.contains("## " + split + "\n"), split);
            for (int i = 0; i < 5; i++) {
                assertTrue(md.contains("**" + split + "-" + i + "**"), split + "-" + i);
            }
            assertFalse(md.contains("**" + split + "-5**"), split + "-5");
        }
        assertTrue(md.contains("Sure \\| here is how:<br>1. step one<br>2. step two"), md);
        assertTrue(md.contains("matches: \"I can't\" (+1.0)"), md);
        // Every table line has exactly the 6 unescaped pipes of a 5-column row.
        md.lines().filter(l -> l.startsWith("| ")).forEach(l ->
                assertEquals(6, l.replace("\\|", "").chars().filter(c -> c == '|').count(), l));
        assertEquals("a \\| b<br>c<br>d &lt;br> \\\\", Examples.cell("a | b\r\nc\nd <br> \\"));
    }

    @Test
    void confoundFullyExplainedByLengthShrinksTheSteeredCoefficient() {
        // Short outputs refuse, long ones don't; steering makes outputs short more often. Entropy is noise.
        List<Map<String, Object>> base = new ArrayList<>();
        List<Map<String, Object>> steered = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            boolean shortB = i < 4;
            boolean shortS = i < 16;
            base.add(confoundRow(i, shortB, null));
            steered.add(confoundRow(i, shortS, 4));
        }
        ConfoundResult c = SanityReport.confound(new Setting(4, "add", 4.0), base, steered);
        assertEquals(40, c.n());
        assertEquals(0.8 - 0.2, c.steeredAlone(), 1e-9);
        assertEquals(0, c.steeredControlled(), 1e-9);
        assertEquals(1, c.explainedShare(), 1e-9);
        assertTrue(c.perToken() < 0);
        assertEquals("", c.note());

        // Refusal independent of length: the steered coefficient stays.
        List<Map<String, Object>> steered2 = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            Map<String, Object> r = confoundRow(i, i < 4, 4);
            r.put("is_refusal", i < 16);
            steered2.add(r);
        }
        ConfoundResult d = SanityReport.confound(new Setting(4, "add", 4.0), base, steered2);
        assertEquals(0.6, d.steeredAlone(), 1e-9);
        assertTrue(d.steeredControlled() > 0.5, String.valueOf(d.steeredControlled()));
    }

    private static Map<String, Object> confoundRow(int i, boolean shortOutput, Integer layer) {
        Map<String, Object> r = Fixture.row("harm_test", i, layer, layer == null ? "none" : "add",
                layer == null ? 0 : 4.0, null, 1, shortOutput, false, "coherent");
        r.put("n_tokens", shortOutput ? 20 : 90);
        r.put("mean_entropy", 1.0 + ((i * 7) % 5) * 0.1);
        return r;
    }

    @Test
    void sanityReportComparesRerunsOnTheSameSubset(@TempDir Path dir) throws IOException {
        List<CheckComparison> seed = SanityReport.compare(Fixture.all(), "seed");
        Map<String, CheckComparison> bySplit = new HashMap<>();
        seed.forEach(c -> bySplit.put(c.split() + "/" + c.measure(), c));
        assertEquals(4, seed.size());
        assertEquals(1.0, bySplit.get("harm_test/refusal").main().rate(), EPS);
        assertEquals(0.75, bySplit.get("harm_test/refusal").rerun().rate(), EPS);
        assertEquals(-0.25, bySplit.get("harm_test/refusal").change(), EPS);
        assertEquals(4, bySplit.get("harm_test/refusal").main().trials());
        assertEquals(0.25, bySplit.get("benign/helpful").change(), EPS);
        assertEquals(-0.5, bySplit.get("benign/refusal").change(), EPS);

        Files.writeString(dir.resolve(SanityReport.TEMPLATE_FILE),
                "{\"cosine_to_original\": {\"layer_4\": 0.93, \"layer_8\": 0.871}, \"templates\": [\"alt\"]}");
        String md = SanityReport.render(dir, Fixture.all());
        assertTrue(md.contains("| layer_4 | 0.9300 | pass |"), md);
        assertTrue(md.contains("| layer_8 | 0.8710 | pass |"), md);
        assertTrue(md.contains("Thresholds: template cosine ≥ 0.800"), md);
        assertTrue(md.contains("| L8 add α=4 | harm_test | refusal | 1.000 | 0.500 | -0.500 | **fail** | 4 / 4 |"), md);
        assertTrue(md.contains("| L8 add α=4 | harm_test | refusal | 1.000 | 0.750 | -0.250 | **fail** | 4 / 4 |"), md);
        assertTrue(md.contains("## Entropy / length confound"), md);
        assertTrue(md.contains("| L8 add α=4 | 20 | 0.700 ("), md);
        assertFalse(md.contains("`{"), "no raw JSON in the report: " + md);
    }

    @Test
    void figuresAreLegiblePngs(@TempDir Path dir) throws IOException {
        List<Path> files = new ArrayList<>(Figures.write(dir, Summary.compute(Fixture.all())));
        List<Path> withPoint = Figures.write(dir, Summary.compute(Fixture.all()), new Setting(8, "add", 4.0), 0.1);
        assertEquals("operating_point.png", withPoint.get(withPoint.size() - 1).getFileName().toString());
        files.addAll(withPoint.subList(withPoint.size() - 1, withPoint.size()));
        assertEquals(List.of("gap_vs_alpha.png", "tradeoff.png", "kl_tradeoff.png", "heatmap_refusal_harm_test_ablate.png",
                        "heatmap_helpful_benign_ablate.png", "heatmap_refusal_harm_test_add.png",
                        "heatmap_helpful_benign_add.png", "operating_point.png"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path f : files) {
            assertTrue(Files.size(f) > 20_000, f + " is only " + Files.size(f) + " bytes");
            BufferedImage img = ImageIO.read(f.toFile());
            assertEquals(Figures.WIDTH, img.getWidth());
            assertEquals(Figures.HEIGHT, img.getHeight());
        }
    }

    @Test
    void fromRunDirReadsTheParquetAndWritesEverything() throws IOException {
        Path run = Path.of("target", "report-test-run");
        Files.createDirectories(run);
        ParquetWriter.write(run.resolve("results.parquet"), ResultColumns.SCHEMA, Fixture.all(), Map.of());
        Files.writeString(run.resolve(SanityReport.TEMPLATE_FILE), "{\"cosine_to_original\": {\"layer_4\": 0.93}}");
        List<Path> written = StudyReport.fromRunDir(run);
        assertEquals(1 + 7 + 2, written.size());
        for (Path p : written) {
            assertTrue(Files.isRegularFile(p), p.toString());
        }
        List<SummaryRow> expected = Summary.compute(Fixture.all());
        List<SummaryRow> csv = SummaryCsv.read(run.resolve("summary.csv"));
        assertEquals(expected.size(), csv.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).setting(), csv.get(i).setting());
            assertEquals(expected.get(i).refusalHarmTest().rate(), csv.get(i).refusalHarmTest().rate(), 1e-6);
            assertEquals(expected.get(i).helpfulnessDrop().value(), csv.get(i).helpfulnessDrop().value(), 1e-6);
        }
        assertTrue(Files.readString(run.resolve("reports/examples.md")).contains("L8 add α=4"));
        assertTrue(Files.readString(run.resolve("reports/sanity.md")).contains("| layer_4 | 0.9300 |"));
        try (Stream<Path> left = Files.list(run)) {
            assertTrue(left.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")));
        }
    }

    @Test
    void fromRunDirNamesAMissingFileOrAWrongSchema(@TempDir Path dir) throws IOException {
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> StudyReport.fromRunDir(dir));
        assertTrue(missing.getMessage().contains(dir.resolve("results.parquet").toString()), missing.getMessage());
        assertTrue(missing.getMessage().contains("run the study first"), missing.getMessage());

        ParquetSchema other = ParquetSchema.builder().string("prompt_id").int64("layer", true).build();
        ParquetWriter.write(dir.resolve("results.parquet"), other,
                List.of(Map.of("prompt_id", "p")), Map.of());
        IOException wrong = assertThrows(IOException.class, () -> StudyReport.fromRunDir(dir));
        assertTrue(wrong.getMessage().contains("results.parquet: wrong schema"), wrong.getMessage());
        assertTrue(wrong.getMessage().contains("missing column 'split'"), wrong.getMessage());
        assertTrue(wrong.getMessage().contains("column 'layer' is INT64, expected INT32"), wrong.getMessage());
    }
}
