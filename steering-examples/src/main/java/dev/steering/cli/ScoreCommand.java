package dev.steering.cli;

import dev.steering.metrics.CompletionScorer;
import dev.steering.metrics.HelpfulnessMetric;
import dev.steering.metrics.QualityMetric;
import dev.steering.metrics.RefusalMetric;
import dev.steering.metrics.ScoreJsonl;
import dev.steering.metrics.toxicity.RobertaClassifier;
import dev.steering.metrics.toxicity.ToxicityMetric;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code score}: adds the metric fields to a JSONL file of completions (see {@link ScoreJsonl}). */
@picocli.CommandLine.Command(name = "score", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Adds the metric fields to a JSONL file of completions.",
        footer = "A malformed line is an error naming its line number, and then nothing is written.")
public final class ScoreCommand implements Command {
    @Option(names = "--in", required = true, paramLabel = "completions.jsonl",
            description = "JSONL, one {\"id\":..,\"completion\":\"..\"} per line (other fields are kept; optional "
                    + "\"logprobs\"/\"entropies\" arrays add n_tokens, mean_logprob, mean_entropy)")
    Path in;

    @Option(names = "--out", required = true, paramLabel = "scored.jsonl",
            description = "output JSONL: each line plus refusal_score, is_refusal, refusal_matches, "
                    + "helpfulness_score, is_helpful, quality, n_words, distinct_2, ... (docs/metrics.md)")
    Path out;

    @Option(names = "--phrases", paramLabel = "refusal.yaml|.json",
            description = "refusal phrase lists and weights replacing the defaults (YAML or JSON)")
    Path phrases;

    @Option(names = "--toxicity-model", paramLabel = "ID_OR_DIR",
            description = "a RobertaForSequenceClassification checkpoint (e.g. toxic-roberta, an org/name repository, "
                    + "a directory or bundled:toxicity-tiny): adds \"toxicity\" and \"tox_<label>\" per label "
                    + "(docs/toxicity.md)")
    String toxicityModel;

    @Option(names = "--toxicity-batch", paramLabel = "N", defaultValue = "" + ToxicityMetric.DEFAULT_BATCH_SIZE,
            description = "completions per classifier forward pass (default ${DEFAULT-VALUE})")
    int toxicityBatch;

    @Override
    public Integer call() throws IOException {
        if (!Files.isRegularFile(in)) {
            throw new CliException("--in: no such file: " + in);
        }
        if (toxicityBatch < 1) {
            throw new CliException("--toxicity-batch must be at least 1, got " + toxicityBatch);
        }
        OutputFiles.checkWritable(out, "--out");
        RefusalMetric refusal = RefusalMetric.defaults();
        if (phrases != null) {
            try {
                refusal = phrases.toString().endsWith(".json") ? RefusalMetric.fromJson(phrases)
                        : RefusalMetric.fromYaml(phrases);
            } catch (IllegalArgumentException | IOException e) {
                throw new CliException("--phrases: " + e.getMessage(), e);
            }
        }
        CompletionScorer scorer = new CompletionScorer(refusal,
                HelpfulnessMetric.builder().refusal(refusal).build(), QualityMetric.defaults());
        int n;
        if (toxicityModel == null) {
            n = score(scorer, null);
        } else {
            RobertaClassifier classifier = Models.classifier(toxicityModel);
            if (classifier.tokenizer().isEmpty()) {
                classifier.close();
                throw new CliException("--toxicity-model " + toxicityModel + " has no tokenizer (tokenizer.json, or "
                        + "vocab.json and merges.txt)");
            }
            try (ToxicityMetric toxicity = new ToxicityMetric(classifier, toxicityBatch)) {
                n = score(scorer, toxicity);
            }
        }
        System.err.println("scored " + n + " completions -> " + out);
        return 0;
    }

    private int score(CompletionScorer scorer, ToxicityMetric toxicity) throws IOException {
        try {
            return toxicity == null ? ScoreJsonl.score(in, out, scorer) : ScoreJsonl.score(in, out, scorer,
                    toxicity::fields);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
