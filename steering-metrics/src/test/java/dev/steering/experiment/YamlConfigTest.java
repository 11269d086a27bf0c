package dev.steering.experiment;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A user's config lists only what it changes; errors name the key, the nearest known key and the value. */
class YamlConfigTest {
    @TempDir
    Path tmp;

    /** The real bundled configs of the examples module. */
    private static final ExperimentConfig.BundledConfigs BUNDLED = new ExperimentConfig.BundledConfigs() {
        @Override
        public InputStream open(String name) throws IOException {
            Path p = Path.of("../steering-examples/configs", name + ".yaml");
            return Files.isRegularFile(p) ? new ByteArrayInputStream(Files.readAllBytes(p)) : null;
        }

        @Override
        public List<String> names() {
            return List.of("default", "smoke", "pythia-160m", "toxicity");
        }
    };

    private ExperimentConfig load(String yaml, String... overrides) throws IOException {
        Path f = tmp.resolve("my.yaml");
        Files.writeString(f, yaml, StandardCharsets.UTF_8);
        return ExperimentConfig.load(f.toString(), List.of(overrides), BUNDLED);
    }

    private String error(String yaml, String... overrides) {
        return assertThrows(IllegalArgumentException.class, () -> load(yaml, overrides)).getMessage();
    }

    @Test
    void aTwoLineConfigTakesEverythingElseFromTheDefaults() throws IOException {
        ExperimentConfig defaults = ExperimentConfig.load("default", List.of(), BUNDLED);
        ExperimentConfig c = load("experiment:\n  alphas: [0, 12]\n");
        assertEquals(List.of(0.0, 12.0), c.experiment().alphas().of("add"));     // a list replaces the add grid
        assertEquals(ExperimentConfig.Alphas.DEFAULT_ABLATE, c.experiment().alphas().of("ablate"));
        assertEquals(defaults.experiment().layers(), c.experiment().layers());     // its siblings stay
        assertEquals(defaults.experiment().interventions(), c.experiment().interventions());
        assertEquals(defaults.model(), c.model());
        assertEquals(defaults.sanityChecks(), c.sanityChecks());
        ExperimentConfig nested = load("sanity_checks: {alt_prefixes: {refusal_prefix: \" No.\"}}\n",
                "generation.max_new_tokens=5");
        assertEquals(" No.", nested.sanityChecks().altPrefixes().refusalPrefix());
        assertEquals(defaults.sanityChecks().altPrefixes().compliancePrefix(),
                nested.sanityChecks().altPrefixes().compliancePrefix());
        assertEquals(5, nested.generation().maxNewTokens());
        assertEquals(defaults, load("{}\n"));
    }

    @Test
    void aToxicityConfigMergesOverTheToxicityDefaults() throws IOException {
        Path f = tmp.resolve("tox.yaml");
        Files.writeString(f, "study: toxicity\nexperiment: {alphas: [0, 2]}\n");
        ToxicityConfig c = ToxicityConfig.load(YamlConfig.read(f.toString(), BUNDLED), List.of());
        assertEquals(List.of(0.0, 2.0), c.experiment().alphas());
        assertEquals("bundled:toxicity-tiny", c.classifier().name());
    }

    @Test
    void anUnknownKeyIsNamedWithTheNearestKnownOne() {
        String e = error("experiment:\n  layerz: [1]\n");
        assertTrue(e.contains("unknown key 'experiment.layerz' (did you mean 'experiment.layers'?)"), e);
        assertFalse(e.contains("device"), e);
        String m = error("model: {nmae: x}\n");
        assertTrue(m.contains("unknown key 'model.nmae' (did you mean 'model.name'?)"), m);
        String top = error("generaton: {seed: 1}\n");
        assertTrue(top.contains("unknown key 'generaton' (did you mean 'generation'?)"), top);
        String set = error("{}\n", "experiment.alpha=[1]");
        assertTrue(set.contains("unknown key 'alpha' in section 'experiment' (did you mean 'alphas'?)"), set);
        String section = error("{}\n", "experimnt.alphas=[1]");
        assertTrue(section.contains("unknown section 'experimnt' (did you mean 'experiment'?)"), section);
        String far = error("model: {quantization: int8}\n");
        assertTrue(far.contains("unknown key 'model.quantization'") && !far.contains("did you mean"), far);
    }

    @Test
    void aFractionWhereAnIntegerBelongsIsAnErrorNamingTheKey() {
        String e = error("generation: {max_new_tokens: 8.7}\n");
        assertTrue(e.endsWith("my.yaml: key 'generation.max_new_tokens' must be an integer, got 8.7"), e);
        String s = error("data: {max_prompts_per_split: many}\n");
        assertTrue(s.contains("key 'data.max_prompts_per_split' must be an integer, got \"many\""), s);
        String o = error("{}\n", "generation.seed=1.5");
        assertTrue(o.contains("key 'generation.seed' must be an integer, got 1.5"), o);
    }

    @Test
    void syntaxErrorsGiveTheLineWithoutParserInternals() {
        String e = error("model:\n  name: [unclosed\n");
        assertTrue(e.contains("my.yaml: line "), e);
        assertFalse(e.contains("REDACTED") || e.contains("StreamReadFeature") || e.contains("Source:"), e);
    }

    @Test
    void modelDtypeTakesEveryPrecisionAndNamesTheAcceptedOnesOtherwise() throws IOException {
        assertEquals(dev.steering.model.Precision.FLOAT32, load("{}\n").model().precision());
        for (dev.steering.model.Precision p : dev.steering.model.Precision.values()) {
            assertEquals(p, load("model: {dtype: " + p.configName() + "}\n").model().precision());
        }
        assertEquals(dev.steering.model.Precision.INT4, load("{}\n", "model.dtype=int4").model().precision());
        String e = error("model: {dtype: int3}\n");
        assertTrue(e.contains("model.dtype") && e.contains("int3") && e.contains("bfloat16"), e);
    }

    @Test
    void editDistanceIsLevenshtein() {
        assertEquals(0, YamlConfig.editDistance("layers", "layers"));
        assertEquals(1, YamlConfig.editDistance("layerz", "layers"));
        assertEquals(3, YamlConfig.editDistance("kitten", "sitting"));
        assertEquals(6, YamlConfig.editDistance("", "layers"));
    }
}
