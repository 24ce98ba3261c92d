"""`RecommendService`: one loaded model answering many requests, from several threads too."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from inhouse.errors import ConfigError, InhouseError
from inhouse.recommend import registry
from inhouse.recommend.registry import make
from inhouse.recommend.service import RecommendService, check_params

from . import checkerboard as cb


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = make("cooc")
    model.fit(cb.events(), cb.catalog())
    folder = tmp_path_factory.mktemp("service") / "rec"
    model.save(folder)
    return folder


def test_loads_once_and_answers_many_requests(model_dir: Path, monkeypatch) -> None:
    calls = []
    load = registry.load_recommender
    monkeypatch.setattr(registry, "load_recommender", lambda p: calls.append(p) or load(p))
    service = RecommendService(model_dir)
    for user in ["A0", "A1", "B0", "B1"]:
        service.for_user(user, k=3)
    assert calls == [model_dir]


def test_for_user_gives_items_of_the_users_group_with_reasons(model_dir: Path) -> None:
    response = RecommendService(model_dir).for_user("A0", k=2)
    assert response.system == "cooc" and response.user_id == "A0" and not response.fallback
    assert [s.item_id[0] for s in response.items] == ["a", "a"]
    assert all(s.title in cb.A_TEXT for s in response.items)
    history = set(response.history)
    assert not history & {s.item_id for s in response.items}  # seen items are not repeated
    for s in response.items:
        assert s.because and all(h in history and c > 0 for h, c in s.because)


def test_unknown_user_and_unknown_items_are_noted(model_dir: Path) -> None:
    service = RecommendService(model_dir)
    nobody = service.for_user("nobody", k=3)
    assert nobody.fallback and "'nobody' has no history" in nobody.notes[0]
    assert [s.item_id[0] for s in nobody.items] == ["a"] * 3  # group A is the more popular
    session = service.for_items(["b0", "zzz"], k=2)
    assert any("zzz" in note for note in session.notes)
    assert [s.item_id[0] for s in session.items] == ["b", "b"]
    assert service.title("b0") == cb.B_TEXT[0] and service.title("zzz") == ""


def test_threads_get_the_answers_one_thread_gets(model_dir: Path) -> None:
    service = RecommendService(model_dir)
    users = [f"A{i}" for i in range(12)] + [f"B{i}" for i in range(8)]
    serial = [service.for_user(u, k=4) for u in users]
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(lambda u: service.for_user(u, k=4), users * 5))
    assert threaded == serial * 5


def test_a_missing_model_folder_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(InhouseError, match="no saved recommender"):
        RecommendService(tmp_path / "nothing")


def test_check_params_names_the_bad_one() -> None:
    check_params("als", {"factors": 8, "alpha": 2, "regularization": 0.1})
    with pytest.raises(ConfigError, match="--param bogus: cooc has no such parameter"):
        check_params("cooc", {"bogus": 1})
    with pytest.raises(ConfigError, match="expects a whole number"):
        check_params("als", {"factors": 8.5})
    with pytest.raises(ConfigError, match="expects a whole number"):
        check_params("als", {"factors": True})
    with pytest.raises(ConfigError, match="expects text"):
        check_params("offshelf-text", {"mode": 3})
