package dev.steering;

import dev.steering.hub.ModelLocator;
import dev.steering.model.LanguageModel;

/**
 * The entry point. {@code Steering.load("pythia-160m")} resolves an alias, a Hugging Face repo id
 * ({@code org/name[@revision]}) or a local checkpoint directory, downloading into the Hugging Face cache when
 * needed, and loads the model.
 */
public final class Steering {
    private Steering() {
    }

    /** Resolves and loads a model (see {@link ModelLocator#locate(String)} for the accepted forms). */
    public static LanguageModel load(String spec) {
        return LanguageModel.load(ModelLocator.locate(spec), spec);
    }
}
