"""Download a model from the Hugging Face Hub and register it; fails cleanly where offline.

>>> entry = pull_model("Qwen/Qwen3-0.6B")       # into <cache_dir>/models/Qwen--Qwen3-0.6B
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from inhouse.errors import ModelError
from inhouse.models.catalogue import load_catalogue
from inhouse.models.registry import RegistryEntry, add_model

TIMEOUT_S = 10  # seconds for the Hub's metadata and download requests


def pull_model(
    hf_id: str, name: str | None = None, *, endpoint: str | None = None
) -> RegistryEntry:
    """`huggingface_hub.snapshot_download` of `hf_id`, then register the folder.

    Unreachable Hub (offline machine, connection refused, timeout, HF_HUB_OFFLINE=1): a
    ModelError naming the id and the `inhouse models add PATH` alternative.
    """
    if not re.match(r"^[\w.-]+/[\w.-]+$", hf_id):
        raise ModelError(
            f"{hf_id!r} is not a Hugging Face model id: use OWNER/NAME, e.g. Qwen/Qwen3-0.6B."
        )
    # read when huggingface_hub is first imported; keep a dead network from hanging the pull
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", str(TIMEOUT_S))
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", str(TIMEOUT_S))
    import httpx
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import (
        GatedRepoError,
        LocalEntryNotFoundError,
        OfflineModeIsEnabled,
        RepositoryNotFoundError,
        RevisionNotFoundError,
    )

    known = load_catalogue().get(hf_id)
    name = name or (known.name if known else hf_id.split("/")[1])
    target = models_dir() / hf_id.replace("/", "--")
    existed = target.exists()
    hub = (endpoint or constants.ENDPOINT).rstrip("/")
    try:
        folder = snapshot_download(
            hf_id, local_dir=target, etag_timeout=TIMEOUT_S, endpoint=endpoint
        )
    except (GatedRepoError, RepositoryNotFoundError, RevisionNotFoundError) as e:
        _cleanup(target, existed)
        raise ModelError(
            f"{hf_id}: {type(e).__name__} from {hub}. Check the id (see `inhouse models list "
            "--catalogue`), and for a gated model log in with `hf auth login`."
        ) from None
    except (LocalEntryNotFoundError, OfflineModeIsEnabled, httpx.HTTPError, OSError) as e:
        _cleanup(target, existed)
        why = "HF_HUB_OFFLINE is set" if constants.HF_HUB_OFFLINE else _reason(e)
        raise ModelError(
            f"cannot pull {hf_id}: the Hugging Face Hub at {hub} is not reachable from this "
            f"machine ({why}). Download the model where a network exists (e.g. `hf download "
            f"{hf_id} --local-dir {name}`), copy the folder here, then register it with "
            f"`inhouse models add PATH --name {name}`."
        ) from None
    return add_model(Path(folder), name=name, source="pulled", hf_id=hf_id)


def models_dir() -> Path:
    """Where pulled and installed models live: `<cache_dir>/models`, shared by every project
    on this machine (each project's registry points into it)."""
    from inhouse.settings import get_settings

    return Path(get_settings().cache_dir).expanduser() / "models"


def _reason(e: BaseException) -> str:
    """The root cause of a failed download, in one short line."""
    root: BaseException = e
    for _ in range(10):  # the chain is short; the bound guards against a cycle
        nxt = root.__cause__ or root.__context__
        if nxt is None:
            break
        root = nxt
    text = str(root).splitlines()[0] if str(root) else ""
    return f"{type(root).__name__}: {text}"[:200] if text else type(root).__name__


def _cleanup(target: Path, existed: bool) -> None:
    """Leave nothing half-downloaded behind when the pull made the folder itself."""
    if not existed and target.exists():
        shutil.rmtree(target, ignore_errors=True)
