"""The valid-only check of the `distilled` router's settings on Banking77 (or CLINC150).

    python benchmarks/distill_grid.py --dataset banking77 \
        --out benchmarks/results/distill-grid-banking77.json

Fits `distilled` on train for each grid point (distill_weight 0 is the `finetuned` router
itself: the same tuning without a teacher) and scores accuracy on valid, without a threshold.
Test is not read. The teacher's cross-fitted probabilities and both encoders' features are
computed once and shared by every point (`MemoEmbedder`, `view_features`). Also reports the
teacher head's own valid accuracy and how many valid messages every fitted router and the
teacher all miss. Reads INHOUSE_DATA_DIR.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np

from inhouse.datasets import load
from inhouse.files import atomic_write_text
from inhouse.models.embedder import MemoEmbedder
from inhouse.models.features import view_features
from inhouse.models.load import load_embedder, load_named_embedder
from inhouse.support.route.distilled import DEFAULT_TEACHER, DistilledRouter
from inhouse.support.route.logistic import LinearHead

GRID = (  # (epochs, distill_weight, distill_temperature)
    (1.0, 0.0, 2.0),
    (1.0, 0.5, 2.0),
    (1.0, 0.8, 1.0),
    (3.0, 0.0, 2.0),
    (3.0, 0.5, 2.0),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=["banking77", "clinc150"], default="banking77")
    parser.add_argument("--teacher", default=DEFAULT_TEACHER)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    data = load(args.dataset)
    texts = [str(t) for t in data.train["text"].to_list()]
    intents = [str(i) for i in data.train["intent"].to_list()]
    valid = [str(t) for t in data.valid["text"].to_list()]
    gold = np.asarray([str(i) for i in data.valid["intent"].to_list()], dtype=object)
    student, teacher = load_embedder(), MemoEmbedder(load_named_embedder(args.teacher))
    head = LinearHead().fit(view_features(teacher, texts, (-1,)), intents)
    teacher_right = (
        np.asarray(head.classes)[head.proba(view_features(teacher, valid, (-1,))).argmax(1)] == gold
    )
    rows, missed = [], ~teacher_right
    for epochs, weight, temperature in GRID:
        start = time.perf_counter()
        router = DistilledRouter(
            student,
            teacher=args.teacher,
            teacher_embedder=teacher,
            distill_weight=weight,
            distill_temperature=temperature,
            epochs=epochs,
            progress=False,
        ).fit(texts, intents)
        best, _ = router.raw(valid)
        right = np.asarray(best, dtype=object) == gold
        missed &= ~right
        rows.append(
            {
                "epochs": epochs,
                "distill_weight": weight,
                "distill_temperature": temperature,
                "valid_accuracy": float(right.mean()),
                "fit_seconds": round(time.perf_counter() - start, 1),
                "teacher_train_accuracy": router.training["teacher_train_accuracy"],
            }
        )
        print(json.dumps(rows[-1]), flush=True)
    result = {
        "dataset": args.dataset,
        "teacher": args.teacher,
        "protocol": "fit on train, accuracy on valid without a threshold; test not read",
        "teacher_valid_accuracy": float(teacher_right.mean()),
        "valid_missed_by_all": int(missed.sum()),
        "valid_messages": len(valid),
        "grid": rows,
    }
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
