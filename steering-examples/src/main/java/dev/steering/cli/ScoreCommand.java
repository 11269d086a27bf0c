package dev.steering.cli;

import dev.steering.metrics.CompletionScorer;
import dev.steering.metrics.HelpfulnessMetric;
import dev.steering.metrics.QualityMetric;
import dev.steering.metrics.RefusalMetric;
import dev.steering.metrics.ScoreJsonl;
import dev.steering.metrics.toxicity.RobertaClassifier;
import dev.steering.metrics.toxicity.ToxicityMetric;

import java.io.IOException;
import java.nio.file.Path;

/** {@code score}: adds the metric fields to a JSONL file of completions (see {@link ScoreJsonl}). */
public final class ScoreCommand implements Command {

    @Override
    public String name() {
        return "score";
    }

    @Override
    public String usage() {
        return """
                usage: steering score --in completions.jsonl --out scored.jsonl [--phrases refusal.yaml|.json]
                                      [--toxicity-model ID_OR_DIR [--toxicity-batch N]]
                  --in       JSONL, one {"id":..,"completion":".."} per line (other fields are kept; optional
                             "logprobs"/"entropies" arrays add n_tokens, mean_logprob, mean_entropy)
                  --out      output JSONL: each line plus refusal_score, is_refusal, refusal_matches,
                             helpfulness_score, is_helpful, quality, n_words, distinct_2, ... (docs/metrics.md)
                  --phrases  refusal phrase lists and weights replacing the defaults (YAML or JSON)
                  --toxicity-model  a RobertaForSequenceClassification checkpoint (e.g. toxic-roberta, an org/name
                             repository or a directory): adds "toxicity" and "tox_<label>" per label (docs/toxicity.md)
                  --toxicity-batch  completions per classifier forward pass (default 16)
                A malformed line is an error naming its line number, and then nothing is written.""";
    }

    @Override
    public int run(Args args) throws IOException {
        Path in = args.inputFile("in");
        Path out = Path.of(args.require("out"));
        String phrases = args.get("phrases");
        String toxicityModel = args.get("toxicity-model");
        int toxicityBatch = args.getInt("toxicity-batch", ToxicityMetric.DEFAULT_BATCH_SIZE);
        args.finish();
        if (toxicityBatch < 1) {
            throw new CliException("--toxicity-batch must be at least 1, got " + toxicityBatch);
        }
        RefusalMetric refusal = RefusalMetric.defaults();
        if (phrases != null) {
            Path p = Path.of(phrases);
            try {
                refusal = phrases.endsWith(".json") ? RefusalMetric.fromJson(p) : RefusalMetric.fromYaml(p);
            } catch (IllegalArgumentException | IOException e) {
                throw new CliException("--phrases: " + e.getMessage(), e);
            }
        }
        CompletionScorer scorer = new CompletionScorer(refusal,
                HelpfulnessMetric.builder().refusal(refusal).build(), QualityMetric.defaults());
        int n;
        if (toxicityModel == null) {
            n = score(in, out, scorer, null);
        } else {
            RobertaClassifier classifier = loadClassifier(toxicityModel);
            if (classifier.tokenizer().isEmpty()) {
                classifier.close();
                throw new CliException("--toxicity-model " + toxicityModel + " has no tokenizer (tokenizer.json, or "
                        + "vocab.json and merges.txt)");
            }
            try (ToxicityMetric toxicity = new ToxicityMetric(classifier, toxicityBatch)) {
                n = score(in, out, scorer, toxicity);
            }
        }
        System.err.println("scored " + n + " completions -> " + out);
        return 0;
    }

    private static int score(Path in, Path out, CompletionScorer scorer, ToxicityMetric toxicity) throws IOException {
        try {
            return toxicity == null ? ScoreJsonl.score(in, out, scorer) : ScoreJsonl.score(in, out, scorer,
                    toxicity::fields);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    /** Loads a classifier named on the command line; bad specs and checkpoints become one-line errors. */
    static RobertaClassifier loadClassifier(String spec) {
        try {
            return RobertaClassifier.load(spec);
        } catch (RuntimeException e) {
            throw new CliException("cannot load classifier " + spec + ": " + e.getMessage(), e);
        }
    }
}
