package dev.steering.model;

import dev.steering.hooks.HookPoint;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * What one forward call returns.
 *
 * @param logits {@code [n, vocab]} for the requested rows, in request order
 * @param hooks  activations of the hook points read, each {@code [batch, seq, hidden]}
 * @param cache  the KV cache including this call's positions
 */
public record ForwardResult(INDArray logits, Map<HookPoint, INDArray> hooks, KvCache cache) {
}
