package dev.steering.model.compact;

import dev.steering.model.Precision;
import dev.steering.weights.DType;
import java.util.List;
import java.util.Locale;

/**
 * Which checkpoint tensors become which {@link StorageType} at a working precision (docs/precision.md):
 * <ul>
 * <li>tensors that are not matrices (norm weights, biases, rotary tables) stay F32;</li>
 * <li>embedding tables that are only gathered from ({@link #isEmbedding}) take the working type when it is a
 * 16-bit float and stay 16-bit (the checkpoint's F16, otherwise BF16) under INT8/INT4, as in most llama.cpp
 * quantization mixes; a tied unembedding therefore multiplies by 16-bit weights;</li>
 * <li>an untied unembedding ({@link #isUnembedding}) takes the working type, except under INT4, where it is INT8
 * (llama.cpp likewise keeps {@code output.weight} at 6 or 8 bits in its 4-bit mixes: the logits are the most
 * sensitive product);</li>
 * <li>every other matrix — the attention and MLP projections — takes the working type.</li>
 * </ul>
 */
public final class CompactPolicy {
    private static final List<String> EMBEDDING_NAMES = List.of("embed_in.", "embed_tokens.", "wte.", "wpe.",
            "word_embeddings.", "position_embeddings.", "token_type_embeddings.");

    private static final List<String> UNEMBEDDING_NAMES = List.of("lm_head.", "embed_out.");

    private CompactPolicy() {
    }

    /**
     * The storage type of a working precision for a checkpoint whose matrices are stored as {@code stored}:
     * {@code AUTO} keeps BF16 and F16 as they are and F32 otherwise.
     */
    public static StorageType storageType(Precision precision, DType stored) {
        return switch (precision) {
            case FLOAT32 -> StorageType.F32;
            case BFLOAT16 -> StorageType.BF16;
            case FLOAT16 -> StorageType.F16;
            case INT8 -> StorageType.INT8;
            case INT4 -> StorageType.INT4;
            case AUTO -> stored == DType.BF16 ? StorageType.BF16 : stored == DType.F16 ? StorageType.F16
                    : StorageType.F32;
        };
    }

    /** True for a token or position embedding table (by its checkpoint name), which is gathered, not multiplied. */
    public static boolean isEmbedding(String checkpointName) {
        return EMBEDDING_NAMES.contains(module(checkpointName));
    }

    /** The last module name of a parameter with its dot: {@code model.embed_tokens.weight} → {@code embed_tokens.}. */
    private static String module(String checkpointName) {
        String n = checkpointName.toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(n.lastIndexOf('.', dot - 1) + 1, dot + 1);
    }

    /** True for an untied unembedding matrix ({@code lm_head.weight}, {@code embed_out.weight}). */
    public static boolean isUnembedding(String checkpointName) {
        return UNEMBEDDING_NAMES.contains(module(checkpointName));
    }

    /**
     * How checkpoint tensor {@code name} of this shape and stored type is held at working type {@code target}; null
     * for F32 kept outside a {@link CompactMatrix} (not a matrix).
     */
    public static StorageType storageFor(String name, long[] shape, DType stored, StorageType target) {
        if (shape.length != 2) {
            return null;
        }
        if (isEmbedding(name) && target.grouped()) {
            return stored == DType.F16 ? StorageType.F16 : StorageType.BF16;
        }
        if (isUnembedding(name) && target == StorageType.INT4) {
            return StorageType.INT8;
        }
        return target;
    }
}
