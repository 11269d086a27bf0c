package dev.steering.cli;

import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardInputs;
import dev.steering.model.ForwardResult;
import dev.steering.model.LanguageModel;
import dev.steering.weights.SafeTensors;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/** {@code trace}: run one sequence and write logits and every hook's activations to a safetensors file. */
public final class TraceCommand implements Command {
    @Override
    public String name() {
        return "trace";
    }

    @Override
    public String usage() {
        return "usage: steering trace --model M (--tokens IDS | --text T) [--edit ...] --out trace.safetensors\n"
                + "Writes F32 tensors 'logits' [seq, vocab] and every hook point [seq, hidden] under its\n"
                + "TransformerLens name (blocks.{L}.hook_resid_pre ... ln_final.hook_normalized).\n"
                + ModelOptions.USAGE + "\n  --out FILE             the safetensors file to write";
    }

    @Override
    public int run(Args args) {
        Path out = Path.of(args.require("out"));
        try (LanguageModel model = ModelOptions.model(args)) {
            long[] tokens = ModelOptions.tokens(args, model);
            List<Edit> edits = ModelOptions.edits(args, model);
            args.finish();
            List<HookPoint> hooks = HookPoint.all(model.config().numLayers());
            ForwardResult res = model.graph(edits).run(ForwardInputs.single(tokens), null, hooks);
            Map<String, INDArray> tensors = new LinkedHashMap<>();
            tensors.put("logits", res.logits());
            for (HookPoint h : hooks) {
                tensors.put(h.name(), res.hooks().get(h).slice(0));
            }
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("model", model.id());
            meta.put("tokens", java.util.Arrays.toString(tokens));
            edits.forEach(e -> meta.put("edit", e.describe()));
            SafeTensors.write(out, tensors, meta);
            System.out.println("wrote " + out + " (" + tensors.size() + " tensors, " + tokens.length + " positions)");
            return 0;
        }
    }
}
