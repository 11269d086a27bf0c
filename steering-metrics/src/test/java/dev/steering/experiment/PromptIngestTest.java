package dev.steering.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptIngestTest {
    @TempDir
    Path dir;

    private Path file(String name, String content) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, content);
        return f;
    }

    @Test
    void csvParserHandlesRfc4180Quoting() throws IOException {
        String text = "a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\r\nlines\"\r\n\r\n,,\n\"\"\nlast,\"\",z";
        List<Csv.Row> rows = Csv.parse(text, "t.csv");
        assertEquals(List.of("a", "b", "c"), rows.get(0).fields());
        assertEquals(List.of("x, y", "he said \"hi\"", "two\nlines"), rows.get(1).fields());
        assertEquals(2, rows.get(1).line());
        assertEquals(List.of("", "", ""), rows.get(2).fields());
        assertEquals(5, rows.get(2).line());
        assertEquals(List.of(""), rows.get(3).fields());
        assertEquals(List.of("last", "", "z"), rows.get(4).fields());
        assertEquals(7, rows.get(4).line());
        assertEquals(5, rows.size());
    }

    @Test
    void csvParserErrorsNameTheLine() {
        InputFormatException e = assertThrows(InputFormatException.class, () -> Csv.parse("a\nb\n\"open\nmore", "t.csv"));
        assertEquals("t.csv:3: unterminated quoted field", e.getMessage());
        e = assertThrows(InputFormatException.class, () -> Csv.parse("a\nab\"c\n", "t.csv"));
        assertEquals(2, e.line());
        e = assertThrows(InputFormatException.class, () -> Csv.parse("a\n\"b\nc\"d\n", "t.csv"));
        assertEquals(3, e.line());
        assertTrue(e.problem().contains("after a closing quote"), e.problem());
    }

    @Test
    void csvWithIdColumnAndExtraColumnsAsMeta() throws IOException {
        Path f = file("data.csv", "id,text,lang\nq1,\"Hello, world\",en\nq2,\"Multi\nline\",\n");
        List<Prompt> prompts = PromptIngest.fromCsv(f, "text", "id", "custom");
        assertEquals(2, prompts.size());
        assertEquals(new Prompt("q1", "Hello, world", Map.of("lang", "en", "split", "custom", "source", "data.csv")),
                prompts.get(0));
        assertEquals("Multi\nline", prompts.get(1).prompt());
        assertEquals(Map.of("split", "custom", "source", "data.csv"), prompts.get(1).meta());
    }

    @Test
    void csvWithoutIdColumnGeneratesIds() throws IOException {
        Path f = file("data.csv", "\uFEFFprompt\nfirst\nsecond\n");
        List<Prompt> prompts = PromptIngest.fromCsv(f, "prompt", null, "mine");
        assertEquals(List.of("mine_0001", "mine_0002"), prompts.stream().map(Prompt::id).toList());
    }

    @Test
    void csvErrorsNameTheLine() throws IOException {
        Path f = file("e.csv", "id,prompt\na,ok\nb,\"\"\n");
        assertEquals(f + ":3: empty prompt",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromCsv(f, "prompt", "id", "s")).getMessage());
        Path dup = file("d.csv", "id,prompt\na,one\n\"multi\nline id\",two\na,three\n");
        assertEquals(dup + ":5: duplicate id 'a' (first on line 2)",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromCsv(dup, "prompt", "id", "s")).getMessage());
        Path cols = file("c.csv", "id,prompt\na,one,extra\n");
        assertEquals(2, assertThrows(InputFormatException.class,
                () -> PromptIngest.fromCsv(cols, "prompt", "id", "s")).line());
        Path missing = file("m.csv", "id,question\na,one\n");
        InputFormatException e = assertThrows(InputFormatException.class,
                () -> PromptIngest.fromCsv(missing, "prompt", "id", "s"));
        assertTrue(e.getMessage().startsWith(missing + ":1: no column 'prompt'"), e.getMessage());
        Path latin1 = dir.resolve("l.csv");
        Files.write(latin1, new byte[] {'p', '\n', 'o', 'k', '\n', 'c', 'a', 'f', (byte) 0xE9, '\n'});
        e = assertThrows(InputFormatException.class, () -> PromptIngest.fromCsv(latin1, "p", null, "s"));
        assertEquals(3, e.line());
        assertTrue(e.problem().startsWith("invalid UTF-8"), e.problem());
    }

    @Test
    void jsonArrayAndJsonLines() throws IOException {
        Path arr = file("a.json", "[\n  {\"q\": \"first\", \"n\": 1, \"tags\": [\"x\"]},\n  {\"q\": \"second\", \"n\": 2}\n]\n");
        List<Prompt> a = PromptIngest.fromJson(arr, "q", "n", "arr");
        assertEquals(List.of("1", "2"), a.stream().map(Prompt::id).toList());
        assertEquals("[\"x\"]", a.get(0).meta().get("tags"));
        Path jsonl = file("b.jsonl", "{\"prompt\":\"one\"}\r\n\r\n{\"prompt\":\"two\",\"topic\":\"t\"}\n");
        List<Prompt> b = PromptIngest.fromJson(jsonl, "prompt", null, "lines");
        assertEquals(List.of("lines_0001", "lines_0002"), b.stream().map(Prompt::id).toList());
        assertEquals(Map.of("topic", "t", "split", "lines", "source", "b.jsonl"), b.get(1).meta());
    }

    @Test
    void jsonErrorsNameTheLine() throws IOException {
        Path arr = file("a.json", "[\n {\"q\": \"ok\"},\n {\"q\": \"\"}\n]");
        assertEquals(arr + ":3: empty prompt",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(arr, "q", null, "s")).getMessage());
        Path broken = file("b.json", "[\n {\"q\": \"ok\"},\n {\"q\": \"x\",,}\n]");
        InputFormatException e = assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(broken, "q", null, "s"));
        assertEquals(3, e.line());
        assertTrue(e.problem().startsWith("malformed JSON"), e.problem());
        Path lines = file("c.jsonl", "{\"q\":\"a\",\"id\":\"x\"}\n{\"q\":\"b\",\"id\":\"x\"}\n");
        assertEquals(lines + ":2: duplicate id 'x' (first on line 1)",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(lines, "q", "id", "s")).getMessage());
        Path noPrompt = file("d.jsonl", "{\"q\":\"a\"}\n{\"other\":\"b\"}\n");
        assertEquals(noPrompt + ":2: missing \"q\"",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(noPrompt, "q", null, "s")).getMessage());
        Path notString = file("e.jsonl", "{\"q\":5}\n");
        assertEquals(1, assertThrows(InputFormatException.class,
                () -> PromptIngest.fromJson(notString, "q", null, "s")).line());
        Path unterminated = file("f.json", "[\n {\"q\": \"ok\"}\n");
        assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(unterminated, "q", null, "s"));
    }

    @Test
    void inputsThatLostDataSilentlyAreErrors() throws IOException {
        Path two = file("two.jsonl", "{\"q\":\"a\"}\n{\"q\":\"b\"} {\"q\":\"c\"}\n");
        InputFormatException e = assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(two, "q", null, "s"));
        assertEquals(2, e.line());
        assertTrue(e.problem().startsWith("malformed JSON"), e.problem());
        Path empty = file("empty.jsonl", "\n\n");
        assertEquals(empty + ": no prompts in the file (expected at least one record)",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(empty, "q", null, "s")).getMessage());
        Path emptyArray = file("empty.json", "[]");
        assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(emptyArray, "q", null, "s"));
        Path headerOnly = file("header.csv", "id,prompt\n");
        assertEquals(headerOnly + ": no prompts in the file (expected at least one record)",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromCsv(headerOnly, "prompt", "id", "s")).getMessage());
        Path duplicate = file("dup.csv", "id,prompt,prompt\n1,a,b\n");
        assertEquals(duplicate + ":1: duplicate column 'prompt' (columns 2 and 3 of the header)",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromCsv(duplicate, "prompt", "id", "s")).getMessage());
        Path duplicateKey = file("dupkey.jsonl", "{\"q\":\"a\",\"q\":\"b\"}\n");
        assertThrows(InputFormatException.class, () -> PromptIngest.fromJson(duplicateKey, "q", null, "s"));
        Path directory = Files.createDirectory(dir.resolve("prompts.csv"));
        assertEquals(directory + ": is a directory, expected a file",
                assertThrows(InputFormatException.class, () -> PromptIngest.fromCsv(directory, "prompt", null, "s")).getMessage());
        assertEquals(dir.resolve("missing.jsonl") + ": no such file", assertThrows(InputFormatException.class,
                () -> PromptIngest.fromJson(dir.resolve("missing.jsonl"), "q", null, "s")).getMessage());
    }
}
