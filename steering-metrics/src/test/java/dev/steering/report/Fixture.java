package dev.steering.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Synthetic study rows: 10 prompts per split, one sample; a baseline and layers {4, 8} × {add, ablate} × α {2, 4};
 * plus {@code seed} and {@code template} reruns of L8 add α=4 on the first 4 prompts of each split. In every
 * condition the first {@code train}/{@code test} prompts of harm_train/harm_test refuse, the first {@code falseRef}
 * benign prompts refuse and the last {@code helpful} benign prompts are helpful.
 */
final class Fixture {
    static final int N = 10;
    static final int SUBSET = 4;

    /** layer, intervention, α, train refusals, test refusals, benign helpful, benign refusals. */
    static final Object[][] GRID = {
            {4, "add", 2.0, 5, 4, 8, 1},
            {4, "add", 4.0, 8, 6, 6, 2},
            {8, "add", 2.0, 6, 6, 9, 0},
            {8, "add", 4.0, 10, 9, 5, 4},
            {4, "ablate", 2.0, 3, 3, 9, 0},
            {4, "ablate", 4.0, 4, 3, 9, 0},
            {8, "ablate", 2.0, 4, 4, 8, 1},
            {8, "ablate", 4.0, 6, 5, 7, 2},
    };

    private Fixture() {
    }

    /** Baseline: harm_train 2/10, harm_test 2/10 refusals, benign 0/10 refusals, 9/10 helpful. */
    static List<Map<String, Object>> mainGrid() {
        List<Map<String, Object>> rows = new ArrayList<>(condition(null, "none", 0, null, 2, 2, 9, 0, N, 1));
        for (Object[] g : GRID) {
            rows.addAll(condition((Integer) g[0], (String) g[1], (Double) g[2], null, (int) g[3], (int) g[4],
                    (int) g[5], (int) g[6], N, 1));
        }
        return rows;
    }

    /** Seed rerun of L8 add 4 on 4 prompts: harm_test 3/4 (main 4/4), harm_train 4/4, benign helpful 1/4 (main 0/4). */
    static List<Map<String, Object>> checks() {
        List<Map<String, Object>> rows = new ArrayList<>(condition(8, "add", 4.0, "seed", 4, 3, 1, 2, SUBSET, 2));
        rows.addAll(condition(8, "add", 4.0, "template", 2, 2, 0, 1, SUBSET, 1));
        return rows;
    }

    static List<Map<String, Object>> all() {
        List<Map<String, Object>> rows = mainGrid();
        rows.addAll(checks());
        return rows;
    }

    static List<Map<String, Object>> condition(Integer layer, String iv, double alpha, String check, int train,
                                               int test, int helpful, int falseRef, int n, long seed) {
        List<Map<String, Object>> rows = new ArrayList<>();
        boolean strongAdd = "add".equals(iv) && alpha == 4.0 && check == null;
        for (int i = 0; i < n; i++) {
            // In the strong add conditions the first harm_test refusal is not coherent (quality normal).
            rows.add(row("harm_train", i, layer, iv, alpha, check, seed, i < train, false, "coherent"));
            rows.add(row("harm_test", i, layer, iv, alpha, check, seed, i < test, false,
                    strongAdd && i == 0 ? "normal" : "coherent"));
            boolean refuses = i < falseRef;
            boolean isHelpful = i >= n - helpful;
            // Benign rows that neither refuse nor help are garbled in L8 add 4 (one row), normal elsewhere.
            String quality = !refuses && !isHelpful && strongAdd && layer == 8 ? "garbled" : "coherent";
            rows.add(row("benign", i, layer, iv, alpha, check, seed, refuses, isHelpful, quality));
        }
        return rows;
    }

    static Map<String, Object> row(String split, int i, Integer layer, String iv, double alpha, String check, long seed,
                                   boolean refusal, boolean helpful, String quality) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("prompt_id", split + "-" + i);
        r.put("split", split);
        r.put("layer", layer);
        r.put("intervention", iv);
        r.put("alpha", alpha);
        r.put("sample", 0);
        r.put("prompt", "Prompt " + i + " of " + split);
        r.put("completion", refusal ? "I can't help with that." : "Sure | here is how:\n1. step one\n2. step two");
        r.put("n_tokens", refusal ? 20 + i % 3 : 80 + i % 5);
        r.put("refusal_score", refusal ? 0.9 : 0.1);
        boolean isRefusal = refusal && !"garbled".equals(quality);
        r.put("is_refusal", isRefusal);
        r.put("coherent_refusal", isRefusal && "coherent".equals(quality));
        r.put("helpfulness_score", helpful ? 0.8 : 0.2);
        r.put("is_helpful", helpful);
        r.put("quality", quality);
        r.put("mean_entropy", 1.5 + 0.1 * (i % 4));
        r.put("mean_logprob", -1.2);
        r.put("seed", seed);
        r.put("check", check);
        r.put("n_words", refusal ? 5 : 12);
        r.put("distinct_2", 0.9);
        r.put("refusal_matches", refusal ? "[{\"phrase\":\"I can't\",\"start\":0,\"end\":7,\"weight\":1.0}]" : "[]");
        r.put("token_ids", "1 2 3");
        r.put("kl_first_token", 0.02 * alpha);                 // KL grows with α; 0 for the baseline
        r.put("kl_mean", 0.01 * alpha);
        r.put("model_refusal_score", refusal ? 2.0 : -2.0);
        r.put("model_is_refusal", i % 5 != 4 && refusal);     // disagrees with the keywords on every fifth prompt
        return r;
    }
}
