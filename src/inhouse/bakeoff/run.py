"""Entry points behind `inhouse bench`, `inhouse bakeoff` and `inhouse demo`.

Each loads the data (a named dataset or the company's files), runs the bake-off and writes
the bench JSON (and, for a bake-off, the HTML report) atomically.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal, get_args

from inhouse.bakeoff.report import write_report
from inhouse.bakeoff.workloads import Bakeoff, bakeoff, dataset_fingerprint, files_fingerprint
from inhouse.errors import ConfigError, DatasetError
from inhouse.eval.results import BenchResult, write_results
from inhouse.models.embedder import Embedder

Workload = Literal["support", "recommend"]
WORKLOADS: tuple[str, ...] = get_args(Workload)
DEMO = (("support", "banking77"), ("recommend", "goodbooks-sample"))


def datasets(workload: str) -> list[str]:
    """The catalogue's datasets of `workload`, in catalogue order."""
    from inhouse.datasets import CATALOGUE

    return [r.name for r in CATALOGUE if r.workload == workload]


def demo_systems(dataset: str) -> list[str] | None:
    """Fast systems for the demo, so it fits in 20 minutes on 2 cores: the fine-tuned router
    and the trained sequential recommenders are left to `inhouse bench` and `benchmarks/`.
    The recommend demo runs the blend too (of fast systems, `demo_params`): the kind of system
    that wins on validation in the full bench."""
    from inhouse.recommend import als, blend, cooc, ease, popularity, text
    from inhouse.support.route import logistic, zeroshot

    fast: dict[str, list[Any]] = {
        "banking77": [zeroshot.ZeroShotRouter, logistic.LogisticRouter],
        "goodbooks-sample": [
            popularity.Popularity,
            cooc.Cooc,
            text.TextRecommender,
            als.ALS,
            ease.Ease,
            blend.Blend,
        ],
    }
    return [c.name for c in fast[dataset]] if dataset in fast else None


def demo_params() -> dict[str, dict[str, Any]]:
    """The demo's blend: the default blend without two-tower, which trains for minutes; its
    components that the demo also runs alone take the parameters those chose on validation."""
    from inhouse.recommend.blend import Blend
    from inhouse.recommend.registry import DEFAULT_BLEND
    from inhouse.recommend.two_tower import TwoTower

    alone = set(demo_systems("goodbooks-sample") or [])
    fast = [
        {"name": s["name"]} if s["name"] in alone else s
        for s in DEFAULT_BLEND
        if s["name"] != TwoTower.name
    ]
    return {Blend.name: {"systems": fast}}


# the company files each workload reads, by flag name
WORKLOAD_FILES: dict[str, tuple[str, ...]] = {
    "support": ("tickets", "articles", "test_tickets"),
    "recommend": ("catalog", "events", "test_events"),
}


def flag(name: str) -> str:
    """`test_events` -> `--test-events`."""
    return "--" + name.replace("_", "-")


def system_names(workload: str) -> dict[str, list[str]]:
    """Each part of `workload` (routing, retrieval, ...) -> the system names it runs."""
    if workload == "recommend":
        from inhouse.recommend.registry import SYSTEMS

        return {"recommend": list(SYSTEMS)}
    from inhouse.support.answer.registry import SYSTEMS as RESPONSES
    from inhouse.support.retrieve.registry import SYSTEMS as RETRIEVERS
    from inhouse.support.route.registry import SYSTEMS as ROUTERS

    return {"routing": list(ROUTERS), "retrieval": list(RETRIEVERS), "responses": list(RESPONSES)}


def foreign_flags(workload: str, flags: list[str]) -> ConfigError:
    """The error for file flags (`--catalog`) that belong to the other workload."""
    other = next(w for w in WORKLOADS if w != workload)
    own = ", ".join(flag(k) for k in WORKLOAD_FILES[workload])
    return ConfigError(
        f"{', '.join(flags)}: {'not flags' if len(flags) > 1 else 'not a flag'} of the "
        f"{workload} bake-off, which reads {own}; drop it, or run `inhouse bakeoff {other}`"
    )


