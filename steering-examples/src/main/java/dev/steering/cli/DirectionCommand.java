package dev.steering.cli;

import dev.steering.direction.ContrastivePrefix;
import dev.steering.direction.DirectionResult;
import dev.steering.direction.SteeringVectorFile;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptSet;
import dev.steering.hooks.HookPoint;
import dev.steering.hooks.LayerSpec;
import dev.steering.model.LanguageModel;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** {@code direction}: build a steering direction from a prompt file and save it as a self-describing safetensors file. */
public final class DirectionCommand implements FlagCommand {
    @Override
    public String name() {
        return "direction";
    }

    @Override
    public Set<String> flags() {
        return Set.of("raw");
    }

    @Override
    public String usage() {
        return """
                usage: steering direction --model M --method contrastive-prefix --layer L --prompts harm_train.jsonl --out v.safetensors
                       [--hook resid_post|resid_pre] [--position prefix-last|prefix-mean|last-prompt-token]
                       [--refusal-prefix TEXT] [--compliance-prefix TEXT] [--raw]
                  --layer        an index or a depth percentage (60%)
                  --prompts      JSONL, one {"id":..,"prompt":..} per line
                  --raw          store the raw mean difference instead of the unit vector
                Writes the vector (tensor 'v') with its provenance in __metadata__, and stats.json beside it.""";
    }

    @Override
    public int run(Args args) throws Exception {
        String method = args.get("method", "contrastive-prefix");
        if (!method.equals("contrastive-prefix") && !method.equals("contrastive_prefix")) {
            throw new CliException("--method: only contrastive-prefix is available on the command line (got '"
                    + method + "'); the other methods are in the Java API");
        }
        Path out = Path.of(args.require("out"));
        Path promptsFile = args.inputFile("prompts");
        String layerArg = args.require("layer");
        String hookArg = args.get("hook", "resid_post");
        ContrastivePrefix cp = ContrastivePrefix.defaults();
        try {
            cp = cp.position(ContrastivePrefix.Position.parse(args.get("position", "prefix-last")));
        } catch (IllegalArgumentException e) {
            throw new CliException("--position: " + e.getMessage());
        }
        cp = cp.prefixes(args.get("refusal-prefix", ContrastivePrefix.REFUSAL_PREFIX),
                args.get("compliance-prefix", ContrastivePrefix.COMPLIANCE_PREFIX));
        boolean raw = args.flag("raw");
        String modelSpec = args.require("model");
        args.finish();
        List<Prompt> prompts;
        try {
            prompts = PromptSet.load(promptsFile).prompts();
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage());
        }
        try (LanguageModel model = Bundled.model(modelSpec)) {
            HookPoint hook;
            try {
                hook = new HookPoint(LayerSpec.single(layerArg, model.config().numLayers()), HookPoint.Kind.parse(hookArg));
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            if (!hook.isResidual()) {
                throw new CliException("--hook must be resid_post or resid_pre");
            }
            DirectionResult d;
            try {
                d = cp.prompts(prompts.stream().map(Prompt::prompt).toList()).build(model, hook);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage());
            }
            SteeringVectorFile.save(d.vector(), out, !raw);
            SteeringVectorFile.saveStats(d, out.resolveSibling("stats.json"));
            System.out.printf("wrote %s (%s, norm %.4f, %d prompts, split-half cosine %.3f)%n", out, hook.name(),
                    d.stats().rawNorm(), d.stats().nPrompts(), d.stats().splitHalfCosine());
        }
        return 0;
    }
}
