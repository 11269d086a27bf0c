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
    private static final List<ChatMessage> CHAT = List.of(ChatMessage.system("You are terse."),
            ChatMessage.user("Hi!"), ChatMessage.assistant("Hello."));

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
                t.render(List.of(ChatMessage.user("  hello world ")), false));
    }

    @Test
    void messageContentIsDataAndPythonSyntaxRenders() {
        ChatTemplate t = ChatTemplate.of("{{ bos_token }}{% for m in messages %}[{{ m.content | trim }}]{% endfor %}",
                Map.of("bos_token", "<s>"));
        String content = "Show {{ bos_token }} literally \\frac{{a}}{b} {% if x %}{{ messages }}";
        assertEquals("<s>[" + content + "]", t.render(List.of(ChatMessage.user(content)), false));
        assertEquals("<s>[a\u3000b]", t.render(List.of(ChatMessage.user("\u3000\u00a0a\u3000b\u2009\n")), false));
        ChatTemplate python = ChatTemplate.of("{% set ns = namespace(last=messages|length - 1) %}{{ ns.last }}|"
                + "{% for m in messages[::-1] %}{{ m.content }}{% endfor %}|{{ 'abcdef'[1::2] }}|{{ 'abcdef'[-1:0:-2] }}|"
                + "{{ [1, 2, 3][::-1][0] }}", Map.of());
        assertEquals("2|cba|bdf|fdb|3", python.render(List.of(ChatMessage.user("a"), ChatMessage.user("b"),
                ChatMessage.user("c")), false));
        ChatTemplate raising = ChatTemplate.of("{% for m in messages %}{% if m.role == 'system' %}"
                + "{{ raise_exception('no system') }}{% endif %}{{ m.content }}{% endfor %}", Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> raising.render(List.of(ChatMessage.system("s"), ChatMessage.user("u")), true));
        assertEquals("chat template raised: no system", e.getMessage());
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