def check_request(workload: str, run: Bakeoff, files: dict[str, Path | None] | None = None) -> None:
    """Refuse, before any data is read, an unknown workload, a file flag of the other workload
    and an unknown `--systems` name."""
    if workload not in WORKLOADS:
        raise ConfigError(f"unknown workload {workload}; use {' or '.join(WORKLOADS)}")
    own = WORKLOAD_FILES[workload]
    foreign = [flag(k) for k, v in (files or {}).items() if v is not None and k not in own]
    if foreign:
        raise foreign_flags(workload, foreign)
    given = files or {}
    for test, train in (("test_events", "events"), ("test_tickets", "tickets")):
        if given.get(test) is not None and given.get(train) is None:
            raise ConfigError(
                f"{flag(test)} is a test split of your own {flag(train)} file; give "
                f"{flag(train)} too (the training file, from which validation is also taken)"
            )
    known = [n for names in system_names(workload).values() for n in names]
    unknown = [s for s in run.systems or [] if s not in known]
    if unknown:
        raise ConfigError(
            f"--systems: unknown {workload} system(s) {', '.join(unknown)}; choose from "
            f"{', '.join(known)}"
        )


def _check_workload(workload: str, dataset: str) -> None:
    if workload not in WORKLOADS:
        raise ConfigError(f"unknown workload {workload}; use {' or '.join(WORKLOADS)}")
    if dataset not in datasets(workload):
        raise ConfigError(
            f"--dataset {dataset!r} is not a {workload} dataset; use one of: "
            f"{', '.join(datasets(workload))}"
        )


def part(run: Bakeoff, workload: str, name: str) -> Bakeoff:
    """`run` for one part of a workload: the `--systems` of that part, or all of its own when
    `--systems` names none of them."""
    if run.systems is None:
        return run
    mine = [s for s in run.systems if s in system_names(workload)[name]]
    return replace(run, systems=mine or None)


def bench_dataset(
    workload: str, dataset: str, run: Bakeoff, data_dir: Path | None = None
) -> BenchResult:
    """Bake off every system on a named public dataset (loaded from the data directory)."""
    from inhouse.datasets import load

    _check_workload(workload, dataset)
    check_request(workload, run)
    run.step(f"loading {dataset}")
    data = load(dataset, data_dir)
    run.fingerprints.setdefault(f"dataset {dataset}", dataset_fingerprint(dataset, data_dir))
    return bakeoff(data, run)


def bench_company(
    workload: str,
    run: Bakeoff,
    catalog: Path | None = None,
    events: Path | None = None,
    tickets: Path | None = None,
    articles: Path | None = None,
    embedder: Embedder | None = None,
    test_events: Path | None = None,
    test_tickets: Path | None = None,
) -> list[BenchResult]:
    """Bake off on the company's own files (validated before any work starts): recommend on
    a catalog and events; support routing on tickets, and with `articles` also article search,
    scored on the tickets that name the article that answered them. `test_events` /
    `test_tickets` are the company's own test split, used instead of the seeded one. The
    request was checked by `run_bakeoff`, its only caller."""
    from inhouse.bakeoff.company import load_events, load_support

    if workload == "recommend":
        if catalog is None or events is None:
            raise ConfigError("recommend on company data needs both --catalog and --events")
        data = load_events(catalog, events, test_events)
        given = [Path(p) for p in (catalog, events, test_events) if p is not None]
        run.fingerprints["company data"] = files_fingerprint({p.name: p for p in given})
        return [bakeoff(data, run)]
    if tickets is None:
        raise ConfigError(
            "support on company data needs --tickets (with an intent column; see docs/data.md)"
        )
    intents, queries = load_support(tickets, articles, test_tickets)
    given = [Path(p) for p in (tickets, articles, test_tickets) if p is not None]
    run.fingerprints["company data"] = files_fingerprint({p.name: p for p in given})
    if embedder is None:
        from inhouse.models.load import load_embedder

        embedder = load_embedder()  # loaded once, shared by routing and retrieval
    results = [bakeoff(intents, part(run, workload, "routing"), embedder)]
    if queries is not None:
        results.append(bakeoff(queries, part(run, workload, "retrieval"), embedder))
    return results


