package dev.steering.model;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The published chat templates of Qwen2.5, Llama-3.2, Phi-3.5, Gemma-2 and Mistral-v0.3 (test resources, as in their
 * {@code tokenizer_config.json}), against what Python's {@code apply_chat_template} renders.
 */
class ChatTemplateTest {
    private static final List<Map<String, String>> CHAT = List.of(
            Map.of("role", "system", "content", "You are terse."),
            Map.of("role", "user", "content", "Hi!"),
            Map.of("role", "assistant", "content", "Hello."));

    @Test
    void qwen25() {
        assertEquals("<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n"
                        + "<|im_start|>assistant\nHello.<|im_end|>\n<|im_start|>assistant\n",
                template("qwen2.5").render(CHAT, true));
        assertEquals("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant."
                        + "<|im_end|>\n<|im_start|>user\nHi!<|im_end|>\n",
                template("qwen2.5").render(CHAT.subList(1, 2), false));
    }

    @Test
    void llama32() {
        String today = ChatTemplate.strftimeNow("%d %b %Y");
        assertEquals("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
                        + "Cutting Knowledge Date: December 2023\nToday Date: " + today + "\n\n"
                        + "You are terse.<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nHi!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\nHello.<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n",
                template("llama-3.2").render(CHAT, true));
    }

    @Test
    void phi35() {
        assertEquals("<|system|>\nYou are terse.<|end|>\n<|user|>\nHi!<|end|>\n<|assistant|>\nHello.<|end|>\n"
                + "<|assistant|>\n", template("phi-3.5").render(CHAT, true));
        assertEquals("<|user|>\nHi!<|end|>\n<|endoftext|>", template("phi-3.5").render(CHAT.subList(1, 2), false));
    }

    @Test
    void gemma2RefusesSystemMessagesAndRendersTheRest() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> template("gemma-2").render(CHAT, true));
        assertTrue(e.getMessage().contains("System role not supported"), e.getMessage());
        assertEquals("<bos><start_of_turn>user\nHi!<end_of_turn>\n<start_of_turn>model\nHello.<end_of_turn>\n"
                + "<start_of_turn>model\n", template("gemma-2").render(CHAT.subList(1, 3), true));
        e = assertThrows(IllegalArgumentException.class, () -> template("gemma-2").render(CHAT.subList(2, 3), true));
        assertTrue(e.getMessage().contains("Conversation roles must alternate"), e.getMessage());
    }

    @Test
    void mistralV03() {
        // the system message goes into the last user turn only; with an assistant turn last it is not shown
        assertEquals("<s>[INST] Hi![/INST] Hello.</s>", template("mistral-v0.3").render(CHAT, true));
        assertEquals("<s>[INST] You are terse.\n\nHi![/INST]", template("mistral-v0.3").render(CHAT.subList(0, 2), true));
    }

    @Test
    void aChatTemplateJinjaFileWinsAndTokensMayBeAddedTokenObjects() {
        assertEquals("<s><user>Hi!<assistant>", template("jinja-file").render(CHAT.subList(1, 2), true));
        assertTrue(ChatTemplate.load(Path.of("/nonexistent")).isEmpty());
    }

    @Test
    void pythonStringMethodsAndTojson() {
        ChatTemplate t = ChatTemplate.of("{% set c = messages[0].content %}{{ c.strip() }}|{{ c.lstrip() }}|"
                + "{{ c.rstrip() }}|{{ c.strip().startswith('he') }}|{{ c.strip().endswith(('x', 'ld')) }}|"
                + "{{ c.upper().strip() }}|{{ c.split() }}|{{ c.strip().split('l') | length }}|{{ c.strip().title() }}|"
                + "{{ '-'.join(c.split()) }}|{{ {'a': [1, 'x\"y'], 'b': none, 'c': true} | tojson }}|"
                + "{{ {'k': [1]} | tojson(indent=2) }}\n", Map.of());
        assertEquals("hello world|hello world |  hello world|true|true|HELLO WORLD|[hello, world]|4|Hello World|"
                        + "hello-world|{\"a\": [1, \"x\\\"y\"], \"b\": null, \"c\": true}|{\n  \"k\": [\n    1\n  ]\n}",
                t.render(List.of(Map.of("role", "user", "content", "  hello world ")), false));
    }

    private static ChatTemplate template(String name) {
        try {
            Path dir = Path.of(ChatTemplateTest.class.getResource("/chat-templates/" + name + "/tokenizer_config.json")
                    .toURI()).getParent();
            return ChatTemplate.load(dir).orElseThrow();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
