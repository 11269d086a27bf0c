package dev.steering.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.steering.generate.Generator;
import dev.steering.hooks.Edit;
import dev.steering.model.LanguageModel;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code generate}: continue one sequence greedily (with an optional edit) and print the new tokens as JSON. */
@picocli.CommandLine.Command(name = "generate", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Continues one sequence greedily (with an optional steering edit).",
                "Prints {\"tokens\":[...]} (the generated ids; plus \"text\" when the model has a tokenizer)."})
public final class GenerateCommand implements Command {
    @Mixin
    ModelOptions input;

    @Option(names = "--greedy", required = true, description = "greedy decoding (the only mode of this command)")
    boolean greedy;

    @Option(names = "--max-new-tokens", paramLabel = "N", defaultValue = "20",
            description = "how many tokens to generate (default ${DEFAULT-VALUE}); stops early at EOS")
    int maxNewTokens;

    @Override
    public Integer call() throws Exception {
        if (maxNewTokens <= 0) {
            throw new CliException("--max-new-tokens must be positive, got " + maxNewTokens);
        }
        try (LanguageModel model = input.load()) {
            long[] tokens = input.tokens(model);
            List<Edit> edits = input.edits(model);
            long[] generated = new Generator(model.graph(edits), null, 0, model.config().eosTokenId())
                    .greedy(List.of(tokens), maxNewTokens).get(0);
            ObjectMapper json = new ObjectMapper();
            ObjectNode out = json.createObjectNode();
            out.putPOJO("tokens", generated);
            model.tokenizer().ifPresent(t -> out.put("text", t.decode(generated)));
            System.out.println(json.writeValueAsString(out));
            return 0;
        }
    }
}
