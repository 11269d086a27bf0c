package dev.steering.cli;

import dev.steering.direction.ContrastivePrefix;
import dev.steering.direction.DirectionResult;
import dev.steering.direction.SteeringVectorFile;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.LayerSpec;
import dev.steering.model.LanguageModel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code direction}: build a steering direction from a prompt file and save it as a self-describing safetensors file. */
@picocli.CommandLine.Command(name = "direction", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Builds a steering direction from a prompt file.",
        footer = "Writes the vector (tensor 'v') with its provenance in __metadata__, and its statistics beside it "
                + "as NAME.stats.json (v.safetensors -> v.stats.json).")
public final class DirectionCommand implements Command {
    @Option(names = "--model", required = true, paramLabel = "DIR_OR_ID",
            description = "a checkpoint directory, repo id, alias or bundled model (bundled:toy-refusal)")
    String model;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = "--method", defaultValue = "contrastive-prefix", paramLabel = "METHOD",
            description = "contrastive-prefix (the only method on the command line; the others are in the Java API)")
    String method;

    @Option(names = "--layer", required = true, paramLabel = "L", description = "an index or a depth percentage (60%%)")
    String layer;

    @Option(names = "--prompts", required = true, paramLabel = "FILE",
            description = "JSONL, one {\"id\":..,\"prompt\":..} per line")
    Path prompts;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the safetensors file to write")
    Path out;

    @Option(names = "--hook", defaultValue = "resid_post", paramLabel = "resid_post|resid_pre",
            description = "the residual stream point (default ${DEFAULT-VALUE})")
    String hook;

    @Option(names = "--position", defaultValue = "prefix-last",
            paramLabel = "prefix-last|prefix-mean|last-prompt-token",
            description = "where activations are read (default ${DEFAULT-VALUE})")
    String position;

    @Option(names = "--refusal-prefix", paramLabel = "TEXT", description = "the refusal continuation")
    String refusalPrefix = ContrastivePrefix.REFUSAL_PREFIX;

    @Option(names = "--compliance-prefix", paramLabel = "TEXT", description = "the compliance continuation")
    String compliancePrefix = ContrastivePrefix.COMPLIANCE_PREFIX;

    @Option(names = "--raw", description = "store the raw mean difference instead of the unit vector")
    boolean raw;

    @Override
    public Integer call() throws Exception {
        if (!method.equals("contrastive-prefix") && !method.equals("contrastive_prefix")) {
            throw new CliException("--method: only contrastive-prefix is available on the command line (got '"
                    + method + "'); the other methods are in the Java API");
        }
        if (!Files.isRegularFile(prompts)) {
            throw new CliException("--prompts: no such file: " + prompts);
        }
        OutputFiles.checkWritable(out, "--out");
        ContrastivePrefix cp = ContrastivePrefix.defaults();
        try {
            cp = cp.position(ContrastivePrefix.Position.parse(position));
        } catch (IllegalArgumentException e) {
            throw new CliException("--position: " + e.getMessage());
        }
        cp = cp.prefixes(refusalPrefix, compliancePrefix);
        List<Prompt> ps;
        try {
            ps = PromptSet.load(prompts).prompts();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        try (LanguageModel m = Models.language(model, precision.dtype)) {
            HookPoint hp;
            try {
                hp = new HookPoint(LayerSpec.single(layer, m.config().numLayers()), HookPoint.Kind.parse(hook));
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            if (!hp.isResidual()) {
                throw new CliException("--hook must be resid_post or resid_pre");
            }
            DirectionResult d;
            try {
                d = cp.prompts(ps.stream().map(Prompt::prompt).toList()).build(m, hp);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            Path stats = statsFile(out);
            SteeringVectorFile.save(d.vector(), out, !raw);
            SteeringVectorFile.saveStats(d, stats);
            System.out.printf("wrote %s and %s (%s, norm %.4f, %d prompts, split-half cosine %.3f)%n", out,
                    stats.getFileName(), hp.name(), d.stats().rawNorm(), d.stats().nPrompts(),
                    d.stats().splitHalfCosine());
        }
        return 0;
    }

    /** The statistics file beside a vector, named after it: {@code refusal.safetensors -> refusal.stats.json}. */
    static Path statsFile(Path vector) {
        String name = vector.getFileName().toString();
        String stem = name.endsWith(".safetensors") ? name.substring(0, name.length() - ".safetensors".length()) : name;
        return vector.resolveSibling(stem + ".stats.json");
    }
}
