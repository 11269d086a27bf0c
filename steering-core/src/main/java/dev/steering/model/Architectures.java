package dev.steering.model;

import com.fasterxml.jackson.databind.JsonNode;
import dev.steering.model.compact.StorageType;
import dev.steering.weights.TensorSource;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Maps a {@code config.json} to the architecture class that implements it. */
public final class Architectures {
    /** A block's index in a tensor name: {@code model.layers.3.}, {@code gpt_neox.layers.3.}, {@code h.3.}. */
    private static final Pattern LAYER_INDEX = Pattern.compile("(?:^|\\.)(?:layers|h)\\.(\\d{1,9})\\.");
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
        throw new ConfigException(origin + ": neither 'architectures' nor 'model_type' says which "
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
            default -> throw new ConfigException(origin + ": architecture '" + name
                    + "' is not supported (supported: " + String.join(", ", SUPPORTED) + ")");
        };
    }

    /** Parses the config and loads the weights (F32) into the matching architecture class. */
    public static Architecture load(JsonNode config, TensorSource tensors, String origin) {
        return load(config, tensors, origin, null);
    }

    /**
     * Parses the config and loads the weights into the matching architecture class, keeping the matrices
     * {@link dev.steering.model.compact.CompactPolicy} selects compact at {@code target} (null or F32: all F32).
     */
    public static Architecture load(JsonNode config, TensorSource tensors, String origin, StorageType target) {
        ModelConfig cfg = config(config, origin);
        checkLayerCount(cfg, tensors, origin);
        if (cfg instanceof GptNeoXConfig c) {
            return new GptNeoX(c, tensors, origin, target);
        } else if (cfg instanceof Gpt2Config c) {
            return new Gpt2(c, tensors, origin, target);
        } else if (cfg instanceof LlamaConfig c) {
            return new Llama(c, tensors, origin, target);
        }
        return new Gemma2((Gemma2Config) cfg, tensors, origin, target);
    }

    /**
     * Fails, before anything is allocated, unless the checkpoint's tensors hold blocks 0 to numLayers − 1 and no
     * other: the config's layer count must be the checkpoint's.
     */
    static void checkLayerCount(ModelConfig cfg, TensorSource tensors, String origin) {
        TreeSet<Integer> layers = new TreeSet<>();
        for (String name : tensors.names()) {
            Matcher m = LAYER_INDEX.matcher(name);
            if (m.find()) {
                layers.add(Integer.parseInt(m.group(1)));
            }
        }
        if (layers.isEmpty() || (layers.size() == cfg.numLayers() && layers.last() == cfg.numLayers() - 1)) {
            return; // no block tensors at all: the architecture names the first missing one
        }
        String field = cfg instanceof Gpt2Config ? "n_layer" : "num_hidden_layers";
        throw new ConfigException(origin + ": field '" + field + "' = " + cfg.numLayers() + " does not match the"
                + " checkpoint, whose tensors hold " + layers.size() + " blocks (indices " + layers.first() + ".."
                + layers.last() + ")");
    }
}
