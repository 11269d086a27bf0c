package dev.steering.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.generate.Generator;
import dev.steering.hooks.Edit;
import dev.steering.model.LanguageModel;
import java.util.List;
import java.util.Set;

/** {@code generate}: continue one sequence greedily (with an optional edit) and print the new tokens as JSON. */
public final class GenerateCommand implements FlagCommand {
    @Override
    public String name() {
        return "generate";
    }

    @Override
    public Set<String> flags() {
        return Set.of("greedy");
    }

    @Override
    public String usage() {
        return "usage: steering generate --model M (--tokens IDS | --text T) --greedy --max-new-tokens N [--edit ...]\n"
                + "Prints {\"tokens\":[...]} (the generated ids; plus \"text\" when the model has a tokenizer).\n"
                + ModelOptions.USAGE + "\n  --greedy               greedy decoding (the only mode of this command)"
                + "\n  --max-new-tokens N     how many tokens to generate (default 20); stops early at EOS";
    }

    @Override
    public int run(Args args) throws Exception {
        if (!args.flag("greedy")) {
            throw new CliException("only --greedy decoding is available in this command");
        }
        int n = args.getInt("max-new-tokens", 20);
        if (n <= 0) {
            throw new CliException("--max-new-tokens must be positive, got " + n);
        }
        try (LanguageModel model = ModelOptions.model(args)) {
            long[] tokens = ModelOptions.tokens(args, model);
            List<Edit> edits = ModelOptions.edits(args, model);
            args.finish();
            long[] generated = new Generator(model.graph(edits), null, 0, model.config().eosTokenId())
                    .greedy(List.of(tokens), n).get(0);
            ObjectMapper json = new ObjectMapper();
            ObjectNode out = json.createObjectNode();
            out.putPOJO("tokens", generated);
            model.tokenizer().ifPresent(t -> out.put("text", t.decode(generated)));
            System.out.println(json.writeValueAsString(out));
            return 0;
        }
    }
}
