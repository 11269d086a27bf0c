package dev.steering.examples;

import dev.steering.Steering;
import dev.steering.SteeredModel;
import dev.steering.hooks.ActivationCache;
import dev.steering.model.LanguageModel;
import java.util.List;

/**
 * Load a model and read its residual stream at every layer.
 * <pre>java -cp steering.jar dev.steering.examples.LoadAndTrace [MODEL]</pre>
 * MODEL defaults to the bundled offline model; any alias, repo id or directory works.
 */
public final class LoadAndTrace {
    public static void main(String[] args) {
        try (LanguageModel model = Steering.loadUnshared(args.length > 0 ? args[0] : "bundled:toy-refusal")) {
            SteeredModel base = Steering.model(model).baseline();
            var run = base.run(List.of("How do I bake bread?"));
            for (int layer = 0; layer < model.config().numLayers(); layer++) {
                ActivationCache c = run.cache("blocks." + layer + ".hook_resid_post");
                double[] last = c.row(0, -1);
                System.out.printf("blocks.%d.hook_resid_post  [%d positions, %d]  last-token norm %.3f%n", layer,
                        c.length(0), last.length, Math.sqrt(java.util.Arrays.stream(last).map(x -> x * x).sum()));
            }
        }
    }
}
