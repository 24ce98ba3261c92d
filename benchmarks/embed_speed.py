"""Embedding speed on CPU: sentence-transformers fp32 against our embedders, in one run.

Times `SentenceTransformer(folder).encode(texts, batch_size=32)` (torch's default threads)
against each candidate on the same texts: the torch embedder (`load_embedder`), and ONNX
exports in float32 and dynamic int8 (`inhouse models export`, served by `OnnxEmbedder`) at
several batch sizes and ONNX Runtime thread counts. Repeats are interleaved (every backend once
per round, the order rotated each round) so they share the machine's noise; a row's `speedup` is
the median over rounds of (ST seconds / its seconds) in that round. `cosine` is the mean cosine
of its vectors with ST fp32's. For int8 graphs, on the first 200 texts of a set,
`batch_cosine` is the mean cosine between a text's vector in its batch and alone (the dynamic
activation scales are per batch) and `alone_cosine` that of its vector alone with ST fp32's.

    INHOUSE_DATA_DIR=/work/shared/datasets .venv/bin/python benchmarks/embed_speed.py \
        --out benchmarks/results/embed-speed.json
    INHOUSE_DATA_DIR=/work/shared/datasets .venv/bin/python benchmarks/embed_speed.py \
        --embedder all-mpnet-base-v2 --n 300 --repeats 3 \
        --only torch-fp32,onnx-fp32-t1-b8,onnx-int8-t1-b8 \
        --out benchmarks/results/embed-speed-mpnet.json

`--embedder NAME`: another registered embedder (after `inhouse models install NAME`), its
weights checked, copied by reference into this run's own registry.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

_TMP = Path(tempfile.mkdtemp(prefix="embed-speed-"))


def isolate() -> None:
    """Exports go to a registry and cache of this run's own, never the user's."""
    os.environ["INHOUSE_REGISTRY"] = str(_TMP / "models.json")
    os.environ["INHOUSE_CACHE_DIR"] = str(_TMP / "cache")


# name, backend, precision, ONNX threads, batch size
CANDIDATES = [
    ("torch-fp32", "torch", "float32", None, 64),
    ("onnx-fp32-t1-b8", "onnx", "float32", 1, 8),
    ("onnx-fp32-t1-b32", "onnx", "float32", 1, 32),
    ("onnx-int8-t1-b4", "onnx", "int8", 1, 4),
    ("onnx-int8-t1-b8", "onnx", "int8", 1, 8),
    ("onnx-int8-t1-b16", "onnx", "int8", 1, 16),
    ("onnx-int8-t2-b8", "onnx", "int8", 2, 8),
]


def load_texts(n: int, seed: int) -> dict[str, tuple[list[str], str]]:
    from inhouse.datasets import load
    from inhouse.recommend.text import item_texts

    rng = np.random.default_rng(seed)

    def subset(texts: list[str]) -> tuple[list[str], str]:
        if len(texts) <= n:
            return texts, f"all {len(texts)}"
        pick = sorted(rng.choice(len(texts), n, replace=False).tolist())
        return [texts[i] for i in pick], f"{n} of {len(texts)} (seed {seed})"

    queries = load("banking77").test["text"].to_list()
    items = item_texts(load("amazon-scientific").catalog)
    return {"banking77-test": subset(queries), "amazon-scientific-items": subset(items)}


def what_else_ran() -> list[str]:
    out = subprocess.run(
        ["ps", "-eo", "pcpu,args", "--sort=-pcpu"], capture_output=True, text=True
    ).stdout
    return [" ".join(line.split())[:120] for line in out.splitlines()[1:7]]


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--n", type=int, default=1000, help="texts per set (seeded subset)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated candidate names")
    parser.add_argument("--embedder", default="all-MiniLM-L6-v2", help="a registered embedder")
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from inhouse.models.embedder import (
        DEFAULT_EMBEDDER,
        default_embedder_path,
        encoder_tag,
        fingerprint,
    )
    from inhouse.models.export import export_embedder
    from inhouse.models.load import load_named_embedder
    from inhouse.models.onnx_embedder import OnnxEmbedder
    from inhouse.models.registry import add_model, ensure_verified

    default = args.embedder == DEFAULT_EMBEDDER
    folder = default_embedder_path() if default else ensure_verified(args.embedder).path
    isolate()
    if not default:
        add_model(folder, args.embedder)
    tag = encoder_tag(args.embedder)
    load_before = os.getloadavg()
    others_before = what_else_ran()
    sets = load_texts(args.n, args.seed)
    st = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
    ours = load_named_embedder(args.embedder)  # the torch candidate; names the encoder
    chosen = [c for c in CANDIDATES if not args.only or c[0] in args.only.split(",")]
    systems = {}
    onnx_embedders: dict[str, OnnxEmbedder] = {}
    exported = {}
    for name, backend, precision, threads, batch in chosen:
        if backend == "torch":
            systems[name] = lambda t, e=ours, b=batch: e.embed(t, b)
            continue
        if precision not in exported:
            exported[precision] = export_embedder(args.embedder, precision)
        entry = exported[precision]
        onnx = OnnxEmbedder(entry.path, entry.name, entry.weights_sha256(), threads, batch)
        onnx_embedders[name] = onnx
        systems[name] = lambda t, e=onnx: e.embed(t)

    def run_st(t: list[str]) -> np.ndarray:
        return np.asarray(st.encode(t, batch_size=32, convert_to_numpy=True))

    # one untimed warm-up pass of each on a few texts
    for fn in [run_st, *systems.values()]:
        fn(next(iter(sets.values()))[0][:64])

    rows = []
    for set_name, (texts, subset_note) in sets.items():
        names = ["st-fp32", *systems]
        fns = {"st-fp32": run_st, **systems}
        seconds: dict[str, list[float]] = {n: [] for n in names}
        vecs: dict[str, np.ndarray] = {}
        for r in range(args.repeats):
            order = names[r % len(names) :] + names[: r % len(names)]
            for n in order:
                start = time.perf_counter()
                vecs[n] = fns[n](texts)
                seconds[n].append(time.perf_counter() - start)
            print(set_name, r, {n: round(s[-1], 2) for n, s in seconds.items()}, flush=True)
        ref = vecs["st-fp32"]
        st_s = np.array(seconds["st-fp32"])
        for n in names:
            own = np.array(seconds[n])
            row = {
                "name": n + tag,
                "kind": "off-the-shelf",
                "text_set": set_name,
                "texts": subset_note,
                "mean_chars": round(float(np.mean([len(t) for t in texts])), 1),
                "metrics": {
                    "speedup": round(float(np.median(st_s / own)), 3),
                    "texts_per_s": round(float(len(texts) / np.median(own)), 1),
                    "cosine": round(float(cosines(vecs[n], ref).mean()), 6),
                    "min_cosine": round(float(cosines(vecs[n], ref).min()), 6),
                },
                "seconds": [round(float(s), 3) for s in own],
            }
            spec = next((c for c in chosen if c[0] == n), None)
            if spec is not None:
                row |= {"backend": spec[1], "precision": spec[2], "threads": spec[3]}
                row |= {"batch_size": spec[4]}
                if spec[2] == "int8":  # a text's vector in its batch vs alone
                    alone = onnx_embedders[n]
                    few = texts[:200]
                    single = np.concatenate([alone.embed([t], 1) for t in few])
                    batched = alone.embed(few)
                    row["metrics"]["batch_cosine"] = round(
                        float(cosines(batched, single).mean()), 6
                    )
                    row["metrics"]["alone_cosine"] = round(  # one text per run, vs ST fp32
                        float(cosines(single, ref[:200]).mean()), 6
                    )
            else:
                row |= {"backend": "sentence-transformers", "precision": "float32"}
                row |= {"threads": torch.get_num_threads(), "batch_size": 32}
            rows.append(row)
    result = {
        "workload": "embed",
        "dataset": "banking77 test queries; amazon-scientific catalog item texts",
        "protocol": (
            f"{args.embedder} on CPU; {args.repeats} interleaved rounds, the order rotated; "
            "speedup = median over rounds of ST fp32 seconds / own seconds in the same round; "
            "cosine = mean cosine with ST fp32's vectors; item text as "
            "inhouse.recommend.text.item_texts builds it; each model's own max_seq_length "
            "(256 for all-MiniLM-L6-v2, 384 for all-mpnet-base-v2)"
        ),
        "encoder": fingerprint(ours).model_dump(),
        "primary_metric": "speedup",
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "torch_threads": torch.get_num_threads(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            "running_before": others_before,
            "running_after": what_else_ran(),
        },
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "systems": rows,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    for row in rows:
        print(row["text_set"], row["name"], row["metrics"])


if __name__ == "__main__":
    main()
