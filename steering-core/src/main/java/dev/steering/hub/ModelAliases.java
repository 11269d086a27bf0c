package dev.steering.hub;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Short names for the models this project uses most, mapped to their Hugging Face repository ids.
 * Lookup is case-insensitive; aliases are stored in lower case.
 */
public final class ModelAliases {

    private static final Map<String, String> ALIASES = build();

    private ModelAliases() {
    }

    private static Map<String, String> build() {
        Map<String, String> m = new LinkedHashMap<>();
        for (String size : new String[] {"14m", "70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b"}) {
            m.put("pythia-" + size, "EleutherAI/pythia-" + size);
            m.put("pythia-" + size + "-deduped", "EleutherAI/pythia-" + size + "-deduped");
        }
        for (String gpt2 : new String[] {"gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl"}) {
            m.put(gpt2, "openai-community/" + gpt2);
        }
        m.put("distilgpt2", "distilbert/distilgpt2");
        for (String size : new String[] {"0.5b", "1.5b", "3b", "7b"}) {
            m.put("qwen2.5-" + size + "-instruct", "Qwen/Qwen2.5-" + size.toUpperCase(Locale.ROOT) + "-Instruct");
        }
        m.put("llama-3.2-1b-instruct", "meta-llama/Llama-3.2-1B-Instruct");
        m.put("llama-3.2-3b-instruct", "meta-llama/Llama-3.2-3B-Instruct");
        m.put("llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct");
        m.put("mistral-7b-instruct-v0.3", "mistralai/Mistral-7B-Instruct-v0.3");
        m.put("phi-3.5-mini-instruct", "microsoft/Phi-3.5-mini-instruct");
        m.put("phi-4-mini-instruct", "microsoft/Phi-4-mini-instruct");
        m.put("gemma-2-2b-it", "google/gemma-2-2b-it");
        m.put("toxic-roberta", "unitary/unbiased-toxic-roberta");
        return Collections.unmodifiableMap(m);
    }

    /**
     * @param alias a short name such as {@code pythia-160m} or {@code GPT2-Medium} (case-insensitive)
     * @return the repository id, e.g. {@code EleutherAI/pythia-160m}, or empty if {@code alias} is not known
     */
    public static Optional<String> repoId(String alias) {
        return alias == null ? Optional.empty() : Optional.ofNullable(ALIASES.get(alias.toLowerCase(Locale.ROOT)));
    }

    /** @return every alias (lower case) and its repository id, in a stable documentation order; unmodifiable */
    public static Map<String, String> all() {
        return ALIASES;
    }
}
