"""`Models.load`: every artifact once, sharing the loaded embedder, or a clear error."""

from __future__ import annotations

from pathlib import Path

import pytest

from inhouse.errors import InhouseError
from inhouse.models.embedder import DEFAULT_EMBEDDER
from inhouse.serve.config import load_config
from inhouse.serve.loaded import Models
from tests.serve.conftest import write_config


def test_artifacts_share_the_loaded_embedder(models: Models) -> None:
    embedder = models.embedders[DEFAULT_EMBEDDER]
    router = models.routers["bank-router"].router
    assert router is not None and router.embedder is embedder  # type: ignore[attr-defined]
    assert models.assistant is not None and models.assistant.router is router
    assert models.assistant_router == "bank-router"
    assert models.names("recommender") == ["shop"] and models.names("index") == ["bank-help"]


def test_a_missing_artifact_fails_at_start_naming_it(tmp_path: Path, artifacts: Path) -> None:
    path = write_config(tmp_path, artifacts)
    path.write_text(path.read_text().replace(str(artifacts / "rec"), str(tmp_path / "gone")))
    with pytest.raises(InhouseError, match="gone: no saved recommender here"):
        Models.load(load_config(path).model_copy(update={"embedders": []}))
