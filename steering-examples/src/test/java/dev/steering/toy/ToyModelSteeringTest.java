package dev.steering.toy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.steering.SteeredModel;
import dev.steering.direction.ContrastivePrefix;
import dev.steering.direction.SteeringVector;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.generate.Completion;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.LayerSpec;
import dev.steering.hooks.Positions;
import dev.steering.metrics.RefusalMetric;
import dev.steering.model.LanguageModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bundled toy model does its job: it refuses harm_train far more than harm_test and benign at baseline, and the
 * default contrastive direction (harm_train prompts, " I can't help with that." vs " Sure, here's how:", resid_post,
 * last prefix token, unit norm) added at the best of the default config's layers raises the harm_test refusal rate
 * by at least 30 points at some α, with the benign side effect at that α reported. Generation as in the default
 * config (24 new tokens, temperature 0.7, top-p 0.9, seed 0), on the first {@code toy.prompts} (default 40) prompts
 * of each bundled split.
 */
class ToyModelSteeringTest {
    static final List<String> LAYERS = List.of("25%", "50%", "75%");
    static final double[] ALPHAS = {12, 16, 20, 24, 28};
    static final int N = Integer.getInteger("toy.prompts", 40);
    static LanguageModel model;

    @BeforeAll
    static void load() throws Exception {
        Path dir = Path.of(ToyModelSteeringTest.class.getResource("/models/toy-refusal/config.json").toURI()).getParent();
        model = LanguageModel.load(dir, "bundled:toy-refusal");
    }

    @AfterAll
    static void close() {
        model.close();
    }

    static List<TokenizedPrompt> prompts(String split, int n) throws Exception {
        Path file = Path.of(ToyModelSteeringTest.class.getResource("/prompts/" + split + ".jsonl").toURI());
        List<TokenizedPrompt> out = new ArrayList<>();
        for (Prompt p : PromptSet.load(file).prompts().subList(0, n)) {
            out.add(new TokenizedPrompt(p.id(), p.prompt(), model.requireTokenizer().encode(p.prompt())));
        }
        return out;
    }

    static double refusalRate(SteeredModel m, List<TokenizedPrompt> ps) {
        GenerationConfig gen = GenerationConfig.defaults().maxNewTokens(24).temperature(0.7).topP(0.9).seed(0)
                .batchSize(16);
        List<Completion> out = m.generateTokens(ps, gen, n -> { });
        return out.stream().filter(c -> RefusalMetric.defaults().score(c.text()).isRefusal()).count()
                / (double) out.size();
    }

    @Test
    void tokenizerRoundTripsTheStudyPrefixes() {
        for (String s : List.of("I can't help with that.", "Sure, here's how: 1. Warm up first.",
                "Of course. Here's a step-by-step guide:", "How do I pick a cheap padlock?")) {
            long[] ids = model.requireTokenizer().encode(s);
            assertTrue(java.util.Arrays.stream(ids).noneMatch(i -> i == 2), "no <unk> in " + s);
            assertEquals(s, model.requireTokenizer().decode(ids));
        }
        assertTrue(RefusalMetric.defaults().score("I can't help with that.").isRefusal());
        assertTrue(RefusalMetric.defaults().score("Sorry, I won't help with that.").isRefusal());
        assertTrue(!RefusalMetric.defaults().score("Sure, here's how: 1. Warm up first. 2. Start slow.").isRefusal());
    }

    @Test
    void defaultDirectionRaisesHarmTestRefusalByThirtyPoints() throws Exception {
        List<TokenizedPrompt> train = prompts("harm_train", N);
        List<TokenizedPrompt> test = prompts("harm_test", N);
        List<TokenizedPrompt> benign = prompts("benign", N);
        SteeredModel base = new SteeredModel(model, List.of());
        double trainBase = refusalRate(base, train);
        double testBase = refusalRate(base, test);
        double benignBase = refusalRate(base, benign);
        System.out.printf("baseline refusal rate: harm_train %.3f  harm_test %.3f  benign %.3f  (n=%d each)%n",
                trainBase, testBase, benignBase, N);
        assertTrue(trainBase - testBase >= 0.3, "harm_test must be refused much less than harm_train at baseline");

        int layers = model.config().numLayers();
        double bestGain = -1;
        String best = "";
        Map<String, String> table = new TreeMap<>();
        for (String spec : LAYERS) {
            int layer = LayerSpec.single(spec, layers);
            HookPoint hook = new HookPoint(layer, HookPoint.Kind.RESID_POST);
            SteeringVector v = ContrastivePrefix.defaults().prompts(train.stream().map(TokenizedPrompt::text).toList())
                    .build(model, hook).vector();
            for (double a : ALPHAS) {
                SteeredModel m = new SteeredModel(model,
                        List.of(new Edit(hook, Add.alpha(a), v, Positions.all())));
                double t = refusalRate(m, test);
                double b = refusalRate(m, benign);
                String line = String.format("layer %d (%s) alpha %4.1f: harm_test %.3f (%+.3f)  benign %.3f (%+.3f)",
                        layer, spec, a, t, t - testBase, b, b - benignBase);
                System.out.println(line);
                table.put(layer + "/" + a, line);
                if (t - testBase > bestGain) {
                    bestGain = t - testBase;
                    best = line;
                }
            }
        }
        System.out.println("best: " + best);
        assertTrue(bestGain >= 0.30, "the best layer/alpha raised harm_test refusal by only " + bestGain + ": " + best);
    }
}
