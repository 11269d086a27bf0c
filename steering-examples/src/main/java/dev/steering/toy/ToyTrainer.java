package dev.steering.toy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.model.SameDiffEngine;
import dev.steering.model.ForwardInputs;
import dev.steering.model.GptNeoX;
import dev.steering.model.GptNeoXConfig;
import dev.steering.model.GraphBuilder;
import dev.steering.weights.InMemoryTensors;
import dev.steering.weights.SafeTensors;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Trains the toy refusal model from scratch: a tiny GPT-NeoX built by the same {@link GptNeoX#forward} graph code
 * that serves inference ({@link GraphBuilder} with trainable weights and no KV cache), next-token cross-entropy on
 * {@link ToyCorpus} sequences, Adam with warm-up and cosine decay, global gradient-norm clipping at 1. Exports a
 * Hugging Face checkpoint ({@code config.json}, {@code model.safetensors}, {@code tokenizer.json}).
 *
 * <p>Deterministic given the seed on one machine: the initial weights come from {@code java.util.Random(seed)}
 * ({@link GptNeoX#initialTensors}), batches from a {@link SplittableRandom} with the same seed (the order of libnd4j's
 * multi-threaded float reductions may differ across machines and thread counts; docs/toy-model.md).
 */
public final class ToyTrainer {
    /** Loss weight of prompt tokens (response tokens weigh 1). */
    static final double PROMPT_WEIGHT = 0.3;
    static final String LABELS = "train.labels";
    static final String LOSS = "train.loss";

    /**
     * Training settings.
     *
     * @param seed      initial weights and batch sampling
     * @param steps     optimiser steps
     * @param batchSize sequences per step
     * @param lr        peak learning rate
     */
    public record Settings(long seed, int steps, int batchSize, double lr) {
        /** The bundled model's settings. */
        public static Settings defaults() {
            return new Settings(0, 400, 32, 3e-3);
        }

        public Settings steps(int n) {
            return new Settings(seed, n, batchSize, lr);
        }

        public Settings batchSize(int b) {
            return new Settings(seed, steps, b, lr);
        }

        public Settings seed(long s) {
            return new Settings(s, steps, batchSize, lr);
        }
    }

    /** The result: config, tokenizer, trained graph-named weights and the loss curve. */
    public record Trained(GptNeoXConfig config, ToyTokenizer tokenizer, Map<String, INDArray> weights,
                          SameDiffEngine graph, List<double[]> losses) {
    }

    private ToyTrainer() {
    }

    /** The toy architecture for a vocabulary: 4 layers, hidden 64, 4 heads, MLP 256, rotary on a quarter of each head. */
    public static GptNeoXConfig config(int vocabSize) {
        return new GptNeoXConfig(64, 4, 4, 256, 0.25, 10000.0, true, 1e-5, "gelu_new", true, false, vocabSize,
                ToyTokenizer.EOS);
    }

    /** Trains; {@code log} hears progress lines. */
    public static Trained train(Settings s, Consumer<String> log) {
        ToyTokenizer tok = ToyTokenizer.fromTexts(ToyCorpus.vocabularyTexts());
        GptNeoXConfig cfg = config(tok.size());
        GptNeoX arch = new GptNeoX(cfg, new InMemoryTensors(GptNeoX.initialTensors(cfg, s.seed())), "toy init");
        GraphBuilder g = new GraphBuilder(arch.weights(), true, false);
        arch.forward(g);
        SameDiffEngine graph = g.build();
        SameDiff sd = graph.sameDiff();
        SDVariable labels = sd.placeHolder(LABELS, DataType.FLOAT, -1, cfg.vocabSize());
        SDVariable logits = sd.getVariable(GraphBuilder.LOGITS);
        SDVariable shifted = logits.sub(logits.max(true, 1));
        SDVariable logp = shifted.sub(sd.math.log(sd.math.exp(shifted).sum(true, 1)));
        SDVariable loss = labels.mul(logp).sum().neg().div(labels.sum());
        loss.rename(LOSS);
        sd.setLossVariables(LOSS);

        List<String> params = new ArrayList<>(arch.weights().asMap().keySet());
        Map<String, INDArray> m = new LinkedHashMap<>();
        Map<String, INDArray> v = new LinkedHashMap<>();
        for (String p : params) {
            m.put(p, Nd4j.zerosLike(sd.getArrForVarName(p)));
            v.put(p, Nd4j.zerosLike(sd.getArrForVarName(p)));
        }
        List<ToyCorpus.Example> examples = ToyCorpus.examples();
        SplittableRandom random = new SplittableRandom(s.seed());
        double b1 = 0.9;
        double b2 = 0.98;
        double eps = 1e-8;
        int warmup = Math.min(100, s.steps() / 10 + 1);
        List<double[]> losses = new ArrayList<>();
        long t0 = System.nanoTime();
        double running = Double.NaN;
        for (int step = 1; step <= s.steps(); step++) {
            Map<String, INDArray> feed = batch(graph, tok, cfg.vocabSize(), examples, s.batchSize(), random);
            Map<String, INDArray> grads = sd.calculateGradients(feed, params);
            double norm = 0;
            for (String p : params) {
                double n = grads.get(p).norm2Number().doubleValue();
                norm += n * n;
            }
            norm = Math.sqrt(norm);
            double clip = norm > 1.0 ? 1.0 / norm : 1.0;
            double lr = step <= warmup ? s.lr() * step / warmup
                    : s.lr() * (0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * (step - warmup) / (s.steps() - warmup + 1))));
            double c1 = 1 - Math.pow(b1, step);
            double c2 = 1 - Math.pow(b2, step);
            for (String p : params) {
                INDArray gr = grads.get(p).muli(clip);
                INDArray mp = m.get(p).muli(b1).addi(gr.mul(1 - b1));
                INDArray vp = v.get(p).muli(b2).addi(gr.mul(gr).muli(1 - b2));
                INDArray update = mp.div(c1).divi(Transforms.sqrt(vp.div(c2), false).addi(eps)).muli(lr);
                sd.getArrForVarName(p).subi(update);
            }
            if (step % 25 == 0 || step == 1 || step == s.steps()) {
                double l = sd.output(feed, LOSS).get(LOSS).getDouble(0);
                running = Double.isNaN(running) ? l : 0.7 * running + 0.3 * l;
                losses.add(new double[]{step, l});
                if (step % 100 == 0 || step == 1 || step == s.steps()) {
                    log.accept(String.format("step %d/%d  loss %.4f (smoothed %.4f)  lr %.2e  |g| %.2f  %.0f s", step,
                            s.steps(), l, running, lr, norm, (System.nanoTime() - t0) / 1e9));
                }
            }
        }
        Map<String, INDArray> trained = new LinkedHashMap<>();
        for (String p : params) {
            trained.put(p, sd.getArrForVarName(p).dup());
        }
        return new Trained(cfg, tok, trained, graph, losses);
    }

    /** A right-padded batch: every row's logits, labels = next token weighted (prompt 0.3, response 1, pads 0). */
    static Map<String, INDArray> batch(SameDiffEngine graph, ToyTokenizer tok, int vocab, List<ToyCorpus.Example> ex,
                                       int n, SplittableRandom random) {
        List<long[]> seqs = new ArrayList<>();
        int[] promptLens = new int[n];
        for (int i = 0; i < n; i++) {
            ToyCorpus.Example e = ex.get(random.nextInt(ex.size()));
            long[] prompt = tok.encode(e.prompt());
            long[] resp = tok.encode(" " + ToyCorpus.response(e, random));
            long[] seq = new long[prompt.length + resp.length + 1];
            System.arraycopy(prompt, 0, seq, 0, prompt.length);
            System.arraycopy(resp, 0, seq, prompt.length, resp.length);
            seq[seq.length - 1] = ToyTokenizer.EOS;
            seqs.add(seq);
            promptLens[i] = prompt.length;
        }
        int len = seqs.stream().mapToInt(a -> a.length).max().orElseThrow();
        long[][] tokens = new long[n][len];
        long[][] pos = new long[n][len];
        boolean[][] valid = new boolean[n][len];
        int[] lens = new int[n];
        int[] rows = new int[n * len];
        float[] labels = new float[n * len * vocab];
        for (int r = 0; r < n; r++) {
            long[] seq = seqs.get(r);
            lens[r] = seq.length;
            for (int i = 0; i < len; i++) {
                boolean real = i < seq.length;
                tokens[r][i] = real ? seq[i] : ToyTokenizer.EOS;
                pos[r][i] = real ? i : 0;
                valid[r][i] = real;
                rows[r * len + i] = r * len + i;
                if (i + 1 < seq.length) {
                    // position i predicts token i+1, a response token iff i+1 >= prompt length
                    double w = i + 1 >= promptLens[r] ? 1.0 : PROMPT_WEIGHT;
                    labels[(r * len + i) * vocab + (int) seq[i + 1]] = (float) w;
                }
            }
        }
        ForwardInputs in = new ForwardInputs(tokens, pos, valid, 0, lens, rows);
        Map<String, INDArray> feed = graph.feed(in, null);
        feed.put(LABELS, Nd4j.create(labels, new long[]{(long) n * len, vocab}, 'c'));
        return feed;
    }

    /** Writes {@code config.json}, {@code model.safetensors} and {@code tokenizer.json} into {@code dir}. */
    public static void export(Trained t, Settings s, Path dir) throws IOException {
        Files.createDirectories(dir);
        GptNeoXConfig c = t.config();
        ObjectMapper om = new ObjectMapper();
        ObjectNode j = om.createObjectNode();
        j.putArray("architectures").add(GptNeoXConfig.ARCHITECTURE);
        j.put("model_type", "gpt_neox");
        j.put("hidden_size", c.hiddenSize());
        j.put("num_attention_heads", c.numHeads());
        j.put("num_hidden_layers", c.numLayers());
        j.put("intermediate_size", c.intermediateSize());
        j.put("rotary_pct", c.rotaryPct());
        j.put("rotary_emb_base", c.rotaryEmbBase());
        j.put("use_parallel_residual", c.useParallelResidual());
        j.put("layer_norm_eps", c.layerNormEps());
        j.put("hidden_act", c.hiddenAct());
        j.put("attention_bias", c.attentionBias());
        j.put("tie_word_embeddings", c.tieWordEmbeddings());
        j.put("vocab_size", c.vocabSize());
        j.put("bos_token_id", ToyTokenizer.EOS);
        j.put("eos_token_id", ToyTokenizer.EOS);
        j.put("max_position_embeddings", 128);
        j.put("initializer_range", 0.02);
        j.put("torch_dtype", "float32");
        Files.writeString(dir.resolve("config.json"), om.writerWithDefaultPrettyPrinter().writeValueAsString(j) + "\n");
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("trained_by", "steering train-toy");
        meta.put("seed", Long.toString(s.seed()));
        meta.put("steps", Integer.toString(s.steps()));
        meta.put("batch_size", Integer.toString(s.batchSize()));
        meta.put("lr", Double.toString(s.lr()));
        if (!t.losses().isEmpty()) {
            meta.put("final_loss", String.format("%.4f", t.losses().get(t.losses().size() - 1)[1]));
        }
        SafeTensors.write(dir.resolve("model.safetensors"), GptNeoX.huggingFaceTensors(c, t.weights()), meta);
        t.tokenizer().write(dir.resolve("tokenizer.json"));
    }
}
