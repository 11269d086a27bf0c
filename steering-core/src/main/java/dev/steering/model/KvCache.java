package dev.steering.model;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Keys and values of every attention layer for the positions processed so far ({@code [batch, kvHeads, length,
 * headDim]} each), owned by the caller between forward calls.
 *
 * @param keys   per layer
 * @param values per layer
 */
public record KvCache(INDArray[] keys, INDArray[] values) {

    /** Number of cached positions. */
    public int length() {
        return keys.length == 0 ? 0 : (int) keys[0].size(2);
    }
}
