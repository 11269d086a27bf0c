package dev.steering.experiment;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.steering.hub.HubClient;
import dev.steering.hub.HubSettings;
import dev.steering.hub.ModelRef;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RealToxicityPrompts data set (Gehman et al., 2020): one JSON object per line,
 * {@code {"filename","begin","end","challenging","prompt":{"text","toxicity",...},"continuation":{...}}}, where any
 * Perspective score may be {@code null}. Read from a local file or from the Hugging Face dataset repository
 * {@code allenai/real-toxicity-prompts} ({@code prompts.jsonl}) through the hub cache.
 *
 * <p>Subsets as toxicity studies use them: {@link #challenging} (flagged {@code challenging}, or prompt toxicity at
 * least a threshold, default {@value #DEFAULT_CHALLENGING_THRESHOLD}) and {@link #benign} (prompt toxicity below a
 * threshold, default {@value #DEFAULT_BENIGN_THRESHOLD}), each sampled with a seed.
 */
public final class RealToxicityPrompts {
    private static final Logger LOG = LoggerFactory.getLogger(RealToxicityPrompts.class);
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The Hugging Face dataset repository. */
    public static final String REPO_ID = "allenai/real-toxicity-prompts";
    /** The data file in that repository. */
    public static final String FILE = "prompts.jsonl";
    /** Prompt toxicity from which a prompt counts as challenging. */
    public static final double DEFAULT_CHALLENGING_THRESHOLD = 0.5;
    /** Prompt toxicity below which a prompt counts as benign. */
    public static final double DEFAULT_BENIGN_THRESHOLD = 0.1;

    /**
     * A prompt or continuation: its text and the Perspective scores that are not null.
     *
     * @param text   the text
     * @param scores attribute ({@code toxicity}, {@code severe_toxicity}, {@code insult}, ...) → score
     */
    public record Span(String text, Map<String, Double> scores) {
        /** Copies the scores, keeping their order. */
        public Span {
            scores = Collections.unmodifiableMap(new LinkedHashMap<>(scores));
        }

        /** The {@code toxicity} score, if it was not null. */
        public OptionalDouble toxicity() {
            Double t = scores.get("toxicity");
            return t == null ? OptionalDouble.empty() : OptionalDouble.of(t);
        }
    }

    /**
     * One line of the data set.
     *
     * @param line         1-based line number in the file
     * @param filename     the OpenWebText document
     * @param begin        the sentence's start offset in it
     * @param end          its end offset
     * @param challenging  the data set's {@code challenging} flag
     * @param prompt       the prompt (the sentence's first half)
     * @param continuation the sentence's second half
     */
    public record Entry(int line, String filename, int begin, int end, boolean challenging, Span prompt,
                        Span continuation) {
        /**
         * As a prompt of a prompt set: id {@code rtp-<line>}, meta {@code source}, {@code filename},
         * {@code challenging} and {@code prompt_toxicity} (when known).
         */
        public Prompt toPrompt() {
            Map<String, String> meta = new LinkedHashMap<>();
            meta.put("source", "real-toxicity-prompts");
            meta.put("filename", filename);
            meta.put("challenging", Boolean.toString(challenging));
            prompt.toxicity().ifPresent(t -> meta.put("prompt_toxicity", Double.toString(t)));
            return new Prompt("rtp-" + line, prompt.text(), meta);
        }
    }

    private final List<Entry> entries;
    private final int skipped;

    private RealToxicityPrompts(List<Entry> entries, int skipped) {
        this.entries = List.copyOf(entries);
        this.skipped = skipped;
    }

    /**
     * Reads a local JSONL file, skipping lines whose prompt toxicity is null.
     *
     * @param file the file
     * @return the data set
     * @throws InputFormatException for a malformed line, naming the file and line
     */
    public static RealToxicityPrompts load(Path file) throws IOException {
        return load(file, false);
    }

    /**
     * Reads a local JSONL file. Blank lines are ignored.
     *
     * @param file             the file
     * @param keepNullToxicity keep lines whose prompt toxicity is null (they can only enter {@link #challenging}
     *                         through the {@code challenging} flag); otherwise they are skipped and counted
     * @return the data set
     * @throws InputFormatException for a malformed line, naming the file and line
     */
    public static RealToxicityPrompts load(Path file, boolean keepNullToxicity) throws IOException {
        List<Entry> entries = new ArrayList<>();
        int skipped = 0;
        try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            int n = 0;
            for (String line = r.readLine(); line != null; line = r.readLine()) {
                n++;
                if (line.isBlank()) {
                    continue;
                }
                Entry e = parse(line, file.toString(), n);
                if (e.prompt().toxicity().isEmpty() && !keepNullToxicity) {
                    skipped++;
                } else {
                    entries.add(e);
                }
            }
        }
        LOG.info("{}: {} prompts{}", file, entries.size(),
                skipped > 0 ? ", " + skipped + " skipped (prompt toxicity null)" : "");
        return new RealToxicityPrompts(entries, skipped);
    }

    /**
     * Downloads (or finds in the hub cache) {@value #FILE} of {@value #REPO_ID} and reads it, skipping lines whose
     * prompt toxicity is null.
     *
     * @param client   the hub client (endpoint, cache, offline mode)
     * @param revision a branch, tag or commit ({@code null} for {@code main})
     * @return the data set
     * @throws dev.steering.hub.HubException if the file is neither cached nor downloadable
     */
    public static RealToxicityPrompts fromHub(HubClient client, String revision) throws IOException {
        return load(client.file(new ModelRef.Hub(REPO_ID, revision, "dataset"), FILE), false);
    }

    /**
     * {@link #fromHub(HubClient, String)} at {@code main} with {@link HubSettings#fromEnvironment()}.
     *
     * @return the data set
     */
    public static RealToxicityPrompts fromHub() throws IOException {
        return fromHub(new HubClient(HubSettings.fromEnvironment()), null);
    }

    /** All entries, in file order. */
    public List<Entry> entries() {
        return entries;
    }

    /** How many lines were skipped because their prompt toxicity was null. */
    public int skipped() {
        return skipped;
    }

    /**
     * Challenging prompts with the default threshold ({@value #DEFAULT_CHALLENGING_THRESHOLD}).
     *
     * @see #challenging(int, long, double)
     */
    public List<Entry> challenging(int n, long seed) {
        return challenging(n, seed, DEFAULT_CHALLENGING_THRESHOLD);
    }

    /**
     * A seeded sample of prompts flagged {@code challenging} or with prompt toxicity ≥ {@code minToxicity}.
     *
     * @param n           how many (all of them if fewer qualify; logged)
     * @param seed        the sampling seed
     * @param minToxicity the toxicity threshold
     * @return the sample, in file order
     */
    public List<Entry> challenging(int n, long seed, double minToxicity) {
        return sample("challenging", e -> e.challenging()
                || (e.prompt().toxicity().isPresent() && e.prompt().toxicity().getAsDouble() >= minToxicity), n, seed);
    }

    /**
     * Benign prompts with the default threshold ({@value #DEFAULT_BENIGN_THRESHOLD}).
     *
     * @see #benign(int, long, double)
     */
    public List<Entry> benign(int n, long seed) {
        return benign(n, seed, DEFAULT_BENIGN_THRESHOLD);
    }

    /**
     * A seeded sample of prompts with a known prompt toxicity below {@code maxToxicity} (flagged challenging ones
     * excluded).
     *
     * @param n           how many (all of them if fewer qualify; logged)
     * @param seed        the sampling seed
     * @param maxToxicity the toxicity threshold (exclusive)
     * @return the sample, in file order
     */
    public List<Entry> benign(int n, long seed, double maxToxicity) {
        return sample("benign", e -> !e.challenging()
                && e.prompt().toxicity().isPresent() && e.prompt().toxicity().getAsDouble() < maxToxicity, n, seed);
    }

    /** The first {@code n} of the qualifying entries shuffled with {@code new Random(seed)}, back in file order. */
    private List<Entry> sample(String subset, Predicate<Entry> qualifies, int n, long seed) {
        if (n < 0) {
            throw new IllegalArgumentException(subset + " sample size must be ≥ 0, got " + n);
        }
        List<Entry> pool = new ArrayList<>(entries.stream().filter(qualifies).toList());
        if (pool.size() < n) {
            LOG.warn("{}: only {} prompts qualify, {} requested", subset, pool.size(), n);
        }
        Collections.shuffle(pool, new Random(seed));
        List<Entry> out = new ArrayList<>(pool.subList(0, Math.min(n, pool.size())));
        out.sort(Comparator.comparingInt(Entry::line));
        return out;
    }

    private static Entry parse(String text, String source, int line) throws InputFormatException {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw new InputFormatException(source, line, "malformed JSON: " + e.getOriginalMessage(), e);
        }
        if (node == null || !node.isObject()) {
            throw new InputFormatException(source, line, "expected a JSON object");
        }
        JsonNode challenging = node.get("challenging");
        if (challenging != null && !challenging.isNull() && !challenging.isBoolean()) {
            throw new InputFormatException(source, line, "'challenging' must be true or false, found " + challenging);
        }
        return new Entry(line, string(node, "filename", source, line), integer(node, "begin", source, line),
                integer(node, "end", source, line), challenging != null && challenging.booleanValue(),
                span(node, "prompt", true, source, line), span(node, "continuation", false, source, line));
    }

    private static Span span(JsonNode node, String field, boolean required, String source, int line)
            throws InputFormatException {
        JsonNode s = node.get(field);
        if (s == null || s.isNull()) {
            if (required) {
                throw new InputFormatException(source, line, "missing object field '" + field + "'");
            }
            return new Span("", Map.of());
        }
        if (!s.isObject()) {
            throw new InputFormatException(source, line, "'" + field + "' must be an object, found " + s.getNodeType());
        }
        JsonNode text = s.get("text");
        if (text == null || !text.isTextual()) {
            throw new InputFormatException(source, line, "missing string field '" + field + ".text'");
        }
        Map<String, Double> scores = new LinkedHashMap<>();
        for (var it = s.fields(); it.hasNext(); ) {
            var e = it.next();
            if (e.getKey().equals("text") || e.getValue().isNull()) {
                continue;
            }
            if (!e.getValue().isNumber()) {
                throw new InputFormatException(source, line, "'" + field + "." + e.getKey()
                        + "' must be a number or null, found " + e.getValue());
            }
            scores.put(e.getKey(), e.getValue().doubleValue());
        }
        return new Span(text.textValue(), scores);
    }

    private static String string(JsonNode node, String field, String source, int line) throws InputFormatException {
        JsonNode v = node.get(field);
        if (v == null || !v.isTextual()) {
            throw new InputFormatException(source, line, "missing string field '" + field + "'");
        }
        return v.textValue();
    }

    private static int integer(JsonNode node, String field, String source, int line) throws InputFormatException {
        JsonNode v = node.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new InputFormatException(source, line, "missing integer field '" + field + "'");
        }
        return v.intValue();
    }
}
