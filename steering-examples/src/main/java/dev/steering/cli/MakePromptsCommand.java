package dev.steering.cli;

import dev.steering.experiment.InputFormatException;
import dev.steering.experiment.Prompt;
import dev.steering.experiment.PromptGenerator;
import dev.steering.experiment.PromptIngest;
import dev.steering.experiment.PromptSet;
import dev.steering.experiment.PromptSplit;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code make-prompts}: writes the generated {@code harm_train}, {@code harm_test} and {@code benign} JSONL prompt sets,
 * or converts a user CSV/JSON(L) file into one JSONL prompt set.
 */
public final class MakePromptsCommand implements FlagCommand {
    private final PrintStream out;

    /** The command as loaded by {@link java.util.ServiceLoader}; reports go to standard output. */
    public MakePromptsCommand() {
        this(System.out);
    }

    /** A command that reports to {@code out}. */
    public MakePromptsCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public String name() {
        return "make-prompts";
    }

    @Override
    public Set<String> flags() {
        return Set.of("fast");
    }

    @Override
    public String usage() {
        return """
                usage: make-prompts --out DIR [--seed N] [--fast | --sizes TRAIN,TEST,BENIGN]
                       make-prompts --ingest FILE --column NAME [--id-column NAME] --split NAME --out FILE
                Generate mode writes harm_train.jsonl, harm_test.jsonl and benign.jsonl into DIR.
                  --seed N      random seed (default 0); the same seed gives the same files
                  --fast        60 prompts per set
                  --sizes A,B,C prompts in harm_train, harm_test, benign (default 150,150,200)
                Ingest mode converts a CSV file with a header row (.csv) or a JSON array / JSON lines file
                (.json, .jsonl) into one JSONL prompt set.
                  --ingest FILE     the input file
                  --column NAME     the column (CSV) or field (JSON) holding the prompt text
                  --id-column NAME  the column holding ids (default: generated as SPLIT_0001, ...)
                  --split NAME      the set name, used for generated ids and recorded in meta
                  --out FILE        the JSONL file to write""";
    }

    @Override
    public int run(Args args) throws Exception {
        return args.get("ingest") != null ? ingest(args) : generate(args);
    }

    private int generate(Args args) throws Exception {
        Path dir = Path.of(args.require("out"));
        long seed;
        try {
            seed = Long.parseLong(args.get("seed", "0").trim());
        } catch (NumberFormatException e) {
            throw new CliException("option --seed expects an integer, got '" + args.get("seed") + "'");
        }
        boolean fast = args.flag("fast");
        int[] sizes = args.getInts("sizes");
        args.finish();
        if (fast && sizes != null) {
            throw new CliException("--fast and --sizes are mutually exclusive");
        }
        PromptGenerator.Sizes s;
        if (sizes != null) {
            if (sizes.length != 3) {
                throw new CliException("--sizes expects three integers TRAIN,TEST,BENIGN, got " + sizes.length);
            }
            try {
                s = new PromptGenerator.Sizes(sizes[0], sizes[1], sizes[2]);
            } catch (IllegalArgumentException e) {
                throw new CliException("--sizes: " + e.getMessage());
            }
        } else {
            s = fast ? PromptGenerator.Sizes.fast() : PromptGenerator.Sizes.defaults();
        }
        for (PromptSplit split : PromptSplit.values()) {
            if (s.of(split) > PromptGenerator.capacity(split)) {
                throw new CliException("--sizes: at most " + PromptGenerator.capacity(split) + " distinct prompts for "
                        + split.id() + ", asked for " + s.of(split));
            }
        }
        PromptGenerator generator = new PromptGenerator(seed);
        Map<PromptSplit, PromptSet> sets = generator.generate(s);
        for (Map.Entry<PromptSplit, PromptSet> e : sets.entrySet()) {
            Path file = dir.resolve(e.getKey().fileName());
            e.getValue().write(file);
            out.printf("wrote %s (%d prompts, sha256 %s)%n", file, e.getValue().size(), e.getValue().hash());
        }
        return 0;
    }

    private int ingest(Args args) throws Exception {
        Path input = args.inputFile("ingest");
        String column = args.require("column");
        String idColumn = args.get("id-column");
        String split = args.require("split");
        Path output = Path.of(args.require("out"));
        args.finish();
        if (split.isBlank()) {
            throw new CliException("--split must be non-blank");
        }
        String name = input.getFileName().toString().toLowerCase(Locale.ROOT);
        List<Prompt> prompts;
        try {
            if (name.endsWith(".csv")) {
                prompts = PromptIngest.fromCsv(input, column, idColumn, split);
            } else if (name.endsWith(".json") || name.endsWith(".jsonl")) {
                prompts = PromptIngest.fromJson(input, column, idColumn, split);
            } else {
                throw new CliException("--ingest: cannot tell the format of " + input + " (expected .csv, .json or .jsonl)");
            }
        } catch (InputFormatException e) {
            throw new CliException(e.getMessage(), e);
        }
        PromptSet set = new PromptSet(prompts);
        set.write(output);
        out.printf("wrote %s (%d prompts, sha256 %s)%n", output, set.size(), set.hash());
        return 0;
    }
}
