package dev.steering.hub;

import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ModelAliasesTest {

    @Test
    void knownAliases() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("pythia-14m", "EleutherAI/pythia-14m"),
                Map.entry("pythia-1.4b", "EleutherAI/pythia-1.4b"),
                Map.entry("pythia-12b-deduped", "EleutherAI/pythia-12b-deduped"),
                Map.entry("gpt2", "openai-community/gpt2"),
                Map.entry("gpt2-xl", "openai-community/gpt2-xl"),
                Map.entry("distilgpt2", "distilbert/distilgpt2"),
                Map.entry("qwen2.5-0.5b-instruct", "Qwen/Qwen2.5-0.5B-Instruct"),
                Map.entry("qwen2.5-7b-instruct", "Qwen/Qwen2.5-7B-Instruct"),
                Map.entry("llama-3.2-1b-instruct", "meta-llama/Llama-3.2-1B-Instruct"),
                Map.entry("llama-3.2-3b-instruct", "meta-llama/Llama-3.2-3B-Instruct"),
                Map.entry("llama-3.1-8b-instruct", "meta-llama/Llama-3.1-8B-Instruct"),
                Map.entry("mistral-7b-instruct-v0.3", "mistralai/Mistral-7B-Instruct-v0.3"),
                Map.entry("phi-3.5-mini-instruct", "microsoft/Phi-3.5-mini-instruct"),
                Map.entry("phi-4-mini-instruct", "microsoft/Phi-4-mini-instruct"),
                Map.entry("gemma-2-2b-it", "google/gemma-2-2b-it"),
                Map.entry("toxic-roberta", "unitary/unbiased-toxic-roberta"));
        expected.forEach((alias, repo) -> assertEquals(Optional.of(repo), ModelAliases.repoId(alias), alias));
        // 9 pythia sizes x 2 + 4 gpt2 + distilgpt2 + 4 qwen + 3 llama + mistral + 2 phi + gemma + toxic-roberta
        assertEquals(18 + 4 + 1 + 4 + 3 + 1 + 2 + 1 + 1, ModelAliases.all().size());
        ModelAliases.all().forEach((alias, repo) -> {
            assertEquals(alias.toLowerCase(), alias);
            assertTrue(repo.contains("/"), repo);
        });
    }

    @Test
    void caseInsensitiveAndUnknown() {
        assertEquals(Optional.of("Qwen/Qwen2.5-1.5B-Instruct"), ModelAliases.repoId("Qwen2.5-1.5B-Instruct"));
        assertEquals(Optional.empty(), ModelAliases.repoId("gpt5"));
        assertEquals(Optional.empty(), ModelAliases.repoId(null));
    }
}
