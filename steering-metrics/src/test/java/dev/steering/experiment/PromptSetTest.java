package dev.steering.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptSetTest {
    @TempDir
    Path dir;

    private InputFormatException loadFails(String content) throws IOException {
        Path f = dir.resolve("p.jsonl");
        Files.writeString(f, content);
        return assertThrows(InputFormatException.class, () -> PromptSet.load(f));
    }

    @Test
    void promptsMayCarryEarlierTurnsOfAConversation() throws Exception {
        Path f = dir.resolve("chat.jsonl");
        Files.writeString(f, "{\"id\":\"a\",\"prompt\":\"And now {{ this }}?\",\"messages\":[{\"role\":\"system\","
                + "\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":\"Hi\"},{\"role\":\"assistant\","
                + "\"content\":\"Hello.\"}]}\n{\"id\":\"b\",\"prompt\":\"plain\"}\n");
        PromptSet set = PromptSet.load(f);
        assertEquals(List.of(dev.steering.model.ChatMessage.system("Be brief."), dev.steering.model.ChatMessage.user("Hi"),
                dev.steering.model.ChatMessage.assistant("Hello.")), set.prompts().get(0).messages());
        assertTrue(set.prompts().get(1).messages().isEmpty());
        Path again = dir.resolve("again.jsonl");
        set.write(again);
        assertEquals(set, PromptSet.load(again));
        assertNotEquals(set.hash(), new PromptSet(List.of(new Prompt("a", "And now {{ this }}?", null),
                set.prompts().get(1))).hash(), "the messages count in the hash");
        InputFormatException e = loadFails("{\"id\":\"a\",\"prompt\":\"x\",\"messages\":[{\"role\":\"user\"}]}\n");
        assertTrue(e.getMessage().contains(":1: message 0 needs string fields"), e.getMessage());

        Path model = dir.resolve("model");
        Path neox = Path.of("../steering-core/src/test/resources/fixtures/gpt-neox-tiny");
        Files.createDirectories(model);
        for (String name : new String[]{"config.json", "model.safetensors", "tokenizer.json"}) {
            Files.copy(neox.resolve(name), model.resolve(name));
        }
        Files.writeString(model.resolve("tokenizer_config.json"), "{\"chat_template\": \"{% for m in messages %}"
                + "<{{ m.role }}>{{ m.content }}{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}\"}");
        try (var m = dev.steering.model.LanguageModel.load(model)) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(m.requireTokenizer().encode(
                    "<system>Be brief.<user>Hi<assistant>Hello.<user>And now {{ this }}?<assistant>"),
                    set.prompts().get(0).encode(m, true));
            IllegalArgumentException noChat = assertThrows(IllegalArgumentException.class,
                    () -> set.prompts().get(0).encode(m, false));
            assertTrue(noChat.getMessage().contains("model.chat: true"), noChat.getMessage());
        }
    }

    @Test
    void roundTripKeepsUnicodeAndMeta() throws IOException {
        PromptSet set = new PromptSet(List.of(
                new Prompt("a", "Wie backe ich Brot? 🍞\nZeile 2", Map.of("family", "cooking")),
                new Prompt("b", "\"quoted\" \\ backslash", null)));
        Path f = dir.resolve("sub/set.jsonl");
        set.write(f);
        PromptSet back = PromptSet.load(f);
        assertEquals(set, back);
        assertEquals(set.hash(), back.hash());
        try (var s = Files.list(f.getParent())) {
            assertEquals(1, s.count(), "no temp files left");
        }
    }

    @Test
    void hashDependsOnIdsAndPromptsOnly() {
        PromptSet a = new PromptSet(List.of(new Prompt("x", "hello", Map.of("k", "v"))));
        PromptSet b = new PromptSet(List.of(new Prompt("x", "hello", Map.of())));
        PromptSet c = new PromptSet(List.of(new Prompt("x", "hello!", Map.of())));
        assertEquals(a.hash(), b.hash());
        assertNotEquals(a.hash(), c.hash());
        assertEquals(64, a.hash().length());
    }

    @Test
    void errorsNameFileAndLine() throws IOException {
        String ok = "{\"id\":\"a\",\"prompt\":\"hi\"}\n";
        assertEquals("malformed JSON", problemPrefix(loadFails(ok + "{\"id\": \"b\", \n"), 2));
        assertEquals("missing \"id\"", loadFails(ok + "\n{\"prompt\":\"x\"}\n").problem());
        assertEquals(3, loadFails(ok + "\n{\"prompt\":\"x\"}\n").line());
        assertEquals("missing \"prompt\"", loadFails("{\"id\":\"b\"}").problem());
        assertTrue(loadFails(ok + "{\"id\":\"b\",\"prompt\":\"  \"}").problem().startsWith("empty prompt"));
        InputFormatException dup = loadFails(ok + ok);
        assertEquals(dir.resolve("p.jsonl") + ":2: duplicate id 'a' (first on line 1)", dup.getMessage());
        assertEquals("expected a JSON object", loadFails("[1,2]").problem());
        assertEquals("\"meta\" must be an object", loadFails("{\"id\":\"b\",\"prompt\":\"x\",\"meta\":3}").problem());

        Path bad = dir.resolve("bad.jsonl");
        byte[] prefix = (ok + ok.replace("\"a\"", "\"b\"")).getBytes(StandardCharsets.UTF_8);
        byte[] content = new byte[prefix.length + 4];
        System.arraycopy(prefix, 0, content, 0, prefix.length);
        content[prefix.length] = '{';
        content[prefix.length + 1] = (byte) 0xC3;   // truncated 2-byte sequence
        content[prefix.length + 2] = '(';
        content[prefix.length + 3] = '}';
        Files.write(bad, content);
        InputFormatException e = assertThrows(InputFormatException.class, () -> PromptSet.load(bad));
        assertEquals(3, e.line());
        assertTrue(e.getMessage().startsWith(bad + ":3: invalid UTF-8"), e.getMessage());
    }

    private static String problemPrefix(InputFormatException e, int expectedLine) {
        assertEquals(expectedLine, e.line());
        assertTrue(e.getMessage().startsWith(e.source() + ":" + expectedLine + ": "), e.getMessage());
        return e.problem().substring(0, e.problem().indexOf(':'));
    }

    @Test
    void duplicateIdsRejectedInMemoryToo() {
        assertThrows(IllegalArgumentException.class, () -> new PromptSet(List.of(
                new Prompt("a", "x", null), new Prompt("a", "y", null))));
        assertThrows(IllegalArgumentException.class, () -> new Prompt("a", " ", null));
    }

    @Test
    void twoObjectsOnALineEmptyFilesAndDirectoriesAreErrors() throws IOException {
        InputFormatException e = loadFails("{\"id\":\"a\",\"prompt\":\"x\"}{\"id\":\"b\",\"prompt\":\"y\"}\n");
        assertEquals(1, e.line());
        assertTrue(e.problem().startsWith("malformed JSON"), e.problem());
        assertEquals("no prompts in the file (expected one JSON object per line)", loadFails("\n").problem());
        assertEquals(0, loadFails("").line());
        Path d = Files.createDirectory(dir.resolve("set.jsonl"));
        assertEquals(d + ": is a directory, expected a file",
                assertThrows(InputFormatException.class, () -> PromptSet.load(d)).getMessage());
    }
}
