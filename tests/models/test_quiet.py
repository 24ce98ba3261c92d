"""Third-party chatter is switched off for one call, and only that chatter."""

from __future__ import annotations

import logging

import pytest

from inhouse.models.quiet import dropping_log, quiet_transformers


def test_transformers_bars_are_off_inside_and_restored_after() -> None:
    from transformers.utils import logging as hf_logging

    hf_logging.enable_progress_bar()
    with quiet_transformers():
        assert not hf_logging.is_progress_bar_enabled()
    assert hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    with quiet_transformers():
        pass
    assert not hf_logging.is_progress_bar_enabled()  # left off by whoever turned it off
    hf_logging.enable_progress_bar()


def test_dropping_log_drops_only_the_named_notice(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO), dropping_log("", "pre-processing"):
        logging.warning("Please consider pre-processing before quantization")
        logging.warning("a real problem")
    assert [r.getMessage() for r in caplog.records] == ["a real problem"]
    logging.warning("Please consider pre-processing again")  # the filter is gone after
    assert len(caplog.records) == 2


def test_loading_an_embedder_draws_no_weight_bar(capfd: pytest.CaptureFixture[str]) -> None:
    from transformers.utils import logging as hf_logging

    from inhouse.models.load import load_embedder

    hf_logging.enable_progress_bar()
    load_embedder()
    assert "Loading weights" not in capfd.readouterr().err
