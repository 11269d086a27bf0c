package dev.steering.cli;

import dev.steering.metrics.CompletionScorer;
import dev.steering.metrics.HelpfulnessMetric;
import dev.steering.metrics.QualityMetric;
import dev.steering.metrics.RefusalMetric;
import dev.steering.metrics.ScoreJsonl;

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
                  --in       JSONL, one {"id":..,"completion":".."} per line (other fields are kept; optional
                             "logprobs"/"entropies" arrays add n_tokens, mean_logprob, mean_entropy)
                  --out      output JSONL: each line plus refusal_score, is_refusal, refusal_matches,
                             helpfulness_score, is_helpful, quality, n_words, distinct_2, ... (docs/metrics.md)
                  --phrases  refusal phrase lists and weights replacing the defaults (YAML or JSON)
                A malformed line is an error naming its line number, and then nothing is written.""";
    }

    @Override
    public int run(Args args) throws IOException {
        Path in = args.inputFile("in");
        Path out = Path.of(args.require("out"));
        String phrases = args.get("phrases");
        args.finish();
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
        try {
            int n = ScoreJsonl.score(in, out, scorer);
            System.err.println("scored " + n + " completions -> " + out);
        } catch (IllegalArgumentException e) {
            throw new CliException(e.getMessage(), e);
        }
        return 0;
    }
}
