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
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code trace}: run one sequence and write logits and every hook's activations to a safetensors file. */
@picocli.CommandLine.Command(name = "trace", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs one sequence and writes F32 tensors 'logits' [seq, vocab] and every hook point "
                + "[seq, hidden] under its TransformerLens name (blocks.{L}.hook_resid_pre ... "
                + "ln_final.hook_normalized) to a safetensors file."})
public final class TraceCommand implements Command {
    @Mixin
    ModelOptions input;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "the safetensors file to write")
    Path out;

    @Override
    public Integer call() {
        OutputFiles.checkWritable(out, "--out");
        try (LanguageModel model = input.load()) {
            long[] tokens = input.tokens(model);
            List<Edit> edits = input.edits(model);
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
