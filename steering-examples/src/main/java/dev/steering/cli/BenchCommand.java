package dev.steering.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.direction.SteeringVector;
import dev.steering.generate.GenerationConfig;
import dev.steering.generate.Generator;
import dev.steering.generate.TokenizedPrompt;
import dev.steering.hooks.Add;
import dev.steering.hooks.Edit;
import dev.steering.hooks.HookPoint;
import dev.steering.model.ForwardGraph;
import dev.steering.model.ForwardInputs;
import dev.steering.model.ForwardResult;
import dev.steering.model.Architecture;
import dev.steering.model.GptNeoX;
import dev.steering.model.GptNeoXConfig;
import dev.steering.model.Llama;
import dev.steering.model.LlamaConfig;
import dev.steering.model.ModelConfig;
import dev.steering.model.RopeScaling;
import dev.steering.model.GraphExecutor;
import dev.steering.model.SameDiffEngine;
import dev.steering.model.LanguageModel;
import dev.steering.model.MatmulKernels;
import dev.steering.model.compact.CompactPolicy;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.DType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code bench}: steered, KV-cached, batched greedy generation on random weights of a Pythia (GPT-NeoX), Llama-3.2-1B
 * or Qwen2.5-7B shape, the same work as {@code steering-examples/src/test/scripts/bench/torch_bench.py}. The weights
 * are drawn tensor by tensor as they load ({@link dev.steering.weights.RandomTensors}), so the memory is the
 * working precision's. Prints one JSON line.
 */
@picocli.CommandLine.Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Runs steered greedy generation (add at blocks.{L/2}.hook_resid_post) on random weights with "
                + "the named model's shapes; prints {\"prefill_tok_s\",\"decode_tok_s\",\"peak_rss_mb\","
                + "\"load_s\",\"weights_mb\",...}. "
                + "Best of --repeats runs (as torch_bench.py) after --warmup untimed runs."})
public final class BenchCommand implements Command {
    /** The shapes by name: Pythia's GPT-NeoX sizes and two Llama-family models (their config.json values). */
    static final Map<String, ModelConfig> SHAPES = shapes();

    private static Map<String, ModelConfig> shapes() {
        Map<String, ModelConfig> m = new LinkedHashMap<>();
        int[][] pythia = {{6, 512, 8}, {12, 768, 12}, {24, 1024, 16}, {24, 2048, 16}, {32, 2560, 32}};
        String[] names = {"pythia-70m", "pythia-160m", "pythia-410m", "pythia-1.4b", "pythia-2.8b"};
        for (int i = 0; i < names.length; i++) {     // layers, hidden, heads
            int[] s = pythia[i];
            m.put(names[i], new GptNeoXConfig(s[1], s[2], s[0], 4 * s[1], 0.25, 10000, true, 1e-5, "gelu", true,
                    false, 50304, -1));
        }
        m.put("llama-3.2-1b", new LlamaConfig(LlamaConfig.Variant.LLAMA, 2048, 32, 8, 64, 16, 8192, 1e-5, "silu",
                false, false, false, true, 128256, -1, 500000.0, 64, new RopeScaling.Llama3(32, 1, 4, 8192), 0,
                Set.of(), 131072));
        m.put("qwen2.5-7b", new LlamaConfig(LlamaConfig.Variant.QWEN2, 3584, 28, 4, 128, 28, 18944, 1e-6, "silu",
                true, false, false, false, 152064, -1, 1000000.0, 128, RopeScaling.NONE, 0, Set.of(), 32768));
        return java.util.Collections.unmodifiableMap(m);
    }

    @Option(names = "--shape", defaultValue = "pythia-160m", paramLabel = "NAME",
            description = "pythia-70m, pythia-160m, pythia-410m, pythia-1.4b, pythia-2.8b, llama-3.2-1b or "
                    + "qwen2.5-7b (default ${DEFAULT-VALUE})")
    String shape;

    @Mixin
    PrecisionOption precision = new PrecisionOption();

    @Option(names = "--batch", defaultValue = "8", paramLabel = "N", description = "sequences (default ${DEFAULT-VALUE})")
    int batch;

    @Option(names = "--prompt", defaultValue = "32", paramLabel = "N",
            description = "prompt tokens per sequence (default ${DEFAULT-VALUE})")
    int prompt;

    @Option(names = "--new", defaultValue = "64", paramLabel = "N",
            description = "generated tokens per sequence (default ${DEFAULT-VALUE})")
    int fresh;

    @Option(names = "--repeats", defaultValue = "2", paramLabel = "N", description = "timed runs (default ${DEFAULT-VALUE})")
    int repeats;

    @Option(names = "--warmup", defaultValue = "3", paramLabel = "N",
            description = "untimed runs first (default ${DEFAULT-VALUE}: the JIT compiles the prefill kernels only "
                    + "after a few prefills)")
    int warmup;

    @Option(names = "--profile", description = "then print where the time goes (per op kind, one prefill and the "
            + "decode steps of one generation) to stderr")
    boolean profile;

