package dev.steering.model;

import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.nd4j.linalg.api.ndarray.INDArray;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A prompt-sized call (more than 64 rows) at float32 runs its projections in MKL's packed product where MKL is
 * available, and gives what the pure-ND4J path gives.
 */
class MklPrefillTest {
    @ParameterizedTest
    @ValueSource(strings = {"gpt-neox-tiny", "llama-family/qwen2-tiny"})
    void aPromptBatchGivesTheNd4jPathsLogits(String fixture) {
        SplittableRandom rnd = new SplittableRandom(9);
        List<long[]> prompts = Stream.generate(() -> rnd.longs(20 + rnd.nextInt(5), 0, 256).toArray()).limit(5)
                .toList();
        ForwardInputs in = ForwardInputs.leftPadded(prompts, 0);
        assertTrue(in.batchSize() * in.seqLength() > MatmulKernels.DECODE_ROWS, "a prompt-sized call");
        INDArray expected;
        try (LanguageModel m = LanguageModel.load(Reference.fixture(fixture), fixture, LoadOptions.defaults())) {
            expected = m.graph(List.of()).run(in, null, List.of()).logits().dup();
            if (MklGemm.available() && m.engine().kernels() == Kernels.JAVA) {
                assertTrue(m.architecture().weights().packed().bytes() > 0, "the projections ran packed");
            }
        }
        String before = System.getProperty("steering.kernels");
        System.setProperty("steering.kernels", "nd4j");
        try (LanguageModel nd4j = LanguageModel.load(Reference.fixture(fixture), fixture, LoadOptions.defaults())) {
            Reference.assertClose(expected, nd4j.graph(List.of()).run(in, null, List.of()).logits(),
                    fixture + " with Kernels.ND4J");
            assertTrue(nd4j.architecture().weights().packed().bytes() == 0, "the ND4J path packs nothing");
        } finally {
            if (before == null) {
                System.clearProperty("steering.kernels");
            } else {
                System.setProperty("steering.kernels", before);
            }
        }
    }
}
