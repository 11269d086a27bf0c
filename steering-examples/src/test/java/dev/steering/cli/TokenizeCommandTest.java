package dev.steering.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code tokenize} on the GPT-NeoX fixture's tokenizer with a ChatML template and Pythia's BOS token. */
class TokenizeCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String TEMPLATE = "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}"
            + "<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}";

    @TempDir
    Path tmp;

    @Test
    void printsIdsTokensAndTheRenderedText() throws Exception {
        Path model = model();
        // "How do I bake bread?": ids from the GPT-NeoX reference (tokenizers/reference.json of steering-core)
        JsonNode plain = run("tokenize", "--model", model.toString(), "--text", "How do I bake bread?");
        assertEquals("[2347,513,309,32413,10238,32]", plain.get("ids").toString());
        assertEquals("[\"How\",\"Ġdo\",\"ĠI\",\"Ġbake\",\"Ġbread\",\"?\"]", plain.get("tokens").toString());
        assertFalse(plain.has("text"));
        JsonNode tl = run("tokenize", "--model", model.toString(), "--text", "How do I bake bread?", "--prepend-bos");
        assertEquals("[0,2347,513,309,32413,10238,32]", tl.get("ids").toString());
        assertEquals("<|endoftext|>", tl.get("tokens").get(0).asText());

        Path messages = tmp.resolve("chat.json");
        Files.writeString(messages, "[{\"role\": \"system\", \"content\": \"Be brief.\"},"
                + "{\"role\": \"user\", \"content\": \"Show {{ bos_token }} literally\"}]");
        JsonNode chat = run("tokenize", "--model", model.toString(), "--messages", messages.toString(),
                "--add-generation-prompt");
        String text = "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nShow {{ bos_token }} literally"
                + "<|im_end|>\n<|im_start|>assistant\n";
        assertEquals(text, chat.get("text").asText());
        assertEquals(chat.get("ids").size(), chat.get("tokens").size());
        JsonNode asText = run("tokenize", "--model", model.toString(), "--text", text);
        assertEquals(asText.get("ids"), chat.get("ids"));
    }

    @Test
    void badInputIsOneLineAndExitCodeTwo() throws Exception {
        Path model = model();
        Path bad = tmp.resolve("bad.json");
        Files.writeString(bad, "[{\"role\": \"user\"}]");
        assertEquals(2, code("tokenize", "--model", model.toString(), "--messages", bad.toString()));
        assertEquals(2, code("tokenize", "--model", model.toString()));
        assertEquals(2, code("tokenize", "--model", model.toString(), "--text", "x", "--add-generation-prompt"));
        assertEquals(2, code("tokenize", "--model", model.toString(), "--text", "x", "--no-special-tokens",
                "--prepend-bos"));
    }

    private Path model() throws Exception {
        Path src = TraceAndGenerateCommandTest.NEOX;
        Path dir = tmp.resolve("model");
        Files.createDirectories(dir);
        for (String f : new String[]{"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(src.resolve(f), dir.resolve(f));
        }
        JSON.writeValue(dir.resolve("tokenizer_config.json").toFile(),
                Map.of("bos_token", "<|endoftext|>", "eos_token", "<|endoftext|>", "chat_template", TEMPLATE));
        return dir;
    }

    private static JsonNode run(String... argv) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream old = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Main.run(argv, System.err));
        } finally {
            System.setOut(old);
        }
        String printed = out.toString(StandardCharsets.UTF_8).strip();
        assertEquals(1, printed.lines().count(), printed);
        return JSON.readTree(printed);
    }

    private static int code(String... argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(argv, new PrintStream(err, true, StandardCharsets.UTF_8));
        String msg = err.toString(StandardCharsets.UTF_8).strip();
        assertTrue(msg.lines().count() == 1, "one-line error expected, got: " + msg);
        return code;
    }
}
