#!/usr/bin/env python3
"""Expected layer indices of LayerDepthTest: int(pct * n_layers) as the cross-family plan's tables compute them
(Python float arithmetic, truncation), for the plan's models and depth fractions.

    python3 steering-core/src/test/scripts/layer_depths.py
"""
MODELS = {  # num_hidden_layers of each config.json
    "Qwen2.5-3B-Instruct": 36, "Qwen2.5-7B-Instruct": 28, "gemma-2-2b-it": 26, "gemma-2-9b-it": 42,
    "Phi-3.5-mini-instruct": 32, "Llama-3.2-3B-Instruct": 28, "Meta-Llama-3-8B-Instruct": 32,
    "Mistral-7B-Instruct-v0.3": 32,
}
PCTS = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
for name, n in MODELS.items():
    print(f'row("{name}", {n}, ' + ", ".join(str(int(p * n)) for p in PCTS) + "),")
