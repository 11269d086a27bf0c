package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.steering.weights.TensorSource;
import java.util.List;

/** Maps a {@code config.json} to the architecture class that implements it. */
public final class Architectures {
    /** Architecture names this library implements. */
    public static final List<String> SUPPORTED = List.of(GptNeoXConfig.ARCHITECTURE, Gpt2Config.ARCHITECTURE);

    private Architectures() {
    }

    /** The architecture named by {@code architectures[0]} (or, failing that, {@code model_type}). */
    public static String name(JsonNode config, String origin) {
        JsonNode arch = config.get("architectures");
        if (arch != null && arch.isArray() && arch.size() > 0 && arch.get(0).isTextual()) {
            return arch.get(0).textValue();
        }
        JsonNode type = config.get("model_type");
        if (type != null && type.isTextual()) {
            return switch (type.textValue()) {
                case "gpt_neox" -> GptNeoXConfig.ARCHITECTURE;
                case "gpt2" -> Gpt2Config.ARCHITECTURE;
                default -> type.textValue();
            };
        }
        throw new IllegalArgumentException(origin + ": neither 'architectures' nor 'model_type' says which "
                + "architecture this is");
    }

    /** Parses the config of a supported architecture. */
    public static ModelConfig config(JsonNode config, String origin) {
        String name = name(config, origin);
        return switch (name) {
            case GptNeoXConfig.ARCHITECTURE -> GptNeoXConfig.fromJson(config, origin);
            case Gpt2Config.ARCHITECTURE -> Gpt2Config.fromJson(config, origin);
            default -> throw new IllegalArgumentException(origin + ": architecture '" + name
                    + "' is not supported (supported: " + String.join(", ", SUPPORTED) + ")");
        };
    }

    /** Parses the config and loads the weights into the matching architecture class. */
    public static Architecture load(JsonNode config, TensorSource tensors, String origin) {
        ModelConfig cfg = config(config, origin);
        if (cfg instanceof GptNeoXConfig c) {
            return new GptNeoX(c, tensors, origin);
        }
        return new Gpt2((Gpt2Config) cfg, tensors, origin);
    }
}
