package dev.steering.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PromptGeneratorTest {
    @TempDir
    Path dir;

    private static Set<String> metaValues(PromptSet set, String key) {
        return set.prompts().stream().map(p -> p.meta().get(key)).collect(Collectors.toSet());
    }

    @Test
    void sameSeedSameSetsOtherSeedOtherSets() {
        Map<PromptSplit, PromptSet> a = new PromptGenerator(7).generate(PromptGenerator.Sizes.defaults());
        Map<PromptSplit, PromptSet> b = new PromptGenerator(7).generate(PromptGenerator.Sizes.defaults());
        Map<PromptSplit, PromptSet> c = new PromptGenerator(8).generate(PromptGenerator.Sizes.defaults());
        assertEquals(a, b);
        for (PromptSplit s : PromptSplit.values()) {
            assertEquals(a.get(s).hash(), b.get(s).hash());
            assertNotEquals(a.get(s).hash(), c.get(s).hash());
        }
    }

    @Test
    void splitsHaveIndependentStreams() {
        PromptSet small = new PromptGenerator(3).generate(new PromptGenerator.Sizes(10, 150, 5)).get(PromptSplit.HARM_TEST);
        PromptSet big = new PromptGenerator(3).generate(new PromptGenerator.Sizes(150, 150, 200)).get(PromptSplit.HARM_TEST);
        assertEquals(small, big);
    }

    @Test
    void sizesIdsAndSchema() {
        Map<PromptSplit, PromptSet> sets = new PromptGenerator(1).generate(PromptGenerator.Sizes.defaults());
        assertEquals(150, sets.get(PromptSplit.HARM_TRAIN).size());
        assertEquals(150, sets.get(PromptSplit.HARM_TEST).size());
        assertEquals(200, sets.get(PromptSplit.BENIGN).size());
        assertEquals(new PromptGenerator.Sizes(60, 60, 60), PromptGenerator.Sizes.fast());
        for (PromptSplit split : PromptSplit.values()) {
            List<Prompt> prompts = sets.get(split).prompts();
            assertEquals(split.id() + "_0001", prompts.get(0).id());
            for (Prompt p : prompts) {
                assertTrue(p.id().matches(split.id() + "_\\d{4}"), p.id());
                assertEquals(Set.of("family", "subfamily", "style", "template"), p.meta().keySet());
                assertTrue(!p.prompt().contains("{task}"), p.prompt());
            }
        }
    }

    @Test
    void noDuplicatePromptsEvenAtCapacity() {
        for (PromptSplit split : PromptSplit.values()) {
            int cap = PromptGenerator.capacity(split);
            assertTrue(cap >= 200, split + " capacity " + cap);
            PromptSet all = new PromptGenerator(5).generate(split, cap);
            assertEquals(cap, all.prompts().stream().map(Prompt::prompt).distinct().count());
            assertThrows(IllegalArgumentException.class, () -> new PromptGenerator(5).generate(split, cap + 1));
        }
    }

    @Test
    void trainAndTestShareNoTemplateNoSubfamilyNoStyle() {
        Map<PromptSplit, PromptSet> sets = new PromptGenerator(11).generate(PromptGenerator.Sizes.defaults());
        PromptSet train = sets.get(PromptSplit.HARM_TRAIN);
        PromptSet test = sets.get(PromptSplit.HARM_TEST);
        for (String key : List.of("template", "subfamily", "style")) {
            Set<String> shared = new HashSet<>(metaValues(train, key));
            shared.retainAll(metaValues(test, key));
            assertEquals(Set.of(), shared, "shared " + key);
        }
        assertEquals(Set.of("direct", "polite", "imperative"), metaValues(train, "style"));
        assertEquals(Set.of("slang", "indirect", "story", "hypothetical"), metaValues(test, "style"));
        // same families on both sides: the shift is in phrasing and subtopic, not in the kind of request
        assertEquals(metaValues(train, "family"), metaValues(test, "family"));
        // and benign prompts use their own templates
        Set<String> benignTemplates = metaValues(sets.get(PromptSplit.BENIGN), "template");
        assertTrue(benignTemplates.stream().allMatch(t -> t.startsWith("benign_")), benignTemplates.toString());
    }

    @Test
    void familiesAreBalanced() {
        PromptSet train = new PromptGenerator(2).generate(PromptSplit.HARM_TRAIN, 160);
        Map<String, Long> perFamily = train.prompts().stream()
                .collect(Collectors.groupingBy(p -> p.meta().get("family"), Collectors.counting()));
        assertEquals(PromptVocabulary.families(PromptSplit.HARM_TRAIN).size(), perFamily.size());
        perFamily.values().forEach(n -> assertEquals(20L, n));
    }

    @Test
    void vocabularyIsConsistent() {
        Set<String> subfamilyNames = new HashSet<>();
        for (PromptVocabulary.Subfamily s : PromptVocabulary.HARMFUL_SUBFAMILIES) {
            assertTrue(subfamilyNames.add(s.name()), "duplicate subfamily " + s.name());
        }
        assertEquals(PromptVocabulary.TEMPLATES.size(),
                PromptVocabulary.TEMPLATES.stream().map(PromptVocabulary.Template::id).distinct().count());
        for (PromptVocabulary.Template t : PromptVocabulary.templates(PromptSplit.HARM_TRAIN)) {
            assertTrue(PromptVocabulary.TRAIN_STYLES.contains(t.style()), t.id());
        }
        for (PromptVocabulary.Template t : PromptVocabulary.templates(PromptSplit.HARM_TEST)) {
            assertTrue(PromptVocabulary.TEST_STYLES.contains(t.style()), t.id());
        }
        assertEquals(PromptVocabulary.families(PromptSplit.HARM_TRAIN), PromptVocabulary.families(PromptSplit.HARM_TEST));
    }

    @Test
    void writeLoadRoundTrip() throws IOException {
        Map<PromptSplit, Path> files = new PromptGenerator(42).write(dir, PromptGenerator.Sizes.fast());
        Map<PromptSplit, PromptSet> sets = new PromptGenerator(42).generate(PromptGenerator.Sizes.fast());
        for (PromptSplit s : PromptSplit.values()) {
            assertEquals(dir.resolve(s.fileName()), files.get(s));
            assertEquals(sets.get(s), PromptSet.load(files.get(s)));
        }
        String first = Files.readAllLines(files.get(PromptSplit.HARM_TRAIN)).get(0);
        assertTrue(first.matches("\\{\"id\":\"harm_train_0001\",\"prompt\":\"[^\"]+\",\"meta\":\\{\"family\":.*}}"), first);
        try (var list = Files.list(dir)) {
            assertEquals(3, list.count());
        }
    }

    @Test
    void sizesLookup() {
        PromptGenerator.Sizes s = new PromptGenerator.Sizes(1, 2, 3);
        Map<PromptSplit, Integer> bySplit = Map.of(PromptSplit.HARM_TRAIN, 1, PromptSplit.HARM_TEST, 2, PromptSplit.BENIGN, 3);
        bySplit.forEach((split, n) -> assertEquals(n, s.of(split)));
        assertThrows(IllegalArgumentException.class, () -> new PromptGenerator.Sizes(-1, 0, 0));
        assertEquals(3, new PromptGenerator(0).generate(PromptSplit.BENIGN, 3).size());
    }
}
