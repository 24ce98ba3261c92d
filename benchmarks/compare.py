"""Compare two bench result files system by system: every test metric's change, and the worst.

    python benchmarks/compare.py committed.json rerun.json --tolerance 0.002

Exits 1 when any metric measured in both files moved by more than `--tolerance`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inhouse.eval.results import read_results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    parser.add_argument("--tolerance", type=float, default=0.002)
    args = parser.parse_args()
    before = {(r.dataset, s.name): s for r in read_results(args.before) for s in r.systems}
    after = {(r.dataset, s.name): s for r in read_results(args.after) for s in r.systems}
    worst = 0.0
    for key in [k for k in before if k in after]:
        old, new = before[key].metrics, after[key].metrics
        diffs = {
            m: new[m] - old[m]  # type: ignore[operator]
            for m in old
            if old.get(m) is not None and new.get(m) is not None
        }
        biggest = max((abs(d) for d in diffs.values()), default=0.0)
        worst = max(worst, biggest)
        shown = ", ".join(f"{m} {d:+.4f}" for m, d in diffs.items())
        print(f"{key[0]} {key[1]:18s} max |change| {biggest:.4f}  ({shown})")
    missing = sorted(set(before) ^ set(after))
    if missing:
        print(f"in one file only: {missing}")
    print(f"worst change {worst:.4f} (tolerance {args.tolerance})")
    sys.exit(1 if worst > args.tolerance else 0)


if __name__ == "__main__":
    main()
