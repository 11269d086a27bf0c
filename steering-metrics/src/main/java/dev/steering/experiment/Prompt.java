package dev.steering.experiment;

import java.io.Serializable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One prompt of a prompt set.
 *
 * @param id     unique within its set, e.g. {@code harm_train_0001}
 * @param prompt the text given to the model (non-blank)
 * @param meta   free-form string attributes ({@code family}, {@code subfamily}, {@code style}, {@code template}, ...),
 *               kept in insertion order and unmodifiable
 */
public record Prompt(String id, String prompt, Map<String, String> meta) implements Serializable {
    /** Validates id and prompt and copies {@code meta} (null means empty). */
    public Prompt {
        if (id == null || id.isBlank()) {
            throw new IllegalArgumentException("prompt id must be non-blank");
        }
        if (prompt == null || prompt.isBlank()) {
            throw new IllegalArgumentException("prompt '" + id + "' is empty");
        }
        meta = meta == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(meta));
    }
}
