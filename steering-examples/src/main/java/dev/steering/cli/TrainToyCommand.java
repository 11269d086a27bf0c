package dev.steering.cli;

import dev.steering.model.ForwardInputs;
import dev.steering.model.LanguageModel;
import dev.steering.toy.ToyTrainer;
import java.nio.file.Path;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@code train-toy}: trains the bundled toy refusal model from a seed and writes it as a Hugging Face checkpoint,
 * then loads the written checkpoint through the ordinary loader and checks its logits equal the trained graph's.
 */
public final class TrainToyCommand implements Command {
    @Override
    public String name() {
        return "train-toy";
    }

    @Override
    public String usage() {
        return "usage: steering train-toy --out DIR [--seed 0] [--steps " + ToyTrainer.Settings.defaults().steps()
                + "] [--batch " + ToyTrainer.Settings.defaults().batchSize() + "]\n"
                + "  Trains the tiny GPT-NeoX refusal model bundled as bundled:toy-refusal (docs/toy-model.md) from\n"
                + "  scratch on CPU and writes config.json, model.safetensors and tokenizer.json into DIR.\n"
                + "  The same seed and steps reproduce the bundled weights on the same machine.";
    }

    @Override
    public int run(Args args) throws Exception {
        Path out = Path.of(args.require("out"));
        ToyTrainer.Settings s = ToyTrainer.Settings.defaults();
        s = s.seed(Long.parseLong(args.get("seed", "0")));
        s = s.steps(args.getInt("steps", s.steps()));
        s = s.batchSize(args.getInt("batch", s.batchSize()));
        args.finish();
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
