package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.steering.weights.TensorSource;
import java.util.ArrayList;
import java.util.List;

/** Maps a {@code config.json} to the architecture class that implements it. */
public final class Architectures {
    /** Architecture names this library implements. */
    public static final List<String> SUPPORTED = supported();

    private Architectures() {
    }

    private static List<String> supported() {
        List<String> out = new ArrayList<>(List.of(GptNeoXConfig.ARCHITECTURE, Gpt2Config.ARCHITECTURE));
        for (LlamaConfig.Variant v : LlamaConfig.Variant.values()) {
            out.add(v.architecture());
        }
        out.add(Gemma2Config.ARCHITECTURE);
        return List.copyOf(out);
    }

    /** The architecture named by {@code architectures[0]} (or, failing that, {@code model_type}). */
    public static String name(JsonNode config, String origin) {
        JsonNode arch = config.get("architectures");
        if (arch != null && arch.isArray() && arch.size() > 0 && arch.get(0).isTextual()) {
            return arch.get(0).textValue();
        }
        JsonNode type = config.get("model_type");
        if (type != null && type.isTextual()) {
            String t = type.textValue();
            for (LlamaConfig.Variant v : LlamaConfig.Variant.values()) {
                if (v.modelType().equals(t)) {
                    return v.architecture();
                }
            }
            return switch (t) {
                case "gpt_neox" -> GptNeoXConfig.ARCHITECTURE;
                case "gpt2" -> Gpt2Config.ARCHITECTURE;
                case "gemma2" -> Gemma2Config.ARCHITECTURE;
                default -> t;
            };
        }
        throw new IllegalArgumentException(origin + ": neither 'architectures' nor 'model_type' says which "
                + "architecture this is");
    }

    /** Parses the config of a supported architecture. */
    public static ModelConfig config(JsonNode config, String origin) {
        String name = name(config, origin);
        for (LlamaConfig.Variant v : LlamaConfig.Variant.values()) {
            if (v.architecture().equals(name)) {
                return LlamaConfig.fromJson(v, config, origin);
            }
        }
        return switch (name) {
            case GptNeoXConfig.ARCHITECTURE -> GptNeoXConfig.fromJson(config, origin);
            case Gpt2Config.ARCHITECTURE -> Gpt2Config.fromJson(config, origin);
            case Gemma2Config.ARCHITECTURE -> Gemma2Config.fromJson(config, origin);
            default -> throw new IllegalArgumentException(origin + ": architecture '" + name
                    + "' is not supported (supported: " + String.join(", ", SUPPORTED) + ")");
        };
    }

    /** Parses the config and loads the weights into the matching architecture class. */
    public static Architecture load(JsonNode config, TensorSource tensors, String origin) {
        ModelConfig cfg = config(config, origin);
        if (cfg instanceof GptNeoXConfig c) {
            return new GptNeoX(c, tensors, origin);
        } else if (cfg instanceof Gpt2Config c) {
            return new Gpt2(c, tensors, origin);
        } else if (cfg instanceof LlamaConfig c) {
            return new Llama(c, tensors, origin);
        }
        return new Gemma2((Gemma2Config) cfg, tensors, origin);
    }
}
