package dev.steering.model;

/**
 * One transformer architecture: its configuration, its weights in graph layout, and its forward pass written
 * top to bottom against a {@link GraphBuilder}.
 */
public interface Architecture {

    /** The parsed configuration. */
    ModelConfig config();

    /** The parameters, held once. */
    Weights weights();

    /**
     * Writes the forward pass into {@code g}: embeddings, blocks (marking every hook point), final norm,
     * unembedding.
     */
    void forward(GraphBuilder g);
}
