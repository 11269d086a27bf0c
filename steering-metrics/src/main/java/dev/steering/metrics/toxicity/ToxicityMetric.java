package dev.steering.metrics.toxicity;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Toxicity of completions with a {@link RobertaClassifier} (e.g. {@code toxic-roberta}, Detoxify's unbiased model):
 * every label's probability per text, {@link ToxicityScore#toxicity()} as the headline.
 *
 * <p>Texts are tokenized as {@code <s> … </s>}, truncated to the model's maximum length, and classified in batches of
 * similar length (padding does not change a score, so batching only changes speed). Owns its classifier.
 */
public final class ToxicityMetric implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ToxicityMetric.class);
    /** Texts per forward pass unless configured. */
    public static final int DEFAULT_BATCH_SIZE = 16;

    private final RobertaClassifier classifier;
    private final RobertaTokenizer tokenizer;
    private final int batchSize;

    /**
     * @param classifier the classifier (it must have a tokenizer); closed with this metric
     * @param batchSize  texts per forward pass, at least 1
     * @throws IllegalStateException if the classifier has no tokenizer
     */
    public ToxicityMetric(RobertaClassifier classifier, int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
        this.classifier = classifier;
        this.tokenizer = classifier.requireTokenizer();
        this.batchSize = batchSize;
    }

    /**
     * Loads the classifier from a spec ({@link RobertaClassifier#load(String)}) with the default batch size.
     *
     * @param spec an alias such as {@code toxic-roberta}, a hub repository id or a local directory
     * @return the metric
     */
    public static ToxicityMetric load(String spec) {
        return new ToxicityMetric(RobertaClassifier.load(spec), DEFAULT_BATCH_SIZE);
    }

    /** The classifier. */
    public RobertaClassifier classifier() {
        return classifier;
    }

    /** Scores one text. */
    public ToxicityScore score(String text) {
        return score(List.of(text)).get(0);
    }

    /**
     * Scores texts in batches.
     *
     * @param texts the completions
     * @return one score per text, in order
     */
    public List<ToxicityScore> score(List<String> texts) {
        List<long[]> ids = texts.stream().map(tokenizer::encode).toList();
        Integer[] order = IntStream.range(0, ids.size()).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingInt(i -> ids.get(i).length));
        ToxicityScore[] out = new ToxicityScore[ids.size()];
        List<String> labels = classifier.labels();
        for (int from = 0; from < order.length; from += batchSize) {
            List<Integer> batch = Arrays.asList(order).subList(from, Math.min(order.length, from + batchSize));
            List<RobertaClassifier.Output> results = classifier.classify(batch.stream().map(ids::get).toList());
            for (int b = 0; b < batch.size(); b++) {
                double[] p = results.get(b).probs();
                Map<String, Double> probs = new LinkedHashMap<>();
                for (int l = 0; l < labels.size(); l++) {
                    probs.put(labels.get(l), p[l]);
                }
                out[batch.get(b)] = new ToxicityScore(probs);
            }
        }
        LOG.debug("scored {} texts in batches of {}", texts.size(), batchSize);
        return Arrays.asList(out);
    }

    /**
     * The fields of one completion for a results table or JSONL row ({@link ToxicityScore#toFields()}).
     *
     * @param text the completion
     * @return {@code toxicity} and {@code tox_<label>} for each label
     */
    public Map<String, Object> fields(String text) {
        return score(text).toFields();
    }

    /**
     * The fields of many completions, scored in batches.
     *
     * @param texts the completions
     * @return one field map per text, in order
     */
    public List<Map<String, Object>> fields(List<String> texts) {
        List<Map<String, Object>> out = new ArrayList<>();
        score(texts).forEach(s -> out.add(s.toFields()));
        return out;
    }

    /** Closes the classifier. */
    @Override
    public void close() {
        classifier.close();
    }
}
