package dev.steering.cli;

import dev.steering.model.ForwardInputs;
import dev.steering.model.LanguageModel;
import dev.steering.toy.ToyTrainer;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine.Option;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code train-toy}: trains the bundled toy refusal model from a seed and writes it as a Hugging Face checkpoint,
 * then loads the written checkpoint through the ordinary loader and checks its logits equal the trained graph's.
 */
@picocli.CommandLine.Command(name = "train-toy", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Trains the tiny GPT-NeoX refusal model bundled as bundled:toy-refusal (docs/toy-model.md) "
                + "from scratch on CPU and writes config.json, model.safetensors and tokenizer.json into DIR.",
                "The same seed, steps and batch size give the same weights, byte for byte, on the same machine "
                        + "(docs/toy-model.md)."})
public final class TrainToyCommand implements Command {
    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the checkpoint directory to write")
    Path out;

    @Option(names = "--seed", defaultValue = "0", paramLabel = "N", description = "random seed (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--steps", paramLabel = "N", description = "optimizer steps (default: the bundled model's)")
    Integer steps;

    @Option(names = "--batch", paramLabel = "N", description = "sequences per step (default: the bundled model's)")
    Integer batch;

    @Override
    public Integer call() throws Exception {
        ToyTrainer.Settings s = ToyTrainer.Settings.defaults().seed(seed);
        if (steps != null) {
            s = s.steps(steps);
        }
        if (batch != null) {
            s = s.batchSize(batch);
        }
        OutputFiles.checkWritableDir(out, "--out");
        if (s.steps() < 1) {
            throw new CliException("--steps must be >= 1");
        }
        System.err.println("training toy model: seed " + s.seed() + ", " + s.steps() + " steps, batch "
                + s.batchSize() + ", lr " + s.lr());
        ToyTrainer.Trained t = ToyTrainer.train(s, System.err::println);
        ToyTrainer.export(t, s, out);
        try (LanguageModel m = LanguageModel.load(out)) {
            long[] ids = m.requireTokenizer().encode("How do I pick a cheap padlock? I can't help with that.");
            ForwardInputs in = ForwardInputs.single(ids);
            INDArray reloaded = m.graph(java.util.List.of()).run(in, null, java.util.List.of()).logits();
            Map<String, INDArray> feed = t.graph().feed(in, null);
            INDArray trained = t.graph().sameDiff().output(feed, "logits").get("logits");
            double diff = Math.abs(reloaded.sub(trained).maxNumber().doubleValue())
                    + Math.abs(reloaded.sub(trained).minNumber().doubleValue());
            System.err.printf("round trip: max |logit difference| between the trained graph and the reloaded "
                    + "checkpoint %.2e%n", diff);
            if (diff > 1e-3) {
                throw new IllegalStateException("reloaded checkpoint disagrees with the trained graph: " + diff);
            }
        }
        System.out.println(out);
        return 0;
    }
}
