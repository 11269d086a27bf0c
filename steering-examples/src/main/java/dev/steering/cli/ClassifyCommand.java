package dev.steering.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.metrics.toxicity.RobertaClassifier;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code classify}: runs a sequence classifier (RoBERTa) on one input and prints labels, logits and probabilities. */
@picocli.CommandLine.Command(name = "classify", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs a sequence classifier on one input.",
        footer = {"Prints {\"labels\":[...],\"logits\":[...],\"probs\":[...]}: probs are sigmoids for multi-label "
                + "models, a softmax otherwise (docs/toxicity.md)."})
public final class ClassifyCommand implements Command {
    @Option(names = "--model", required = true, paramLabel = "DIR_OR_ID",
            description = "a RobertaForSequenceClassification checkpoint: a directory, an org/name repository, an "
                    + "alias such as toxic-roberta or a bundled classifier (bundled:toxicity-tiny)")
    String model;

    @Option(names = "--tokens", split = ",", paramLabel = "IDS",
            description = "input token ids, used as given (include <s> ... </s>), e.g. 0,31,415,2")
    long[] tokens;

    @Option(names = "--text", paramLabel = "TEXT",
            description = "input text, tokenized as <s> ... </s> (needs tokenizer.json, or vocab.json + merges.txt)")
    String text;

    @Override
    public Integer call() throws Exception {
        if ((tokens == null) == (text == null)) {
            throw new CliException("give exactly one of --tokens and --text");
        }
        try (RobertaClassifier classifier = Models.classifier(model)) {
            long[] ids;
            if (tokens != null) {
                ids = tokens;
            } else if (classifier.tokenizer().isPresent()) {
                ids = classifier.tokenizer().get().encode(text);
            } else {
                throw new CliException(model + " has no tokenizer: pass --tokens instead of --text");
            }
            RobertaClassifier.Output out;
            try {
                out = classifier.classify(List.of(ids)).get(0);
            } catch (IllegalArgumentException e) {
                throw new CliException(e.getMessage(), e);
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("labels", classifier.labels());
            json.put("logits", out.logits());
            json.put("probs", out.probs());
            System.out.println(new ObjectMapper().writeValueAsString(json));
        }
        return 0;
    }
}
