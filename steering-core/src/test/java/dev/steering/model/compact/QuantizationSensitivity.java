package dev.steering.model.compact;

import dev.steering.model.Architecture;
import dev.steering.model.Architectures;
import dev.steering.model.ForwardInputs;
import dev.steering.model.LanguageModel;
import dev.steering.model.LogitsAgreement;
import dev.steering.model.compact.FakeQuantizedTensors.Matrix;
import dev.steering.weights.Checkpoint;
import dev.steering.weights.TensorSource;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The measurements behind docs/precision.md's int4 section (a tool, not a test): for each model directory given,
 * logits at every position of {@code FakeQuantizedLogitsTest}'s prompts against float32 (mean cosine / argmax
 * agreement) when
 * <ul>
 * <li>{@code gap}: nothing is quantized — the float32 gap between the two largest logits in units of the logits'
 * standard deviation (10 %, 25 %, 50 % quantiles): how close the greedy choice is to a tie;</li>
 * <li>{@code kinds}: only the matrices of one kind (qkv, v, o, up, down, unembed) are INT4 (everything else float32),
 * and the int4 policy with that kind and the embeddings left float32;</li>
 * <li>{@code bits}: every projection matrix is a symmetric b-bit block format (b = 4..8, groups of 32, F16 scale,
 * least-squares scale as {@link StorageType#INT4}), embeddings BF16 and untied unembeddings INT8 as under the int4
 * policy.</li>
 * </ul>
 * Run after {@code mvn -B -q -o -pl steering-core test-compile dependency:build-classpath
 * -Dmdep.outputFile=target/cp.txt} from {@code steering-core}:
 * {@code java -cp target/test-classes:target/classes:$(cat target/cp.txt)
 * dev.steering.model.compact.QuantizationSensitivity bits src/test/resources/fixtures/gpt2-tiny}.
 */
final class QuantizationSensitivity {
    private static final List<String> KINDS = List.of("qkv", "v", "o", "up", "down", "unembed");

    private QuantizationSensitivity() {
    }

    public static void main(String[] args) {
        if (args.length < 2 || !Set.of("gap", "kinds", "bits").contains(args[0])) {
            System.err.println("usage: QuantizationSensitivity gap|kinds|bits MODEL_DIR...");
            System.exit(2);
        }
        for (String d : Arrays.copyOfRange(args, 1, args.length)) {
            Path dir = Path.of(d);
            try (Checkpoint ckpt = Checkpoint.open(dir)) {
                boolean conv1d = ckpt.config().path("model_type").asText().equals("gpt2");
                String origin = dir.resolve("config.json").toString();
                Architecture f32 = Architectures.load(ckpt.config(), ckpt.tensors(), origin);
                int vocab = f32.config().vocabSize();
                boolean toy = dir.endsWith("toy-refusal");
                List<INDArray> reference = logits(f32, prompts(vocab, toy ? 601 : vocab));
                switch (args[0]) {
                    case "gap" -> System.out.println(dir.getFileName() + " " + gaps(reference));
                    case "kinds" -> {
                        for (String kind : KINDS) {
                            Function<String, StorageType> only = n -> kind(n).equals(kind) ? StorageType.INT4 : null;
                            Function<String, StorageType> allBut = n -> kind(n).equals(kind)
                                    || kind(n).equals("embed") ? null
                                    : kind(n).equals("unembed") ? StorageType.INT8 : StorageType.INT4;
                            report(dir, "only " + kind, ckpt, conv1d, origin, reference, blocks(only));
                            report(dir, "all but " + kind, ckpt, conv1d, origin, reference, blocks(allBut));
                        }
                    }
                    default -> {
                        for (int bits = 4; bits <= 8; bits++) {
                            int nmax = 1 << (bits - 1);
                            report(dir, bits + "-bit", ckpt, conv1d, origin, reference, name -> switch (kind(name)) {
                                case "embed" -> FakeQuantizedTensors.roundTrip(StorageType.BF16);
                                case "unembed" -> FakeQuantizedTensors.roundTrip(StorageType.INT8);
                                default -> w -> symmetric(w, nmax);
                            });
                        }
                    }
                }
            }
        }
    }

    private static Function<String, Function<Matrix, float[]>> blocks(Function<String, StorageType> type) {
        return name -> {
            StorageType t = type.apply(name);
            return t == null ? null : FakeQuantizedTensors.roundTrip(t);
        };
    }

    /** The tensor kind of a checkpoint name (the projections of every fixture's naming scheme). */
    static String kind(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        if (CompactPolicy.isEmbedding(n)) {
            return "embed";
        }
        if (CompactPolicy.isUnembedding(n)) {
            return "unembed";
        }
        if (n.contains("v_proj")) {
            return "v";
        }
        if (Stream.of("query_key_value", "c_attn", "q_proj", "k_proj", "qkv_proj").anyMatch(n::contains)) {
            return "qkv";
        }
        if (Stream.of("attention.dense", "attn.c_proj", "o_proj").anyMatch(n::contains)) {
            return "o";
        }
        if (Stream.of("h_to_4h", "c_fc", "gate", "up_proj").anyMatch(n::contains)) {
            return "up";
        }
        return "down";
    }

    /**
     * Symmetric levels {@code [-nmax, nmax)} per group of 32 with the least-squares scale of the 19 candidates
     * around {@code m / -nmax} (INT4's search, for any width), the scale rounded to F16.
     */
    static float[] symmetric(Matrix m, int nmax) {
        int g = StorageType.GROUP;
        float[] back = new float[m.w().length];
        int[] levels = new int[g];
        for (int r = 0; r < m.out(); r++) {
            for (int k0 = 0; k0 < m.in(); k0 += g) {
                int n = Math.min(g, m.in() - k0);
                int base = r * m.in() + k0;
                float max = 0;
                for (int i = 0; i < n; i++) {
                    max = Math.abs(m.w()[base + i]) > Math.abs(max) ? m.w()[base + i] : max;
                }
                if (max == 0) {
                    continue;
                }
                double best = -1;
                double scale = 0;
                float bestIscale = 0;
                for (int s = -9; s <= 9; s++) {
                    float iscale = -(nmax + 0.1f * s) / max;
                    double sumlx = 0;
                    double suml2 = 0;
                    for (int i = 0; i < n; i++) {
                        int l = Math.max(-nmax, Math.min(nmax - 1, Math.round(m.w()[base + i] * iscale)));
                        sumlx += m.w()[base + i] * l;
                        suml2 += (double) l * l;
                    }
                    if (suml2 > 0 && sumlx * sumlx / suml2 > best) {
                        best = sumlx * sumlx / suml2;
                        scale = sumlx / suml2;
                        bestIscale = iscale;
                    }
                }
                float d = HalfFloats.halfToFloat(HalfFloats.floatToHalf((float) scale));
                for (int i = 0; i < n; i++) {
                    levels[i] = Math.max(-nmax, Math.min(nmax - 1, Math.round(m.w()[base + i] * bestIscale)));
                    back[base + i] = levels[i] * d;
                }
            }
        }
        return back;
    }

    private static void report(Path dir, String label, Checkpoint ckpt, boolean conv1d, String origin,
                               List<INDArray> reference, Function<String, Function<Matrix, float[]>> pick) {
        TensorSource src = new FakeQuantizedTensors(ckpt.tensors(), conv1d, (name, info) -> pick.apply(name));
        Architecture q = Architectures.load(ckpt.config(), src, origin);
        int vocab = q.config().vocabSize();
        LogitsAgreement m = LogitsAgreement.of(reference, logits(q, prompts(vocab,
                dir.endsWith("toy-refusal") ? 601 : vocab)));
        System.out.printf(Locale.ROOT, "%s %-14s mean cosine %.5f, argmax agreement %.3f over %d positions%n",
                dir.getFileName(), label, m.meanCosine(), m.agreement(), m.positions());
    }

    private static String gaps(List<INDArray> reference) {
        double[] gaps = reference.stream().flatMap(a -> java.util.stream.IntStream.range(0, a.rows())
                .mapToObj(i -> a.getRow(i).toDoubleVector())).mapToDouble(row -> {
                    double[] s = row.clone();
                    Arrays.sort(s);
                    double mean = Arrays.stream(row).average().orElse(0);
                    double var = Arrays.stream(row).map(v -> (v - mean) * (v - mean)).average().orElse(0);
                    return (s[s.length - 1] - s[s.length - 2]) / Math.sqrt(var);
                }).sorted().toArray();
        return String.format(Locale.ROOT, "top-2 logit gap / sd of the logits: 10%% %.3f, 25%% %.3f, 50%% %.3f",
                gaps[gaps.length / 10], gaps[gaps.length / 4], gaps[gaps.length / 2]);
    }

    /** The prompts of FakeQuantizedLogitsTest. */
    private static List<long[]> prompts(int vocab, int range) {
        SplittableRandom rnd = new SplittableRandom(5);
        return Stream.generate(() -> rnd.longs(24, 0, Math.min(vocab, range)).toArray()).limit(8).toList();
    }

    private static List<INDArray> logits(Architecture arch, List<long[]> prompts) {
        try (LanguageModel m = new LanguageModel("sensitivity", arch, null)) {
            return prompts.stream().map(p -> m.graph(List.of()).run(ForwardInputs.single(p), null, List.of())
                    .logits().dup()).toList();
        }
    }
}
