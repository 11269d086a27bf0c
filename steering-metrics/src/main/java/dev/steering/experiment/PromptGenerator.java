package dev.steering.experiment;

import dev.steering.experiment.PromptVocabulary.Subfamily;
import dev.steering.experiment.PromptVocabulary.Template;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates the {@code harm_train}, {@code harm_test} and {@code benign} prompt sets from {@link PromptVocabulary}:
 * every prompt is one template filled with one task of one subfamily, and records {@code family}, {@code subfamily},
 * {@code style} and {@code template} in its meta. Each split draws only from its own subfamilies and templates, so
 * {@code harm_test} shares no template and no subfamily with {@code harm_train}. Families take turns so that each set is
 * balanced over families; within a family the (subfamily, task, template) combinations are shuffled.
 *
 * <p>Deterministic: the same seed and sizes give the same files, and each split has its own random stream, so the
 * size of one split does not change the prompts of another. Prompts are unique within a set.
 */
public final class PromptGenerator {
    private static final Logger log = LoggerFactory.getLogger(PromptGenerator.class);

    /**
     * Set sizes.
     *
     * @param harmTrain prompts in {@code harm_train}
     * @param harmTest  prompts in {@code harm_test}
     * @param benign    prompts in {@code benign}
     */
    public record Sizes(int harmTrain, int harmTest, int benign) {
        /** Rejects negative sizes. */
        public Sizes {
            if (harmTrain < 0 || harmTest < 0 || benign < 0) {
                throw new IllegalArgumentException("prompt set sizes must be >= 0");
            }
        }

        /** 150 / 150 / 200. */
        public static Sizes defaults() {
            return new Sizes(150, 150, 200);
        }

        /** 60 of each, for fast mode. */
        public static Sizes fast() {
            return new Sizes(60, 60, 60);
        }

        /** The size of one split. */
        public int of(PromptSplit split) {
            return switch (split) {
                case HARM_TRAIN -> harmTrain;
                case HARM_TEST -> harmTest;
                case BENIGN -> benign;
            };
        }
    }

    private final long seed;

    /** A generator for one seed. */
    public PromptGenerator(long seed) {
        this.seed = seed;
    }

    /** The most prompts {@link #generate(PromptSplit, int)} can make for {@code split} without repeating one. */
    public static int capacity(PromptSplit split) {
        int tasks = 0;
        for (Subfamily s : PromptVocabulary.subfamilies(split)) {
            tasks += s.tasks().size();
        }
        return tasks * PromptVocabulary.templates(split).size();
    }

    /** All three sets. */
    public Map<PromptSplit, PromptSet> generate(Sizes sizes) {
        Map<PromptSplit, PromptSet> out = new EnumMap<>(PromptSplit.class);
        for (PromptSplit split : PromptSplit.values()) {
            out.put(split, generate(split, sizes.of(split)));
        }
        return out;
    }

    /**
     * One set of {@code n} prompts with ids {@code <split>_0001} ...
     *
     * @throws IllegalArgumentException if {@code n} exceeds {@link #capacity(PromptSplit)}
     */
    public PromptSet generate(PromptSplit split, int n) {
        if (n > capacity(split)) {
            throw new IllegalArgumentException(split.id() + ": " + n + " prompts requested but the vocabulary yields only "
                    + capacity(split) + " distinct ones");
        }
        SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + split.ordinal() + 1);
        List<Template> templates = PromptVocabulary.templates(split);
        Map<String, List<Prompt>> byFamily = new LinkedHashMap<>();
        for (Subfamily sub : PromptVocabulary.subfamilies(split)) {
            List<Prompt> candidates = byFamily.computeIfAbsent(sub.family(), f -> new ArrayList<>());
            for (String task : sub.tasks()) {
                for (Template t : templates) {
                    Map<String, String> meta = new LinkedHashMap<>();
                    meta.put("family", sub.family());
                    meta.put("subfamily", sub.name());
                    meta.put("style", t.style().id());
                    meta.put("template", t.id());
                    candidates.add(new Prompt("pending", t.fill(task), meta));
                }
            }
        }
        List<List<Prompt>> pools = new ArrayList<>();
        for (List<Prompt> pool : byFamily.values()) {
            shuffle(pool, random);
            pools.add(pool);
        }
        shuffle(pools, random);
        List<Prompt> out = new ArrayList<>(n);
        Set<String> seen = new HashSet<>();
        int rounds = pools.stream().mapToInt(List::size).max().orElse(0);
        for (int round = 0; out.size() < n; round++) {
            if (round >= rounds) {
                throw new IllegalStateException(split.id() + ": vocabulary has repeated prompts; only " + out.size()
                        + " distinct of " + n);
            }
            for (List<Prompt> pool : pools) {
                if (out.size() < n && round < pool.size() && seen.add(pool.get(round).prompt())) {
                    Prompt p = pool.get(round);
                    out.add(new Prompt(String.format("%s_%04d", split.id(), out.size() + 1), p.prompt(), p.meta()));
                }
            }
        }
        return new PromptSet(out);
    }

    /**
     * Generates the three sets and writes {@code harm_train.jsonl}, {@code harm_test.jsonl} and {@code benign.jsonl}
     * into {@code dir} (each atomically).
     *
     * @return the written files by split
     */
    public Map<PromptSplit, Path> write(Path dir, Sizes sizes) throws IOException {
        Map<PromptSplit, Path> files = new EnumMap<>(PromptSplit.class);
        for (Map.Entry<PromptSplit, PromptSet> e : generate(sizes).entrySet()) {
            Path file = dir.resolve(e.getKey().fileName());
            e.getValue().write(file);
            files.put(e.getKey(), file);
            log.info("wrote {} prompts to {} (seed {}, sha256 {})", e.getValue().size(), file, seed, e.getValue().hash());
        }
        return files;
    }

    private static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T tmp = list.get(i);
            list.set(i, list.get(j));
            list.set(j, tmp);
        }
    }
}