def write_bakeoff(results: list[BenchResult], run: Bakeoff, out_dir: Path) -> Path:
    """`bakeoff.json` and `report.html` into `out_dir`; returns the report's path."""
    out_dir = Path(out_dir)
    write_results(results, out_dir / "bakeoff.json")
    report = out_dir / "report.html"
    write_report(results, run.prices, report)
    return report


def run_bakeoff(
    workload: str,
    out_dir: Path,
    run: Bakeoff,
    dataset: str | None = None,
    data_dir: Path | None = None,
    catalog: Path | None = None,
    events: Path | None = None,
    tickets: Path | None = None,
    articles: Path | None = None,
    embedder: Embedder | None = None,
    test_events: Path | None = None,
    test_tickets: Path | None = None,
) -> tuple[list[BenchResult], Path]:
    """`inhouse bakeoff`: a named dataset or company files, one report."""
    files = dict(catalog=catalog, events=events, tickets=tickets, articles=articles)
    files |= dict(test_events=test_events, test_tickets=test_tickets)
    check_request(workload, run, files)
    company = any(p is not None for p in files.values())
    if dataset is not None and company:
        raise ConfigError(
            "Can't use --dataset with --catalog/--events/--tickets/--articles. Choose one: a "
            "public dataset or your own files."
        )
    if dataset is None and not company:
        raise ConfigError(
            f"say what to bake off on: --dataset NAME ({', '.join(datasets(workload))}) "
            "or your files (--catalog and --events for recommend, --tickets [--articles] for "
            "support; see docs/data.md)"
        )
    if dataset is not None:
        results = [bench_dataset(workload, dataset, run, data_dir)]
    else:
        results = bench_company(
            workload, run, catalog, events, tickets, articles, embedder, test_events, test_tickets
        )
    return results, write_bakeoff(results, run, out_dir)


def check_demo_data(data_dir: Path | None = None) -> None:
    """Fail fast, before any work, when the demo's datasets can be neither found nor fetched."""
    from inhouse.datasets import resolve_dir

    for _, name in DEMO:
        try:
            resolve_dir(name, data_dir)
        except (DatasetError, OSError) as e:
            raise DatasetError(
                f"the demo needs the public datasets {' and '.join(n for _, n in DEMO)}, and "
                f"{name} is not available: {e}\nTo fix: point INHOUSE_DATA_DIR (or --data-dir) "
                "at a folder holding banking77/ and goodbooks-sample/ (in this repository: "
                "INHOUSE_DATA_DIR=../shared/datasets make demo), or on a machine with internet "
                f"access run `inhouse datasets download {name}` and retry."
            ) from None


def run_demo(out_dir: Path, run: Bakeoff, data_dir: Path | None = None) -> list[BenchResult]:
    """The main job: a support bake-off on Banking77 and a recommend one on goodbooks-sample."""
    check_demo_data(data_dir)
    results = []
    for i, (workload, name) in enumerate(DEMO, 1):
        start = time.perf_counter()
        run.step(f"[bold]bake-off {i}/{len(DEMO)}: {workload} on {name}[/]")
        step = Bakeoff(
            prices=run.prices,
            basis=run.basis,
            systems=demo_systems(name),
            params=demo_params(),
            api_models=run.api_models,
            console=run.console,
        )
        results.append(bench_dataset(workload, name, step, data_dir))
        report = write_bakeoff(results, run, out_dir)  # a usable report after each workload
        run.step(f"{workload} on {name} done in {time.perf_counter() - start:.0f} s: {report}")
    return results
