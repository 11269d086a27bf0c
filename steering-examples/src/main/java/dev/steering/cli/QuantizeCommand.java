package dev.steering.cli;

import dev.steering.model.Precision;
import dev.steering.model.QuantizedCheckpoint;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/**
 * {@code quantize}: quantizes a model once (int8 or int4) and saves it as a checkpoint directory that loads at that
 * dtype without quantizing again (docs/precision.md, "Saving quantized weights").
 */
@picocli.CommandLine.Command(name = "quantize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Writes DIR/config.json, the tokenizer and generation files and DIR/model.safetensors with "
                + "the Q8_0 or Q4_0 blocks of every quantized matrix; prints the weights file.",
                "Load DIR with --dtype int8|int4 (the one it was saved at) or --dtype auto."})
public final class QuantizeCommand implements Command {
    @Option(names = "--model", required = true, paramLabel = "DIR_OR_ID",
            description = "a checkpoint directory, a Hugging Face repo id (org/name[@revision]), an alias or a "
                    + "bundled model (bundled:toy-refusal)")
    String model;

    @Option(names = "--dtype", required = true, converter = PrecisionOption.Parser.class, paramLabel = "int8|int4",
            description = "the quantization: int8 (Q8_0) or int4 (Q4_0), as --dtype of the other commands applies it")
    Precision dtype;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "the directory to write")
    Path out;

    @Override
    public Integer call() {
        if (dtype != Precision.INT8 && dtype != Precision.INT4) {
            throw new CliException("--dtype " + dtype + ": expected int8 or int4");
        }
        OutputFiles.checkWritableDir(out, "--out");
        Path source = Models.directory(model);
        if (source.toAbsolutePath().normalize().equals(out.toAbsolutePath().normalize())) {
            throw new CliException("--out " + out + ": is the model's own directory, expected another one");
        }
        System.err.println("quantizing " + model + " at " + dtype + " (as loading with --dtype " + dtype + " does)");
        System.out.println(QuantizedCheckpoint.save(source, out, dtype));
        return 0;
    }
}
