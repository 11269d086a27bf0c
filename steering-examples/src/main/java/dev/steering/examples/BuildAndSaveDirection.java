package dev.steering.examples;

import dev.steering.Steering;

import dev.steering.direction.ContrastivePrefix;
import dev.steering.direction.DirectionResult;
import dev.steering.direction.SteeringVector;
import dev.steering.direction.SteeringVectorFile;
import dev.steering.hooks.HookPoint;
import dev.steering.model.LanguageModel;
import java.nio.file.Path;

/**
 * Build the contrastive direction at one layer, save it as a self-describing safetensors file and load it back.
 * <pre>java -cp steering.jar dev.steering.examples.BuildAndSaveDirection [MODEL] [LAYER] [OUT_ROOT]</pre>
 */
public final class BuildAndSaveDirection {
    public static void main(String[] args) {
        try (LanguageModel model = Steering.loadUnshared(args.length > 0 ? args[0] : "bundled:toy-refusal")) {
            int layer = args.length > 1 ? Integer.parseInt(args[1]) : model.config().numLayers() / 2;
            Path root = Path.of(args.length > 2 ? args[2] : "artifacts");
            DirectionResult d = ContrastivePrefix.defaults().build(model, HookPoint.residPost(layer));
            Path dir = SteeringVectorFile.defaultDir(root, model.id(), layer);
            SteeringVectorFile.saveWithStats(d, dir, true);
            SteeringVector back = SteeringVector.load(dir.resolve("v.safetensors"));
            System.out.println("saved " + dir.resolve("v.safetensors") + "\n  " + d.stats() + "\n  metadata: " + back.metadata());
        }
    }
}
