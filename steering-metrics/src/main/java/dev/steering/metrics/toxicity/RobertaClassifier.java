package dev.steering.metrics.toxicity;

import dev.steering.hub.ModelLocator;
import dev.steering.model.Ops;
import dev.steering.weights.Checkpoint;
import dev.steering.weights.TensorSource;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.nd4j.autodiff.samediff.SDVariable;
import org.nd4j.autodiff.samediff.SameDiff;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@code RobertaForSequenceClassification} checkpoint (such as {@code unitary/unbiased-toxic-roberta}) as one
 * SameDiff graph: embeddings with RoBERTa's position ids, post-LayerNorm encoder layers, the classification head on
 * the {@code <s>} token ({@code dense → tanh → out_proj}). Probabilities are independent sigmoids for
 * {@code problem_type: multi_label_classification}, a softmax otherwise ({@link #probabilities}).
 *
 * <p>Sequences of different lengths are scored in one batch, right-padded with {@code pad_token_id}; padding is
 * masked out of attention and keeps the pad position id, so it does not change any score. Activations are 2-D
 * {@code [batch·seq, hidden]}; attention reshapes to {@code [batch, heads, seq, headDim]}.
 *
 * <p>Thread-safe: calls to {@link #classify} are serialized.
 */
public final class RobertaClassifier implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RobertaClassifier.class);
    private static final String INPUT_IDS = "input_ids";
    private static final String POSITION_IDS = "position_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String CLS_ROWS = "cls_rows";
    private static final double MASKED = -1e9;

    /**
     * The classifier's output for one sequence.
     *
     * @param logits       one per label
     * @param probs        one per label (sigmoid or softmax of the logits, see {@link #probabilities})
     * @param hiddenStates if requested: the embedding output, then each layer's output, each {@code [tokens, hidden]}
     *                     for the sequence's own tokens (no padding); otherwise empty
     */
    public record Output(double[] logits, double[] probs, List<float[][]> hiddenStates) {
        /** Copies the hidden states list. */
        public Output {
            hiddenStates = List.copyOf(hiddenStates);
        }
    }

    private final String id;
    private final RobertaConfig config;
    private final RobertaTokenizer tokenizer;
    private final SameDiff sd;
    private final List<String> hiddenNames = new ArrayList<>();
    private final String logitsName;

    private RobertaClassifier(String id, RobertaConfig config, TensorSource tensors, RobertaTokenizer tokenizer) {
        this.id = id;
        this.config = config;
        this.tokenizer = tokenizer;
        this.sd = SameDiff.create();
        this.logitsName = build(new Tensors(tensors));
    }

    /**
     * Loads a classifier from a spec: an alias (e.g. {@code toxic-roberta}), a hub repository id or a local
     * directory, resolved with {@link ModelLocator}.
     *
     * @param spec what the user typed
     * @return the classifier
     */
    public static RobertaClassifier load(String spec) {
        return load(ModelLocator.locate(spec), spec);
    }

    /**
     * Loads a classifier from a model directory: {@code config.json}, the weights (safetensors, sharded or
     * {@code pytorch_model.bin}) and, if present, the tokenizer ({@link RobertaTokenizer#load}).
     *
     * @param dir the directory
     * @return the classifier
     */
    public static RobertaClassifier load(Path dir) {
        return load(dir, dir.toString());
    }

    private static RobertaClassifier load(Path dir, String id) {
        try (Checkpoint ckpt = Checkpoint.open(dir)) {
            RobertaConfig config = RobertaConfig.fromJson(ckpt.config(), dir.resolve("config.json").toString());
            RobertaTokenizer tok = Files.isRegularFile(dir.resolve("tokenizer.json"))
                    || Files.isRegularFile(dir.resolve("vocab.json")) ? RobertaTokenizer.load(dir, config) : null;
            LOG.info("{}: {} layers, hidden {}, labels {}{}", id, config.numLayers(), config.hiddenSize(),
                    config.labels(), tok == null ? ", no tokenizer" : "");
            return new RobertaClassifier(id, config, ckpt.tensors(), tok);
        }
    }

    /** The spec or directory it was loaded from. */
    public String id() {
        return id;
    }

    /** The configuration. */
    public RobertaConfig config() {
        return config;
    }

    /** The label names, by class index. */
    public List<String> labels() {
        return config.labels();
    }

    /** The tokenizer, if the checkpoint has one. */
    public Optional<RobertaTokenizer> tokenizer() {
        return Optional.ofNullable(tokenizer);
    }

    /**
     * @return the tokenizer
     * @throws IllegalStateException if the checkpoint has none
     */
    public RobertaTokenizer requireTokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException(id + " has no tokenizer: expected tokenizer.json, or vocab.json and "
                    + "merges.txt");
        }
        return tokenizer;
    }

    /**
     * Classifies token sequences (each {@code <s> … </s>}, as {@link RobertaTokenizer#encode} gives) in one batch.
     *
     * @param tokenIds the sequences, of any lengths up to {@link RobertaConfig#maxTokens()}
     * @return one output per sequence, in order, without hidden states
     * @throws IllegalArgumentException for an empty or too long sequence or an id outside the vocabulary
     */
    public List<Output> classify(List<long[]> tokenIds) {
        return classify(tokenIds, false);
    }

    /**
     * Classifies token sequences in one batch, optionally returning every layer's hidden states.
     *
     * @param tokenIds     the sequences
     * @param hiddenStates whether to return the hidden states (for tests and probes)
     * @return one output per sequence, in order
     * @throws IllegalArgumentException for an empty or too long sequence or an id outside the vocabulary
     */
    public synchronized List<Output> classify(List<long[]> tokenIds, boolean hiddenStates) {
        if (tokenIds.isEmpty()) {
            return List.of();
        }
        int batch = tokenIds.size();
        int seq = 0;
        for (int i = 0; i < batch; i++) {
            long[] ids = tokenIds.get(i);
            if (ids.length == 0 || ids.length > config.maxTokens()) {
                throw new IllegalArgumentException("sequence " + i + " has " + ids.length + " tokens: expected 1 … "
                        + config.maxTokens());
            }
            for (long t : ids) {
                if (t < 0 || t >= config.vocabSize()) {
                    throw new IllegalArgumentException("sequence " + i + ": token id " + t
                            + " is outside the vocabulary 0 … " + (config.vocabSize() - 1));
                }
            }
            seq = Math.max(seq, ids.length);
        }
        long[] input = new long[batch * seq];
        long[] positions = new long[batch * seq];
        float[] mask = new float[batch * seq];
        long[] clsRows = new long[batch];
        Arrays.fill(input, config.padTokenId());
        for (int i = 0; i < batch; i++) {
            long[] ids = tokenIds.get(i);
            System.arraycopy(ids, 0, input, i * seq, ids.length);
            boolean[] real = new boolean[seq];
            Arrays.fill(real, 0, ids.length, true);
            long[] pos = positionIds(real, config.padTokenId());
            System.arraycopy(pos, 0, positions, i * seq, seq);
            for (int j = ids.length; j < seq; j++) {
                mask[i * seq + j] = (float) MASKED;
            }
            clsRows[i] = (long) i * seq;
        }
        Map<String, INDArray> feed = new HashMap<>();
        feed.put(INPUT_IDS, Nd4j.createFromArray(input).reshape(batch, seq));
        feed.put(POSITION_IDS, Nd4j.createFromArray(positions));
        feed.put(ATTENTION_MASK, Nd4j.createFromArray(mask).reshape(batch, 1, 1, seq));
        feed.put(CLS_ROWS, Nd4j.createFromArray(clsRows));
        List<String> outputs = new ArrayList<>();
        outputs.add(logitsName);
        if (hiddenStates) {
            outputs.addAll(hiddenNames);
        }
        Map<String, INDArray> out = sd.output(feed, outputs.toArray(String[]::new));
        INDArray logits = out.get(logitsName);
        List<Output> results = new ArrayList<>(batch);
        for (int i = 0; i < batch; i++) {
            double[] l = logits.getRow(i).toDoubleVector();
            List<float[][]> hidden = new ArrayList<>();
            if (hiddenStates) {
                int n = tokenIds.get(i).length;
                for (String h : hiddenNames) {
                    hidden.add(out.get(h).get(NDArrayIndex.interval((long) i * seq, (long) i * seq + n),
                            NDArrayIndex.all()).toFloatMatrix());
                }
            }
            results.add(new Output(l, probabilities(l, config.multiLabel()), hidden));
        }
        return results;
    }

    /**
     * RoBERTa's position ids ({@code create_position_ids_from_input_ids}): {@code cumsum(mask)·mask + pad}, i.e.
     * real tokens count from {@code padTokenId + 1} and padding keeps {@code padTokenId}.
     *
     * @param real       per position, whether it holds a real token
     * @param padTokenId the pad id
     * @return the position id of each position
     */
    public static long[] positionIds(boolean[] real, int padTokenId) {
        long[] out = new long[real.length];
        long count = 0;
        for (int j = 0; j < real.length; j++) {
            if (real[j]) {
                count++;
            }
            out[j] = real[j] ? count + padTokenId : padTokenId;
        }
        return out;
    }

    /**
     * Class probabilities from logits: independent sigmoids {@code 1/(1+e^−z)} for multi-label models, otherwise the
     * softmax {@code e^(z_i − max) / Σ e^(z_j − max)}.
     *
     * @param logits     one per label
     * @param multiLabel whether the labels are independent
     * @return one probability per label
     */
    public static double[] probabilities(double[] logits, boolean multiLabel) {
        double[] p = new double[logits.length];
        if (multiLabel) {
            for (int i = 0; i < p.length; i++) {
                p[i] = 1.0 / (1.0 + Math.exp(-logits[i]));
            }
            return p;
        }
        double max = Arrays.stream(logits).max().orElse(0);
        double sum = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /** Builds the graph; returns the logits variable's name. */
    private String build(Tensors w) {
        int hidden = config.hiddenSize();
        int heads = config.numHeads();
        int headDim = config.headDim();
        double eps = config.layerNormEps();
        SDVariable ids = sd.placeHolder(INPUT_IDS, DataType.INT64, -1, -1);
        SDVariable positions = sd.placeHolder(POSITION_IDS, DataType.INT64, -1);
        SDVariable mask = sd.placeHolder(ATTENTION_MASK, DataType.FLOAT, -1, 1, 1, -1);
        SDVariable clsRows = sd.placeHolder(CLS_ROWS, DataType.INT64, -1);
        SDVariable headShape = sd.concat(0, sd.shape(ids), sd.constant(Nd4j.createFromArray((long) heads, headDim)));

        String e = w.encoder + "embeddings.";
        INDArray tokenType = w.get(e + "token_type_embeddings.weight").getRow(0).reshape(1, hidden);
        SDVariable x = sd.gather(w.constant(sd, e + "word_embeddings.weight"), sd.reshape(ids, -1), 0)
                .add(sd.gather(w.constant(sd, e + "position_embeddings.weight"), positions, 0))
                .add(sd.constant(e + "token_type_embeddings.row0", tokenType));
        x = layerNorm(w, x, e + "LayerNorm", eps);
        hiddenNames.add(x.name());

        double scale = 1.0 / Math.sqrt(headDim);
        for (int l = 0; l < config.numLayers(); l++) {
            String p = w.encoder + "encoder.layer." + l + ".";
            String a = p + "attention.self.";
            INDArray qkvW = Nd4j.concat(0, w.get(a + "query.weight"), w.get(a + "key.weight"), w.get(a + "value.weight"));
            INDArray qkvB = Nd4j.concat(0, w.get(a + "query.bias"), w.get(a + "key.bias"), w.get(a + "value.bias"));
            SDVariable qkv = Ops.linear(sd, x, sd.constant(a + "qkv.weight", qkvW), sd.constant(a + "qkv.bias", qkvB));
            SDVariable q = splitHeads(Ops.columns(qkv, 0, hidden), headShape);
            SDVariable k = splitHeads(Ops.columns(qkv, hidden, 2L * hidden), headShape);
            SDVariable v = splitHeads(Ops.columns(qkv, 2L * hidden, 3L * hidden), headShape);
            SDVariable ctx = sd.reshape(sd.permute(Ops.attention(sd, q, k, v, mask, scale, 0), 0, 2, 1, 3), -1, hidden);
            SDVariable attnOut = Ops.linear(sd, ctx, w.constant(sd, p + "attention.output.dense.weight"),
                    w.constant(sd, p + "attention.output.dense.bias"));
            x = layerNorm(w, attnOut.add(x), p + "attention.output.LayerNorm", eps);
            SDVariable inter = Ops.activation(sd, config.hiddenAct(), Ops.linear(sd, x,
                    w.constant(sd, p + "intermediate.dense.weight"), w.constant(sd, p + "intermediate.dense.bias")));
            SDVariable ff = Ops.linear(sd, inter, w.constant(sd, p + "output.dense.weight"),
                    w.constant(sd, p + "output.dense.bias"));
            x = layerNorm(w, ff.add(x), p + "output.LayerNorm", eps);
            hiddenNames.add(x.name());
        }

        SDVariable cls = sd.gather(x, clsRows, 0);
        SDVariable dense = sd.math.tanh(Ops.linear(sd, cls, w.constant(sd, "classifier.dense.weight"),
                w.constant(sd, "classifier.dense.bias")));
        SDVariable logits = Ops.linear(sd, dense, w.constant(sd, "classifier.out_proj.weight"),
                w.constant(sd, "classifier.out_proj.bias"));
        long outRows = w.get("classifier.out_proj.weight").size(0);
        if (outRows != config.numLabels()) {
            throw new IllegalArgumentException(id + ": classifier.out_proj has " + outRows + " outputs but id2label "
                    + "names " + config.numLabels() + " labels");
        }
        return logits.name();
    }

    /** {@code [rows, hidden]} → {@code [batch, heads, seq, headDim]}. */
    private SDVariable splitHeads(SDVariable x, SDVariable headShape) {
        return sd.permute(sd.reshape(x, headShape), 0, 2, 1, 3);
    }

    private SDVariable layerNorm(Tensors w, SDVariable x, String name, double eps) {
        return Ops.layerNorm(sd, x, w.constant(sd, w.layerNormName(name, "weight", "gamma")),
                w.constant(sd, w.layerNormName(name, "bias", "beta")), eps);
    }

    /** The checkpoint's tensors, with the encoder's prefix ({@code roberta.}, or none) detected. */
    private static final class Tensors {
        private final TensorSource source;
        private final String encoder;

        Tensors(TensorSource source) {
            this.source = source;
            this.encoder = source.contains("roberta.embeddings.word_embeddings.weight") ? "roberta." : "";
        }

        INDArray get(String name) {
            return source.array(name);
        }

        SDVariable constant(SameDiff sd, String name) {
            return sd.constant(name, get(name));
        }

        /** A LayerNorm parameter under its current name ({@code weight}/{@code bias}) or the legacy one. */
        String layerNormName(String prefix, String current, String legacy) {
            String name = prefix + "." + current;
            return source.contains(name) || !source.contains(prefix + "." + legacy) ? name : prefix + "." + legacy;
        }
    }

    /** Closes the tokenizer. */
    @Override
    public void close() {
        if (tokenizer != null) {
            tokenizer.close();
        }
    }
}
