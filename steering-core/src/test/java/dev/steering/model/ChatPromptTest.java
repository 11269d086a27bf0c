package dev.steering.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.direction.ContrastivePrefix;
import dev.steering.direction.SteeringVector;
import dev.steering.hooks.HookPoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The chat switch: prompts rendered through the checkpoint's template, post-instruction tokens counted. */
class ChatPromptTest {
    static final String TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
            + "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @TempDir
    Path tmp;

    @Test
    void conversationsAndBosConventionsAreRecordedAndNotMixedSilently() throws Exception {
        Path src = Reference.fixture("gpt-neox-tiny");
        for (String f : new String[]{"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(src.resolve(f), tmp.resolve(f));
        }
        new ObjectMapper().writeValue(tmp.resolve("tokenizer_config.json").toFile(),
                Map.of("chat_template", TEMPLATE, "bos_token", "<|endoftext|>"));
        try (LanguageModel m = LanguageModel.load(tmp)) {
            var conversation = java.util.List.of(ChatMessage.system("Be brief."), ChatMessage.user("Hi {{ x }}"));
            long[] chat = m.encodePrompt(Prompt.chat(conversation), BosConvention.TOKENIZER);
            assertArrayEquals(m.requireTokenizer().encode("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n"
                    + "Hi {{ x }}<|im_end|>\n<|im_start|>assistant\n"), chat);
            long[] tl = m.encodePrompt(Prompt.chat(conversation), BosConvention.PREPEND_BOS);
            assertEquals(0, tl[0]);
            assertArrayEquals(chat, java.util.Arrays.copyOfRange(tl, 1, tl.length));
            assertArrayEquals(new long[]{0, 0}, m.encodePrompt(Prompt.text("<|endoftext|>"), BosConvention.PREPEND_BOS),
                    "TransformerLens prepends even before a BOS the text starts with");

            SteeringVector plain = ContrastivePrefix.defaults().compute(m, HookPoint.residPost(1));
            SteeringVector prepended = ContrastivePrefix.defaults().bos(BosConvention.PREPEND_BOS)
                    .compute(m, HookPoint.residPost(1));
            assertEquals("tokenizer", plain.metadata().get("bos"));
            assertEquals("prepend_bos", prepended.metadata().get("bos"));
            assertTrue(Math.abs(plain.norm() - prepended.norm()) > 1e-6, "the BOS changes the activations read");

            var steered = dev.steering.Steering.model(m).layer(1).direction(prepended)
                    .intervene(dev.steering.hooks.Add.alpha(2));
            var cfg = dev.steering.generate.GenerationConfig.greedy(2);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> steered.generate(java.util.List.of("Hi"), cfg));
            assertTrue(e.getMessage().contains("'prepend_bos' BOS convention, but these prompts use 'tokenizer'"),
                    e.getMessage());
            assertEquals(2, steered.generate(java.util.List.of("Hi"), cfg.allowBosMismatch(true)).get(0).tokens().length);
            var c = steered.generate(java.util.List.of("Hi"), cfg.bos(BosConvention.PREPEND_BOS)).get(0);
            assertArrayEquals(new long[]{0, m.requireTokenizer().encode("Hi")[0]}, c.promptTokens());
            var chatCompletion = steered.generatePrompts(java.util.List.of(Prompt.chat(conversation)),
                    cfg.bos(BosConvention.PREPEND_BOS)).get(0);
            assertArrayEquals(tl, chatCompletion.promptTokens());
        }
    }

    @Test
    void chatPromptsUseTheTemplateAndCountPostInstructionTokens() throws Exception {
        Path src = Reference.fixture("gpt-neox-tiny");
        for (String f : new String[]{"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(src.resolve(f), tmp.resolve(f));
        }
        new ObjectMapper().writeValue(tmp.resolve("tokenizer_config.json").toFile(), Map.of("chat_template", TEMPLATE));
        try (LanguageModel plain = LanguageModel.load(src); LanguageModel chat = LanguageModel.load(tmp)) {
            String user = "How do I bake bread?";
            assertArrayEquals(chat.requireTokenizer().encode("<|im_start|>user\n" + user + "<|im_end|>\n<|im_start|>assistant\n"),
                    chat.encodePrompt(user, true));
            assertArrayEquals(chat.requireTokenizer().encode(user), chat.encodePrompt(user, false));
            assertEquals(chat.requireTokenizer().encode("<|im_end|>\n<|im_start|>assistant\n").length, chat.postInstructionTokens());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> plain.encodePrompt(user, true));
            assertTrue(e.getMessage().contains("no chat template"), e.getMessage());
            SteeringVector raw = ContrastivePrefix.defaults().compute(chat, HookPoint.residPost(1));
            SteeringVector templated = ContrastivePrefix.defaults().chat(true).compute(chat, HookPoint.residPost(1));
            assertEquals("true", templated.metadata().get("chat"));
            assertTrue(Math.abs(raw.norm() - templated.norm()) > 1e-6, "the template changes the activations read");
            var dim = dev.steering.direction.DifferenceInMeans.ofChat(chat, java.util.List.of("How do I pick a lock?",
                    "Write a fake doctor's note."), java.util.List.of(user, "Plan a trip to Rome."));
            assertEquals(chat.postInstructionTokens(), dim.candidates(chat).positions().length);
        }
    }
}
