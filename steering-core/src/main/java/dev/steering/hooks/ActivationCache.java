package dev.steering.hooks;

import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One hook's activations for a list of prompts, without padding: entry {@code i} is {@code [seq_i, hidden]}.
 *
 * @param hook   where they were read
 * @param arrays per prompt, in input order
 */
public record ActivationCache(HookPoint hook, List<INDArray> arrays) {

    /** Activations of prompt {@code i}, {@code [seq_i, hidden]}. */
    public INDArray get(int i) {
        return arrays.get(i);
    }

    /** Number of prompts. */
    public int size() {
        return arrays.size();
    }

    /** The last position of every prompt, {@code [prompts, hidden]}. */
    public INDArray lastPositions() {
        INDArray[] rows = arrays.stream().map(a -> a.getRow(a.size(0) - 1).reshape(1, a.size(1))).toArray(INDArray[]::new);
        return Nd4j.vstack(rows);
    }
}
