package dev.steering.cli;

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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The options {@code trace} and {@code generate} share (a picocli mixin): the model, the input tokens and an optional edit. */
final class ModelOptions {
    /** What the edit does to the activation at the hook. */
    enum EditKind { add, ablate }

    @Option(names = "--model", required = true, paramLabel = "DIR_OR_ID",
            description = "a checkpoint directory, a Hugging Face repo id (org/name[@revision]), an alias or a "
                    + "bundled model (bundled:toy-refusal)")
    String model;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = "--tokens", split = ",", paramLabel = "IDS", description = "input token ids, e.g. 1,2,3")
    long[] tokens;

    @Option(names = "--text", paramLabel = "TEXT", description = "input text (needs the checkpoint's tokenizer.json)")
    String text;

    @Option(names = "--edit", paramLabel = "add|ablate",
            description = "optional steering edit: add = x + alpha*v/|v|, ablate = x - alpha*(x.u)u")
    EditKind edit;

    @Option(names = "--hook", paramLabel = "NAME", description = "where, e.g. blocks.1.hook_resid_post")
    String hook;

    @Option(names = "--alpha", paramLabel = "A", description = "strength of the edit")
    Double alpha;

    @Option(names = "--vector", paramLabel = "FILE",
            description = "safetensors file holding the 1-D vector (tensor 'v' or its only tensor)")
    Path vector;

    @Option(names = "--positions", paramLabel = "P",
            description = "all (default), prompt, generated, last-prompt-token or from:N")
    String positions;

    /** Checks what can be checked before the model loads. */
    void validate() {
        if ((tokens == null) == (text == null)) {
            throw new CliException("give exactly one of --tokens and --text");
        }
        if (edit == null) {
            if (hook != null || alpha != null || vector != null || positions != null) {
                throw new CliException("--hook, --alpha, --vector and --positions need --edit add|ablate");
            }
        } else if (hook == null || alpha == null || vector == null) {
            throw new CliException("--edit needs --hook, --alpha and --vector");
        } else if (!java.nio.file.Files.isRegularFile(vector)) {
            throw new CliException("--vector: no such file: " + vector);
        }
    }

    /** Validates the options, then loads the model (the caller closes it). */
    LanguageModel load() {
        validate();
        return Models.language(model, precision.dtype);
    }

    long[] tokens(LanguageModel m) {
        long[] out;
        if (tokens != null) {
            out = tokens;
        } else {
            if (m.tokenizer().isEmpty()) {
                throw new CliException(m.id() + " has no tokenizer.json: pass --tokens instead of --text");
            }
            out = m.encodePrompt(text, false);
        }
        if (out.length == 0) {
            throw new CliException("the input has no tokens");
        }
        if (out.length > m.config().maxPositions()) {
            throw new CliException("the input has " + out.length + " tokens, more than the model's context of "
                    + m.config().maxPositions() + " positions (max_position_embeddings or n_positions)");
        }
        int vocab = m.config().vocabSize();
        for (long t : out) {
            if (t < 0 || t >= vocab) {
                throw new CliException("token id " + t + " is outside the vocabulary 0.." + (vocab - 1));
            }
        }
        return out;
    }

    List<Edit> edits(LanguageModel m) {
        if (edit == null) {
            return List.of();
        }
        Intervention iv = switch (edit) {
            case add -> Add.alpha(alpha);
            case ablate -> Ablate.alpha(alpha);
        };
        HookPoint hp;
        Positions pos;
        try {
            hp = HookPoint.parse(hook).checkWithin(m.config().numLayers());
            pos = positions == null ? Positions.all() : Positions.parse(positions);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        SteeringVector v = SteeringVectorFile.load(vector);
        if (v.dim() != m.config().hiddenSize()) {
            throw new CliException(vector + ": vector has " + v.dim() + " entries, the model's hidden size is "
                    + m.config().hiddenSize());
        }
        return List.of(new Edit(hp, iv, v, pos));
    }
}
