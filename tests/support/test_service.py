"""`SupportService`: a router, an index and a suggester loaded once, for many messages."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from inhouse.errors import ConfigError, InhouseError
from inhouse.support.answer.suggest import Suggester
from inhouse.support.retrieve import registry as retrieve_registry
from inhouse.support.retrieve.registry import make_retriever
from inhouse.support.route import registry as route_registry
from inhouse.support.route.registry import make_router
from inhouse.support.service import MAX_MESSAGE_CHARS, SupportService, check_message
from tests.support.answer.test_suggest import tickets
from tests.support.retrieve.test_retrieve import articles_frame, shared_embedder
from tests.support.route.test_router import TRAIN


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("support-service")
    texts = [t for ts in TRAIN.values() for t in ts]
    intents = [i for i, ts in TRAIN.items() for _ in ts]
    make_router("logistic", shared_embedder()).fit(texts, intents).save(tmp / "router")
    retriever = make_retriever("hybrid", shared_embedder())
    retriever.index(articles_frame())
    retriever.save(tmp / "index")
    return tmp / "router", tmp / "index"


@pytest.fixture(scope="module")
def service(folders: tuple[Path, Path]) -> SupportService:
    return SupportService(router_dir=folders[0], index_dir=folders[1])


def test_loads_once_and_answers_many_messages(folders, monkeypatch) -> None:
    loads: list[Path] = []
    load_router, load_retriever = route_registry.load_router, retrieve_registry.load_retriever

    def counted(load):  # type: ignore[no-untyped-def]
        return lambda path, *a: loads.append(path) or load(path, *a)

    monkeypatch.setattr(route_registry, "load_router", counted(load_router))
    monkeypatch.setattr(retrieve_registry, "load_retriever", counted(load_retriever))
    service = SupportService(router_dir=folders[0], index_dir=folders[1])
    for text in ["my card never arrived", "I forgot my password", "my card was stolen"]:
        service.route(text)
        service.ask(text)
    assert loads == [folders[0], folders[1]]


def test_route_answers_with_intent_and_notes_truncation(service: SupportService) -> None:
    short = service.route("my card never arrived")
    assert short.intent == "card_arrival" and not short.out_of_scope
    assert short.truncated_from is None and 0 <= short.confidence <= 1
    long = service.route("reset my password " * 300)
    assert long.intent == "reset_password" and long.truncated_from == 5400
    assert service.route(b"my card never arrived") == short  # UTF-8 bytes are text


def test_ask_cites_the_article_and_routes_the_intent(service: SupportService) -> None:
    ans = service.ask("My debit card was stolen, what should I do?")
    assert not ans.escalate and ans.citations[0].article_id == "card-lost"
    assert ans.intent is not None  # the router is part of the answer


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("   ", "empty"),
        (b"\xff\xfe", "not UTF-8"),
        ("a\x00b", "NUL"),
        (42, "not text"),
        ("x" * (MAX_MESSAGE_CHARS + 1), "more than the limit"),
    ],
)
def test_bad_messages_are_user_errors(service: SupportService, message, expected) -> None:
    for call in (service.route, service.ask, check_message):
        with pytest.raises(InhouseError, match=expected):
            call(message)


def test_a_message_at_the_limit_is_accepted() -> None:
    assert len(check_message("x" * MAX_MESSAGE_CHARS)) == MAX_MESSAGE_CHARS


def test_missing_parts_are_config_errors(folders) -> None:
    only_router = SupportService(router_dir=folders[0])
    with pytest.raises(ConfigError, match="help-center index"):
        only_router.ask("my card was stolen")
    with pytest.raises(ConfigError, match="suggester"):
        only_router.suggest("my card was stolen")
    with pytest.raises(ConfigError, match="router"):
        SupportService(index_dir=folders[1]).route("my card was stolen")
    with pytest.raises(ConfigError, match="a router folder, an index folder"):
        SupportService()


def test_suggest_offers_the_closest_resolution() -> None:
    suggester = Suggester(shared_embedder())
    suggester.fit(tickets())
    service = SupportService.of(suggester=suggester)
    (best, *_) = service.suggest("I need to cancel the order I placed", k=2)
    assert best.intent == "cancel_order" and "cancel order" in best.response


def test_threads_get_the_answers_one_thread_gets(service: SupportService) -> None:
    messages = ["my card never arrived", "I forgot my password", "my debit card was stolen"]
    serial = [(service.route(m), service.ask(m)) for m in messages]
    with ThreadPoolExecutor(max_workers=6) as pool:
        threaded = list(pool.map(lambda m: (service.route(m), service.ask(m)), messages * 4))
    assert threaded == serial * 4
