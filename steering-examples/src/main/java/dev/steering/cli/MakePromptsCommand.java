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
import picocli.CommandLine.Option;

/**
 * {@code make-prompts}: writes the generated {@code harm_train}, {@code harm_test} and {@code benign} JSONL prompt sets,
 * or converts a user CSV/JSON(L) file into one JSONL prompt set.
 */
@picocli.CommandLine.Command(name = "make-prompts", mixinStandardHelpOptions = true, sortOptions = false,
        customSynopsis = {"Usage: make-prompts --out DIR [--seed N] [--fast | --sizes TRAIN,TEST,BENIGN]",
                "       make-prompts --ingest FILE --column NAME [--id-column NAME] --split NAME --out FILE"},
        description = {"Generate mode writes harm_train.jsonl, harm_test.jsonl and benign.jsonl into DIR.",
                "Ingest mode (--ingest) converts a CSV file with a header row (.csv) or a JSON array / JSON lines file "
                        + "(.json, .jsonl) into one JSONL prompt set."})
public final class MakePromptsCommand implements Command {
    private final PrintStream out;

    @Option(names = "--out", required = true, paramLabel = "DIR|FILE",
            description = "generate mode: the folder to write; ingest mode: the JSONL file to write")
    Path target;

    @Option(names = "--seed", paramLabel = "N", description = "generate mode: random seed (default 0); the same seed "
            + "gives the same files")
    Long seed;

    @Option(names = "--fast", description = "generate mode: 60 prompts per set")
    boolean fast;

    @Option(names = "--sizes", split = ",", paramLabel = "A,B,C",
            description = "generate mode: prompts in harm_train, harm_test, benign (default 150,150,200)")
    int[] sizes;

    @Option(names = "--ingest", paramLabel = "FILE", description = "ingest mode: the input file")
    Path ingest;

    @Option(names = "--column", paramLabel = "NAME",
            description = "ingest mode: the column (CSV) or field (JSON) holding the prompt text")
    String column;

    @Option(names = "--id-column", paramLabel = "NAME",
            description = "ingest mode: the column holding ids (default: generated as SPLIT_0001, ...)")
    String idColumn;

    @Option(names = "--split", paramLabel = "NAME",
            description = "ingest mode: the set name, used for generated ids and recorded in meta")
    String split;

    /** The command as loaded by {@link java.util.ServiceLoader}; reports go to standard output. */
    public MakePromptsCommand() {
        this(System.out);
    }

    /** A command that reports to {@code out}. */
    public MakePromptsCommand(PrintStream out) {
        this.out = out;
    }

    @Override
    public Integer call() throws Exception {
        if (ingest != null) {
            if (seed != null || fast || sizes != null) {
                throw new CliException("--seed, --fast and --sizes belong to generate mode, not --ingest");
            }
            return ingest();
        }
        if (column != null || idColumn != null || split != null) {
            throw new CliException("--column, --id-column and --split need --ingest FILE");
        }
        return generate();
    }

    private int generate() throws Exception {
        Path dir = target;
        OutputFiles.checkWritableDir(dir, "--out");
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
        PromptGenerator generator = new PromptGenerator(seed == null ? 0 : seed);
        Map<PromptSplit, PromptSet> sets = generator.generate(s);
        for (Map.Entry<PromptSplit, PromptSet> e : sets.entrySet()) {
            Path file = dir.resolve(e.getKey().fileName());
            e.getValue().write(file);
            out.printf("wrote %s (%d prompts, sha256 %s)%n", file, e.getValue().size(), e.getValue().hash());
        }
        return 0;
    }

    private int ingest() throws Exception {
        if (!java.nio.file.Files.isRegularFile(ingest)) {
            throw new CliException("--ingest: no such file: " + ingest);
        }
        if (column == null || split == null) {
            throw new CliException("--ingest needs --column NAME and --split NAME");
        }
        Path input = ingest;
        Path output = target;
        OutputFiles.checkWritable(output, "--out");
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
