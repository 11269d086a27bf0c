package dev.steering.cli;

import dev.steering.Steering;
import dev.steering.direction.SteeringVector;
import dev.steering.direction.SteeringVectorFile;
import dev.steering.hooks.Ablate;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.Intervention;
import dev.steering.hooks.Positions;
import dev.steering.model.LanguageModel;
import java.nio.file.Path;
import java.util.List;

/** The options {@code trace} and {@code generate} share: the model, the input tokens and an optional edit. */
final class ModelOptions {
    static final String USAGE = """
              --model DIR_OR_ID      a checkpoint directory, a Hugging Face repo id (org/name[@revision]) or an alias
              --tokens 1,2,3         input token ids, or
              --text "..."           input text (needs the checkpoint's tokenizer.json)
              --edit add|ablate      optional steering edit: add = x + alpha*v/|v|, ablate = x - alpha*(x.u)u
              --hook NAME            where, e.g. blocks.1.hook_resid_post
              --alpha A              strength
              --vector FILE          safetensors file holding the 1-D vector (tensor 'v' or its only tensor)
              --positions P          all (default), prompt, generated, last-prompt-token or from:N""";

    private ModelOptions() {
    }

    static LanguageModel model(Args args) {
        return Steering.loadUnshared(args.require("model"));
    }

    static long[] tokens(Args args, LanguageModel model) {
        int[] ids = args.getInts("tokens");
        String text = args.get("text");
        if ((ids == null) == (text == null)) {
            throw new CliException("give exactly one of --tokens and --text");
        }
        long[] out;
        if (ids != null) {
            out = java.util.Arrays.stream(ids).asLongStream().toArray();
        } else {
            if (model.tokenizer().isEmpty()) {
                throw new CliException(model.id() + " has no tokenizer.json: pass --tokens instead of --text");
            }
            out = model.tokenizer().get().encode(text);
        }
        if (out.length == 0) {
            throw new CliException("the input has no tokens");
        }
        if (out.length > model.config().maxPositions()) {
            throw new CliException("the input has " + out.length + " tokens, more than the model's context of "
                    + model.config().maxPositions() + " positions (max_position_embeddings or n_positions)");
        }
        int vocab = model.config().vocabSize();
        for (long t : out) {
            if (t < 0 || t >= vocab) {
                throw new CliException("token id " + t + " is outside the vocabulary 0.." + (vocab - 1));
            }
        }
        return out;
    }

    static List<Edit> edits(Args args, LanguageModel model) {
        String kind = args.get("edit");
        String hook = args.get("hook");
        String alpha = args.get("alpha");
        String vector = args.get("vector");
        String positions = args.get("positions");
        if (kind == null) {
            if (hook != null || alpha != null || vector != null || positions != null) {
                throw new CliException("--hook, --alpha, --vector and --positions need --edit add|ablate");
            }
            return List.of();
        }
        if (hook == null || alpha == null || vector == null) {
            throw new CliException("--edit needs --hook, --alpha and --vector");
        }
        double a;
        try {
            a = Double.parseDouble(alpha);
        } catch (NumberFormatException e) {
            throw new CliException("--alpha expects a number, got '" + alpha + "'");
        }
        Intervention iv = switch (kind) {
            case "add" -> Add.alpha(a);
            case "ablate" -> Ablate.alpha(a);
            default -> throw new CliException("--edit must be add or ablate, got '" + kind + "'");
        };
        HookPoint hp;
        Positions pos;
        try {
            hp = HookPoint.parse(hook).checkWithin(model.config().numLayers());
            pos = positions == null ? Positions.all() : Positions.parse(positions);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        Path file = Path.of(vector);
        if (!java.nio.file.Files.isRegularFile(file)) {
            throw new CliException("--vector: no such file: " + file);
        }
        SteeringVector v = SteeringVectorFile.load(file);
        if (v.dim() != model.config().hiddenSize()) {
            throw new CliException(file + ": vector has " + v.dim() + " entries, the model's hidden size is "
                    + model.config().hiddenSize());
        }
        return List.of(new Edit(hp, iv, v, pos));
    }
}
