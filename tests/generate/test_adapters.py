"""Many LoRA adapters on one base (`BASE:ADAPTER`): two adapters trained on the tiny Qwen2,
each memorising its own resolutions of the same 8 ticket texts, served at once."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from inhouse.errors import ModelError
from inhouse.generate.adapters import AdapterSet
from inhouse.generate.base import Generator
from inhouse.generate.hf import TransformersGenerator
from inhouse.generate.registry import load_generator
from tests.tiny_lora import one_thread

# the session's trained base and adapters are built on one xdist worker (--dist loadgroup)
pytestmark = pytest.mark.xdist_group("trained-qwen")


def ask(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def base_of(folder: Path) -> TransformersGenerator:
    return TransformersGenerator("qwen", folder, device="cpu", max_tokens=16)


@pytest.fixture(scope="module")
def adapters(trained_qwen_folder: Path, two_adapters: dict) -> AdapterSet:
    folders = {name: folder for name, (folder, _) in two_adapters.items()}
    return AdapterSet(base_of(trained_qwen_folder), folders, max_resident=2)


def test_an_adapter_of_another_base_is_refused(
    tiny_qwen_folder: Path, trained_qwen_folder: Path, two_adapters: dict, tiny
) -> None:
    from inhouse.models.adapters import folder_sha256

    folder = two_adapters["support"][0]
    mine, other = folder_sha256(trained_qwen_folder)[1], folder_sha256(tiny_qwen_folder)[1]
    with pytest.raises(ModelError, match=r"inhouse-adapter\.json: this LoRA adapter was") as e:
        TransformersGenerator("tiny", tiny_qwen_folder, device="cpu", adapter=folder)
    assert mine[:12] in str(e.value) and other[:12] in str(e.value)
    with pytest.raises(ModelError, match="was trained on"):
        AdapterSet(tiny, {"support": folder})
    assert tiny.plain is None  # a refused set leaves the base as it was


def test_each_adapter_answers_with_its_own_text_under_concurrent_requests(
    adapters: AdapterSet, two_adapters: dict
) -> None:
    names = list(two_adapters)
    assert adapters.names() == ["qwen:support", "qwen:billing"]
    views = {name: adapters.generator(name) for name in names}
    assert all(isinstance(v, Generator) for v in views.values())
    texts = list(two_adapters[names[0]][1])
    jobs = [(names[i % 2], texts[(i // 2) % len(texts)], i % 3 == 0) for i in range(24)]
    got: dict[int, str] = {}

    def run(i: int) -> None:
        name, text, streamed = jobs[i]
        view = views[name]
        got[i] = "".join(view.stream(ask(text))) if streamed else view.chat(ask(text))

    with one_thread():
        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        plain = adapters.generator(None).chat(ask(texts[0]))
    expected = {i: two_adapters[name][1][text] for i, (name, text, _) in enumerate(jobs)}
    assert got == expected
    assert len({two_adapters[n][1][texts[0]] for n in names} | {plain}) == 3  # base differs
    assert (adapters.loads, adapters.evictions) == (2, 0)
    assert list(adapters.resident) and set(adapters.resident) <= set(names)


def test_a_stream_keeps_its_adapter_until_it_ends(adapters: AdapterSet, two_adapters: dict) -> None:
    text = "my card is late"
    support, billing = (adapters.generator(n) for n in ("support", "billing"))
    with one_thread():
        pieces = support.stream(ask(text))
        first = next(pieces)
        other: list[str] = []
        waiting = threading.Thread(target=lambda: other.append(billing.chat(ask(text))))
        waiting.start()
        time.sleep(0.3)
        assert waiting.is_alive() and not other  # billing waits for the stream's lock
        rest = "".join(pieces)
        waiting.join()
    assert first + rest == two_adapters["support"][1][text]
    assert other == [two_adapters["billing"][1][text]]


def test_one_resident_adapter_is_evicted_and_reloaded(
    adapters: AdapterSet, two_adapters: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapters, "max_resident", 1)
    text = "my refund is late"
    with one_thread():
        adapters.generator("support").chat(ask(text))  # from here on only support is loaded
        assert list(adapters.resident) == ["support"]
        loads, evictions = adapters.loads, adapters.evictions
        order = ["billing", "billing", "support", "billing"]
        replies = [adapters.generator(name).chat(ask(text)) for name in order]
    assert replies == [two_adapters[name][1][text] for name in order]
    assert (adapters.loads - loads, adapters.evictions - evictions) == (3, 3)
    assert list(adapters.resident) == ["billing"]
    assert list(adapters.base.model.peft_config) == ["billing"]  # the evicted are deleted


def test_unknown_adapters_and_bad_names_are_refused(adapters: AdapterSet) -> None:
    with pytest.raises(ModelError, match="no adapter 'legal'; it has qwen:support, qwen:billing"):
        adapters.generator("legal")
    with pytest.raises(ModelError, match="must be non-empty, no ':'"):
        AdapterSet(adapters.base, {"a:b": Path("x")})


def test_base_colon_adapter_loads_the_adapter_merged(
    trained_qwen_folder: Path, two_adapters: dict
) -> None:
    folder, memorised = two_adapters["billing"]
    merged = load_generator(f"{trained_qwen_folder}:{folder}", device="cpu", max_tokens=16)
    assert isinstance(merged, TransformersGenerator) and merged.adapter == folder
    text = "my voucher is late"
    with one_thread():
        assert merged.chat(ask(text)) == memorised[text]
