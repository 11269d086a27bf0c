package dev.steering.cli;

import dev.steering.model.Precision;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Option;

/** The {@code --dtype} option of every command that loads a language model (a picocli mixin). */
final class PrecisionOption {
    @Option(names = "--dtype", defaultValue = "float32", converter = Parser.class, paramLabel = "DTYPE",
            description = "weight precision: float32 (default, exact), bfloat16, float16, int8, int4 or auto (the "
                    + "checkpoint's stored 16-bit type); activations, edits and logits stay float32 "
                    + "(docs/precision.md)")
    Precision dtype;

    /** Parses a precision name ({@link Precision#parse}); picocli reports a bad one with the accepted names. */
    static final class Parser implements ITypeConverter<Precision> {
        @Override
        public Precision convert(String value) {
            return Precision.parse(value);
        }
    }
}
