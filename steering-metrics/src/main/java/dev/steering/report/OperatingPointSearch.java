package dev.steering.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.steering.experiment.ResultColumns;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * The automatic operating-point search: the (layer, intervention, α) with the highest coherent-refusal rate on
 * {@code harm_train} whose benign side effects stay within a budget (mean {@code kl_first_token} and the drop of the
 * helpful rate against the baseline, both on the benign <em>validation</em> part). Selection uses only those
 * training prompts; the chosen point is then reported once on the held-out {@code harm_test} and benign test part,
 * so the selection does not inflate the reported result.
 *
 * <p><b>Successive halving</b> over the candidates (every main-grid setting, the baseline included, which is always
 * within budget): rung 0 evaluates every candidate on the first {@code minPrompts} prompts of each training split;
 * each rung ranks the candidates (within budget first, then by coherent-refusal rate, then by lower KL), keeps the
 * best {@code ceil(k / eta)} and multiplies the prompts by {@code eta}; the last rung evaluates the survivors on all
 * training prompts and picks the best within budget. The search asks for a completion of (candidate, prompt) once;
 * {@link Result#generationsUsed()} counts those, against {@link Result#fullGridGenerations()} = every candidate on
 * every training prompt. The exhaustive choice over the full grid is computed too, so the report says whether the
 * search found a point at least as good. No Bayesian optimizer is used: the JVM has no maintained TPE library on
 * Maven Central, and over a grid of a few dozen points successive halving is simple, deterministic and auditable.
 *
 * <p>Evaluations read the rows of the main grid; since each prompt's sampler is seeded from the run seed and the
 * prompt id, these are the completions a standalone search would generate.
 */
public final class OperatingPointSearch {
    /** The file in the run directory. */
    public static final String FILE = "operating_point.json";

    private final Budget budget;
    private final Set<String> benignValidation;
    private final int minPrompts;
    private final int eta;

    /**
     * @param budget           the side-effect budget
     * @param benignValidation ids of the benign prompts searched on (the others are the held-out benign test)
     * @param minPrompts       prompts per training split in the first rung
     * @param eta              halving factor (≥ 2)
     */
    public OperatingPointSearch(Budget budget, Set<String> benignValidation, int minPrompts, int eta) {
        if (minPrompts <= 0 || eta < 2) {
            throw new IllegalArgumentException("need minPrompts > 0 and eta >= 2, got " + minPrompts + ", " + eta);
        }
        this.budget = budget;
        this.benignValidation = Set.copyOf(benignValidation);
        this.minPrompts = minPrompts;
        this.eta = eta;
    }

    /**
     * The benign validation part: {@code round(share · n)} of the ids (at least one, at most n − 1), drawn with a
     * {@link Random} seeded with {@code seed}, so the partition is fixed by the config.
     */
    public static Set<String> validationPart(List<String> benignIds, double share, long seed) {
        List<String> ids = new ArrayList<>(benignIds);
        Collections.shuffle(ids, new Random(seed));
        int k = (int) Math.max(1, Math.min(ids.size() - 1, Math.round(share * ids.size())));
        return new LinkedHashSet<>(ids.subList(0, k));
    }

    /**
     * @param maxKlFirstToken    largest mean {@code kl_first_token} on the benign validation prompts
     * @param maxHelpfulnessDrop largest drop of the benign helpful rate against the baseline (a share: 0.1 = 10 points)
     */
    public record Budget(double maxKlFirstToken, double maxHelpfulnessDrop) {
    }

    /**
     * One candidate measured on training prompts.
     *
     * @param setting          the candidate
     * @param prompts          prompts per training split used (harm_train, benign validation)
     * @param coherentRefusal  coherent-refusal rate on harm_train
     * @param helpful          helpful rate on the benign validation prompts
     * @param helpfulnessDrop  baseline helpful rate − this one's, on the same prompts
     * @param klFirstToken     mean {@code kl_first_token} on the benign validation prompts
     * @param withinBudget     both side effects within the budget
     */
    public record Evaluation(Setting setting, int prompts, Proportion coherentRefusal, Proportion helpful,
                             double helpfulnessDrop, double klFirstToken, boolean withinBudget) {
    }

    /**
     * One rung of successive halving.
     *
     * @param prompts     prompts per training split
     * @param evaluated   the candidates evaluated, ranked best first
     * @param kept        how many of them go on
     */
    public record Rung(int prompts, List<Evaluation> evaluated, int kept) {
    }

    /**
     * The chosen point on the held-out prompts, next to the baseline on the same prompts.
     *
     * @param coherentRefusalHarmTest coherent-refusal rate on harm_test
     * @param baselineCoherentRefusalHarmTest the baseline's
     * @param gain                    the difference, with Newcombe's interval
     * @param refusalHarmTest         keyword refusal rate on harm_test
     * @param helpfulBenignTest       helpful rate on the benign test part
     * @param baselineHelpfulBenignTest the baseline's
     * @param helpfulnessDrop         baseline − chosen, with Newcombe's interval
     * @param falseRefusalBenignTest  refusal rate on the benign test part
     * @param klFirstTokenBenignTest  mean {@code kl_first_token} on the benign test part, 95% t interval
     * @param klMeanBenignTest        mean {@code kl_mean} on the benign test part
     */
    public record HeldOut(Proportion coherentRefusalHarmTest, Proportion baselineCoherentRefusalHarmTest,
                          Estimate gain, Proportion refusalHarmTest, Proportion helpfulBenignTest,
                          Proportion baselineHelpfulBenignTest, Estimate helpfulnessDrop,
                          Proportion falseRefusalBenignTest, Estimate klFirstTokenBenignTest,
                          Estimate klMeanBenignTest) {
    }

    /**
     * What the search did and found.
     *
     * @param budget              the budget
     * @param chosen              the selected point (the baseline when no steered point is within budget)
     * @param checkPoint          where the sanity checks run: {@code chosen}, or when that is the baseline the best
     *                            steered candidate of the last rung regardless of budget (null if there is none)
     * @param training            the chosen point on all training prompts
     * @param rungs               the successive-halving rungs
     * @param generationsUsed     distinct (candidate, prompt) completions the search asked for
     * @param fullGridGenerations every candidate on every training prompt
     * @param exhaustive          the best point within budget over the full grid on all training prompts
     * @param atLeastAsGood       the search's point has a coherent-refusal rate ≥ the exhaustive one's
     * @param heldOut             the chosen point on the held-out prompts
     * @param benignValidation    ids of the benign validation prompts
     */
    public record Result(Budget budget, Setting chosen, Setting checkPoint, Evaluation training, List<Rung> rungs,
                         int generationsUsed, int fullGridGenerations, Evaluation exhaustive, boolean atLeastAsGood,
                         HeldOut heldOut, List<String> benignValidation) {
    }

    /**
     * Runs the search over the main-grid rows (check reruns are ignored).
     *
     * @throws IllegalArgumentException when there are no baseline rows or no training prompts
     */
    public Result run(List<Map<String, Object>> rows) {
        Map<Setting, Map<String, List<Map<String, Object>>>> bySetting = new TreeMap<>(Setting.ORDER);
        for (Map<String, Object> r : rows) {
            if (Rows.check(r) == null) {
                bySetting.computeIfAbsent(Rows.setting(r), k -> new LinkedHashMap<>())
                        .computeIfAbsent(part(r), k -> new ArrayList<>()).add(r);
            }
        }
        Map<String, List<Map<String, Object>>> baseline = bySetting.get(Setting.BASELINE);
        if (baseline == null) {
            throw new IllegalArgumentException("operating-point search: no baseline rows");
        }
        List<String> trainIds = ids(baseline.get(Rows.HARM_TRAIN));
        List<String> valIds = ids(baseline.get(VALIDATION));
        if (trainIds.isEmpty() || valIds.isEmpty()) {
            throw new IllegalArgumentException("operating-point search: no harm_train or benign validation prompts");
        }
        int full = Math.max(trainIds.size(), valIds.size());
        List<Setting> candidates = new ArrayList<>(bySetting.keySet());
        Set<String> asked = new HashSet<>();
        List<Rung> rungs = new ArrayList<>();
        List<Setting> alive = candidates;
        int n = Math.min(minPrompts, full);
        while (true) {
            int prompts = n;
            List<Evaluation> ranked = alive.stream()
                    .map(s -> evaluate(s, bySetting.get(s), baseline, trainIds, valIds, prompts, asked))
                    .sorted(RANKING).toList();
            boolean last = prompts >= full || alive.size() == 1;
            int keep = last ? 1 : (alive.size() + eta - 1) / eta;
            rungs.add(new Rung(prompts, ranked, keep));
            if (last) {
                break;
            }
            alive = ranked.subList(0, keep).stream().map(Evaluation::setting).toList();
            n = alive.size() == 1 ? full : Math.min(full, n * eta);
        }
        List<Evaluation> finalRung = rungs.get(rungs.size() - 1).evaluated();
        Evaluation best = finalRung.stream().filter(Evaluation::withinBudget).findFirst()
                .orElseGet(() -> evaluate(Setting.BASELINE, baseline, baseline, trainIds, valIds, full, asked));
        Setting check = !best.setting().isBaseline() ? best.setting()
                : finalRung.stream().map(Evaluation::setting).filter(s -> !s.isBaseline()).findFirst()
                .orElse(rungs.get(0).evaluated().stream().map(Evaluation::setting).filter(s -> !s.isBaseline())
                        .findFirst().orElse(null));
        Evaluation exhaustive = candidates.stream()
                .map(s -> evaluate(s, bySetting.get(s), baseline, trainIds, valIds, full, new HashSet<>()))
                .filter(Evaluation::withinBudget).sorted(RANKING).findFirst().orElseThrow();
        boolean asGood = best.coherentRefusal().rate() >= exhaustive.coherentRefusal().rate();
        return new Result(budget, best.setting(), check, best, rungs, asked.size(),
                candidates.size() * (trainIds.size() + valIds.size()), exhaustive, asGood,
                heldOut(bySetting.get(best.setting()), baseline), List.copyOf(benignValidation));
    }

    private static final String VALIDATION = "benign_validation";
    private static final String BENIGN_TEST = "benign_test";

    /** Within budget first, then higher coherent refusal, then lower KL, then grid order. */
    private static final Comparator<Evaluation> RANKING = Comparator
            .comparing((Evaluation e) -> !e.withinBudget())
            .thenComparing(e -> -e.coherentRefusal().rate())
            .thenComparingDouble(e -> Double.isNaN(e.klFirstToken()) ? Double.MAX_VALUE : e.klFirstToken())
            .thenComparing(Evaluation::setting, Setting.ORDER);

    /** harm_train, harm_test, benign_validation or benign_test. */
    private String part(Map<String, Object> r) {
        String split = Rows.split(r);
        if (!Rows.BENIGN.equals(split)) {
            return split;
        }
        return benignValidation.contains(Rows.promptId(r)) ? VALIDATION : BENIGN_TEST;
    }

    private static List<String> ids(List<Map<String, Object>> rows) {
        return rows == null ? List.of() : rows.stream().map(Rows::promptId).distinct().toList();
    }

    private static List<Map<String, Object>> first(List<Map<String, Object>> rows, List<String> ids, int n) {
        Set<String> keep = new HashSet<>(ids.subList(0, Math.min(n, ids.size())));
        return rows == null ? List.of() : rows.stream().filter(r -> keep.contains(Rows.promptId(r))).toList();
    }

    private Evaluation evaluate(Setting s, Map<String, List<Map<String, Object>>> rows,
                                Map<String, List<Map<String, Object>>> baseline, List<String> trainIds,
                                List<String> valIds, int n, Set<String> asked) {
        List<Map<String, Object>> train = first(rows.get(Rows.HARM_TRAIN), trainIds, n);
        List<Map<String, Object>> val = first(rows.get(VALIDATION), valIds, n);
        for (Map<String, Object> r : train) {
            asked.add(s.label() + "|" + Rows.HARM_TRAIN + "|" + Rows.promptId(r) + "|" + Rows.sample(r));
        }
        for (Map<String, Object> r : val) {
            asked.add(s.label() + "|" + VALIDATION + "|" + Rows.promptId(r) + "|" + Rows.sample(r));
        }
        Proportion helpful = Rows.rate(val, ResultColumns.IS_HELPFUL);
        Proportion baseHelpful = Rows.rate(first(baseline.get(VALIDATION), valIds, n), ResultColumns.IS_HELPFUL);
        double drop = baseHelpful.rate() - helpful.rate();
        double kl = MeanEstimate.of(val.stream().map(r -> Rows.number(r, ResultColumns.KL_FIRST_TOKEN)).toList())
                .value();
        boolean ok = !train.isEmpty() && !val.isEmpty() && drop <= budget.maxHelpfulnessDrop() + 1e-12
                && (s.isBaseline() || kl <= budget.maxKlFirstToken());
        return new Evaluation(s, n, Rows.rate(train, ResultColumns.COHERENT_REFUSAL), helpful, drop, kl, ok);
    }

    private static HeldOut heldOut(Map<String, List<Map<String, Object>>> chosen,
                                   Map<String, List<Map<String, Object>>> baseline) {
        List<Map<String, Object>> test = chosen.getOrDefault(Rows.HARM_TEST, List.of());
        List<Map<String, Object>> benign = chosen.getOrDefault(BENIGN_TEST, List.of());
        Proportion cr = Rows.rate(test, ResultColumns.COHERENT_REFUSAL);
        Proportion baseCr = Rows.rate(baseline.getOrDefault(Rows.HARM_TEST, List.of()), ResultColumns.COHERENT_REFUSAL);
        Proportion helpful = Rows.rate(benign, ResultColumns.IS_HELPFUL);
        Proportion baseHelpful = Rows.rate(baseline.getOrDefault(BENIGN_TEST, List.of()), ResultColumns.IS_HELPFUL);
        return new HeldOut(cr, baseCr, cr.minus(baseCr), Rows.rate(test, ResultColumns.IS_REFUSAL), helpful,
                baseHelpful, baseHelpful.minus(helpful), Rows.rate(benign, ResultColumns.IS_REFUSAL),
                MeanEstimate.of(benign.stream().map(r -> Rows.number(r, ResultColumns.KL_FIRST_TOKEN)).toList()),
                MeanEstimate.of(benign.stream().map(r -> Rows.number(r, ResultColumns.KL_MEAN)).toList()));
    }

    /** Writes {@code result} as JSON (NaN as null) through a temporary file and an atomic rename. */
    public static void write(Path file, Result result) {
        try {
            com.fasterxml.jackson.databind.module.SimpleModule nanAsNull =
                    new com.fasterxml.jackson.databind.module.SimpleModule();
            com.fasterxml.jackson.databind.JsonSerializer<Double> number =
                    new com.fasterxml.jackson.databind.JsonSerializer<>() {
                        @Override
                        public void serialize(Double v, com.fasterxml.jackson.core.JsonGenerator g,
                                              com.fasterxml.jackson.databind.SerializerProvider p) throws IOException {
                            if (v == null || !Double.isFinite(v)) {
                                g.writeNull();
                            } else {
                                g.writeNumber(v);
                            }
                        }
                    };
            nanAsNull.addSerializer(Double.class, number);
            nanAsNull.addSerializer(Double.TYPE, number);
            String json = new ObjectMapper().registerModule(nanAsNull).enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(result);
            AtomicWrite.writeString(file, json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }

    /** Reads the chosen point and the benign validation ids of a written file, or null when there is none. */
    public static Map<String, Object> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = new ObjectMapper().readValue(file.toFile(), Map.class);
            return m;
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }
}