    @Override
    public Integer call() throws Exception {
        ModelConfig cfg = SHAPES.get(shape);
        if (cfg == null) {
            throw new CliException("unknown --shape '" + shape + "' (known: " + String.join(", ", SHAPES.keySet()) + ")");
        }
        if (batch < 1 || prompt < 1 || fresh < 2 || repeats < 1 || warmup < 0) {
            throw new CliException("--batch, --prompt and --repeats must be ≥ 1, --warmup ≥ 0 and --new ≥ 2");
        }
        long loadStart = System.nanoTime();
        Architecture arch = randomModel(shape, cfg, CompactPolicy.storageType(precision.dtype, DType.F32));
        double loadSeconds = (System.nanoTime() - loadStart) / 1e9;
        LanguageModel model = new LanguageModel("random-" + shape, arch, null);
        float[] v = new float[cfg.hiddenSize()];
        Random rnd = new Random(0);
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * 4);
        }
        ForwardGraph graph = model.graph(List.of(Edit.everywhere(HookPoint.residPost(cfg.numLayers() / 2),
                Add.multiplier(1), SteeringVector.of(v))));
        List<long[]> prompts = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            long[] p = new long[prompt];
            for (int i = 0; i < prompt; i++) {
                p[i] = 2 + rnd.nextInt(cfg.vocabSize() - 2);
            }
            prompts.add(p);
        }
        double bestPrefill = Double.MAX_VALUE;
        double bestDecode = Double.MAX_VALUE;
        for (int rep = 0; rep < warmup + repeats; rep++) {
            // the generation first: its prefill pays any first-use cost (packing weights for MKL), so that the
            // prefill timed after it is a warm one and the difference is the decode steps' time
            long t1 = System.nanoTime();
            new Generator(graph, null, 0, -1).greedy(prompts, fresh);
            double total = (System.nanoTime() - t1) / 1e9;
            long t0 = System.nanoTime();
            ForwardResult r = graph.run(ForwardInputs.leftPadded(prompts, 0), null, List.of());
            double prefill = (System.nanoTime() - t0) / 1e9;
            r.cache().close();                  // as the generator does: its memory is reused, not left to the GC
            r.logits().close();
            if (rep >= warmup) {
                bestPrefill = Math.min(bestPrefill, prefill);
                bestDecode = Math.min(bestDecode, total - prefill);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("engine", "steering samediff " + org.nd4j.linalg.factory.Nd4j.getBackend().getClass().getSimpleName());
        out.put("shape", shape);
        out.put("dtype", precision.dtype.configName());
        out.put("batch", batch);
        out.put("prompt", prompt);
        out.put("new", fresh);
        out.put("parameters", arch.weights().parameterCount());
        out.put("weights_mb", arch.weights().storageBytes() >> 20);
        out.put("load_s", round(loadSeconds));
        out.put("prefill_tok_s", round(batch * prompt / bestPrefill));
        out.put("decode_tok_s", round(batch * (fresh - 1) / bestDecode));
        out.put("peak_rss_mb", peakRssMb());
        out.put("threads", org.nd4j.linalg.factory.Nd4j.getEnvironment().maxThreads());
        out.put("omp_wait_policy", dev.steering.NativeRuntime.ompWaitPolicy());
        out.put("kernels", graph.engine().kernels().toString());
        out.put("graphs_built", dev.steering.model.LanguageModel.graphsBuilt());
        out.put("libnd4j", MatmulKernels.oneDnnLoaded() ? "onednn" : "plain");
        System.out.println(new ObjectMapper().writeValueAsString(out));
        if (profile) {
            profile(graph, prompts, fresh);
        }
        return 0;
    }

    /**
     * The architecture of {@code cfg} over lazily drawn random weights ({@code GptNeoX/Llama.randomTensors}),
     * loaded tensor by tensor at {@code target} as a checkpoint is: no F32 copy of the model exists.
     */
    static Architecture randomModel(String shape, ModelConfig cfg, StorageType target) {
        String origin = shape + " (random weights)";
        if (cfg instanceof GptNeoXConfig c) {
            return new GptNeoX(c, GptNeoX.randomTensors(c, 0), origin, target);
        }
        LlamaConfig c = (LlamaConfig) cfg;
        return new Llama(c, Llama.randomTensors(c, 0), origin, target);
    }

    /** One profiled prefill, then one profiled generation whose prefill is subtracted: op kind → time. */
    private static void profile(ForwardGraph graph, List<long[]> prompts, int fresh) {
        if (!(graph.engine() instanceof SameDiffEngine engine)) {
            System.err.println("--profile needs the SameDiff engine");
            return;
        }
        GraphExecutor ex = engine.executor();
        ex.setProfiling(true);
        graph.run(ForwardInputs.leftPadded(prompts, 0), null, List.of());
        Map<String, long[]> prefill = new LinkedHashMap<>();
        ex.profile().forEach((k, v) -> prefill.put(k, v.clone()));
        ex.setProfiling(true);
        new Generator(graph, null, 0, -1).greedy(prompts, fresh);
        Map<String, long[]> decode = new LinkedHashMap<>();
        ex.profile().forEach((k, v) -> {
            long[] p = prefill.getOrDefault(k, new long[2]);
            if (v[0] > p[0]) {
                decode.put(k, new long[]{v[0] - p[0], v[1] - p[1]});
            }
        });
        ex.setProfiling(false);
        printProfile("prefill (one call)", prefill, 1);
        printProfile("decode (per step)", decode, fresh - 1);
    }

    private static void printProfile(String title, Map<String, long[]> p, int calls) {
        long total = p.values().stream().mapToLong(v -> v[1]).sum();
        System.err.printf("%s: %.2f ms%n", title, total / 1e6 / calls);
        p.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).forEach(e ->
                System.err.printf("  %8.3f ms %5.1f %%  %6d ops  %s%n", e.getValue()[1] / 1e6 / calls,
                        100.0 * e.getValue()[1] / total, e.getValue()[0] / calls, e.getKey()));
    }

    private static double round(double x) {
        return Math.round(x * 10) / 10.0;
    }

    /** VmHWM from /proc (Linux), or -1. */
    private static long peakRssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
                }
            }
        } catch (Exception e) {
            return -1;
        }
        return -1;
    }
}
