"""Print the README's results tables from the bench JSON files in benchmarks/results/.

python benchmarks/table.py benchmarks/results/*.json
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from inhouse.errors import InhouseError
from inhouse.eval.results import BenchResult, read_results


def _cell(value: float | None) -> str:
    return "–" if value is None else f"{value:.4f}"


def table(result: BenchResult) -> str:
    """One markdown table: measured rows only (api-estimate rows carry no measured accuracy)."""
    rows = [s for s in result.systems if s.kind != "api-estimate"]
    names = list(dict.fromkeys(m for s in rows for m, v in s.metrics.items() if v is not None))
    lines = [
        f"**{result.dataset}** ({result.protocol})",
        "",
        "| system | kind | " + " | ".join(names) + " | fit s | p95 ms |",
        "|---|---|" + "---|" * len(names) + "---|---|",
    ]
    for s in rows:
        fit = "–" if s.fit_seconds is None else f"{s.fit_seconds:.0f}"
        p95 = "–" if s.latency_ms is None else f"{s.latency_ms.p95:.1f}"
        metrics = " | ".join(_cell(s.metrics.get(m)) for m in names)
        lines.append(f"| {s.name} | {s.kind} | {metrics} | {fit} | {p95} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    for path in parser.parse_args().files:
        try:
            results = read_results(path)
        except InhouseError as e:  # a figures file of another shape (paired runs, fuzz counts)
            print(
                f"skipped {path}: not a bench result ({str(e).splitlines()[0][:80]})",
                file=sys.stderr,
            )
            continue
        for result in results:
            print(table(result), end="\n\n")


if __name__ == "__main__":
    main()
