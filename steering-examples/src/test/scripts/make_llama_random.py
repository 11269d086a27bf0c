#!/usr/bin/env python3
"""Builds the bundled model `bundled:llama-random` (steering-examples/src/main/resources/models/llama-random/) from the
random-weight Llama fixture (steering-core/src/test/resources/fixtures/llama-family/llama-tiny): the embedding and
unembedding rows are cut to the toy model's 601-entry word-level tokenizer (copied alongside), bos/eos set to its
<|endoftext|> (id 0). Every other tensor is copied unchanged (F16, as stored). Standard library only.

    python3 steering-examples/src/test/scripts/make_llama_random.py
"""
import json
import pathlib
import shutil
import struct

ROOT = pathlib.Path(__file__).resolve().parents[4]
SRC = ROOT / "steering-core/src/test/resources/fixtures/llama-family/llama-tiny"
TOK = ROOT / "steering-examples/src/main/resources/models/toy-refusal/tokenizer.json"
OUT = ROOT / "steering-examples/src/main/resources/models/llama-random"
VOCAB = 601
BYTES = {"F16": 2, "BF16": 2, "F32": 4}

raw = (SRC / "model.safetensors").read_bytes()
n = struct.unpack("<Q", raw[:8])[0]
header = json.loads(raw[8:8 + n])
data = raw[8 + n:]
tensors = {}
for name, info in header.items():
    if name == "__metadata__":
        continue
    start, end = info["data_offsets"]
    blob = data[start:end]
    shape = list(info["shape"])
    if name in ("model.embed_tokens.weight", "lm_head.weight"):
        row = shape[1] * BYTES[info["dtype"]]
        blob = blob[:VOCAB * row]
        shape[0] = VOCAB
    tensors[name] = (info["dtype"], shape, blob)

out_header = {"__metadata__": {"format": "pt", "source": "llama-tiny fixture, vocabulary cut to 601 rows"}}
offset = 0
for name in sorted(tensors):
    dtype, shape, blob = tensors[name]
    out_header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
    offset += len(blob)
hb = json.dumps(out_header, separators=(",", ":")).encode()
hb += b" " * ((8 - len(hb) % 8) % 8)
OUT.mkdir(parents=True, exist_ok=True)
with open(OUT / "model.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(hb)))
    f.write(hb)
    for name in sorted(tensors):
        f.write(tensors[name][2])

config = json.loads((SRC / "config.json").read_text())
config.update({"vocab_size": VOCAB, "bos_token_id": 0, "eos_token_id": 0, "max_position_embeddings": 256})
(OUT / "config.json").write_text(json.dumps(config, indent=2) + "\n")
shutil.copyfile(TOK, OUT / "tokenizer.json")
print("wrote", OUT)
