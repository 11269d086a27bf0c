package dev.steering.model;

/**
 * A {@code config.json} (or another model description) that cannot be used: a field missing, of the wrong type,
 * out of range, or inconsistent with another field or with the checkpoint's tensors. The message names the file,
 * the field, what was expected and what was found.
 */
public class ConfigException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message what is wrong, naming the file and the field */
    public ConfigException(String message) {
        super(message);
    }
}
