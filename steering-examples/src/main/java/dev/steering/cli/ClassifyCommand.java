package dev.steering.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.metrics.toxicity.RobertaClassifier;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code classify}: runs a sequence classifier (RoBERTa) on one input and prints labels, logits and probabilities. */
public final class ClassifyCommand implements Command {

    @Override
    public String name() {
        return "classify";
    }

    @Override
    public String usage() {
        return """
                usage: steering classify --model DIR_OR_ID (--tokens 0,31,415,2 | --text "...")
                  --model   a RobertaForSequenceClassification checkpoint: a directory, an org/name repository or an
                            alias such as toxic-roberta
                  --tokens  input token ids, used as given (include <s> ... </s>)
                  --text    input text, tokenized as <s> ... </s> (needs tokenizer.json, or vocab.json + merges.txt)
                Prints {"labels":[...],"logits":[...],"probs":[...]}: probs are sigmoids for multi-label models,
                a softmax otherwise (docs/toxicity.md).""";
    }

    @Override
    public int run(Args args) throws Exception {
        String model = args.require("model");
        int[] ids = args.getInts("tokens");
        String text = args.get("text");
        args.finish();
        if ((ids == null) == (text == null)) {
            throw new CliException("give exactly one of --tokens and --text");
        }
        try (RobertaClassifier classifier = ScoreCommand.loadClassifier(model)) {
            long[] tokens;
            if (ids != null) {
                tokens = Arrays.stream(ids).asLongStream().toArray();
            } else if (classifier.tokenizer().isPresent()) {
                tokens = classifier.tokenizer().get().encode(text);
            } else {
                throw new CliException(model + " has no tokenizer: pass --tokens instead of --text");
            }
            RobertaClassifier.Output out;
            try {
                out = classifier.classify(List.of(tokens)).get(0);
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
