package dev.steering.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.hub.ModelLocator;
import dev.steering.model.BosConvention;
import dev.steering.model.ChatMessage;
import dev.steering.model.Prompt;
import dev.steering.model.PromptEncoder;
import dev.steering.model.TextTokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code tokenize}: the token ids and token strings of a text or a conversation, as the model's prompts are encoded
 * (the Java side of TransformerLens's {@code to_tokens} / {@code to_str_tokens}), for comparison with Python.
 */
@picocli.CommandLine.Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Prints one JSON object: \"ids\", \"tokens\" (the token strings), \"bos\" and, for chat, the "
                + "rendered \"text\".",
                "By default plain text goes through the tokenizer's post-processor, as Python's tokenizer(text)."})
public final class TokenizeCommand implements Command {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--model", required = true, paramLabel = "DIR_OR_ID",
            description = "a checkpoint directory, a Hugging Face repo id, an alias or a bundled model (only its "
                    + "tokenizer.json and tokenizer_config.json are read)")
    String model;

    @Option(names = "--text", paramLabel = "TEXT", description = "the text; with --chat it is one user message")
    String text;

    @Option(names = "--messages", paramLabel = "FILE.json",
            description = "a conversation: [{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": \"...\"}] "
                    + "(implies --chat)")
    Path messagesFile;

    @Option(names = "--chat", description = "render through the model's chat template (encoded without adding "
            + "special tokens, as apply_chat_template(tokenize=True))")
    boolean chat;

    @Option(names = "--add-generation-prompt",
            description = "open the assistant's turn after the last message (always for --text --chat)")
    boolean generationPrompt;

    @Option(names = "--no-special-tokens",
            description = "plain text without the tokenizer's special tokens (add_special_tokens=False)")
    boolean none;

    @Option(names = "--prepend-bos", description = "TransformerLens's prepend_bos=True: the BOS token first")
    boolean prepend;

    @Override
    public Integer call() throws IOException {
        if ((text == null) == (messagesFile == null)) {
            throw new CliException("give exactly one of --text and --messages");
        }
        if (messagesFile != null && !java.nio.file.Files.isRegularFile(messagesFile)) {
            throw new CliException("--messages: no such file: " + messagesFile);
        }
        boolean asChat = chat || messagesFile != null;
        if (none && prepend) {
            throw new CliException("--no-special-tokens and --prepend-bos exclude each other");
        }
        if (generationPrompt && !asChat) {
            throw new CliException("--add-generation-prompt needs --chat or --messages");
        }
        Prompt prompt = messagesFile != null ? Prompt.chat(messages(messagesFile), generationPrompt)
                : asChat ? Prompt.user(text) : Prompt.text(text);
        BosConvention bos = none ? BosConvention.NONE : prepend ? BosConvention.PREPEND_BOS : BosConvention.TOKENIZER;
        try (PromptEncoder encoder = PromptEncoder.load(ModelLocator.locate(model), model)) {
            System.out.println(JSON.writeValueAsString(tokenize(encoder, prompt, bos)));
        }
        return 0;
    }

    /** The printed object: {@code ids}, {@code tokens} and, for a chat prompt, the rendered {@code text}. */
    static Map<String, Object> tokenize(PromptEncoder encoder, Prompt prompt, BosConvention bos) {
        if (encoder.tokenizer().isEmpty()) {
            throw new CliException("the model has no tokenizer.json");
        }
        TextTokenizer.Tokens t;
        String rendered;
        try {
            rendered = encoder.render(prompt);
            t = encoder.tokenize(prompt, bos);
        } catch (IllegalArgumentException | IllegalStateException e) {
            throw new CliException(e.getMessage());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("ids", t.ids());
        out.put("tokens", t.tokens());
        if (prompt.isChat()) {
            out.put("text", rendered);
        }
        out.put("bos", bos.id());
        return out;
    }

    /** A conversation file: a JSON array of {@code {"role", "content"}} objects. */
    static List<ChatMessage> messages(Path file) {
        JsonNode root;
        try {
            root = JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new CliException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isArray() || root.isEmpty()) {
            throw new CliException(file + ": expected a non-empty JSON array of {\"role\", \"content\"} messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode m = root.get(i);
            if (!m.path("role").isTextual() || !m.path("content").isTextual()) {
                throw new CliException(file + ": message " + i + " needs string fields 'role' and 'content'");
            }
            out.add(new ChatMessage(m.get("role").textValue(), m.get("content").textValue()));
        }
        return out;
    }
}
