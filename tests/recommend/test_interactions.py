"""`prepare`: the clean events do not depend on the order of rows in the file."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

from inhouse.recommend.blend import holdout_last
from inhouse.recommend.interactions import prepare

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _events() -> pl.DataFrame:
    rows = [
        (f"u{u}", f"i{(u + k) % 7}", T0 + timedelta(hours=min(k, 2)))
        for u in range(6)
        for k in range(4)
    ]
    return pl.DataFrame(rows, schema=["user_id", "item_id", "timestamp"], orient="row")


def test_prepare_gives_the_same_data_for_any_row_order() -> None:
    catalog = pl.DataFrame({"item_id": [f"i{k}" for k in range(7)], "title": list("abcdefg")})
    first = prepare(_events(), catalog)
    assert first.report["users_with_equal_timestamps"] == 6
    for seed in range(3):
        again = prepare(_events().sample(fraction=1.0, shuffle=True, seed=seed), catalog)
        assert again.sha256 == first.sha256
        assert [s.tolist() for s in again.sequences()] == [s.tolist() for s in first.sequences()]


def test_holdout_last_holds_out_the_same_event_for_any_row_order() -> None:
    held = holdout_last(_events())[1].sort("user_id")
    for seed in range(3):
        again = holdout_last(_events().sample(fraction=1.0, shuffle=True, seed=seed))[1]
        assert again.sort("user_id").equals(held)
    # u0's last two events tie at hour 2: the larger item id is the held-out one
    assert held.row(0)[:2] == ("u0", "i3")
