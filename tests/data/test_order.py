"""The one order of events: ties at a timestamp go by `sequence`, then item id, never file order."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from inhouse.data.order import sort_events, tied_users

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = datetime(2026, 1, 2, tzinfo=UTC)


def test_ties_go_by_item_id_whatever_the_row_order() -> None:
    ev = pl.DataFrame(
        {"user_id": ["u", "u", "u"], "item_id": ["b", "c", "a"], "timestamp": [T1, T0, T1]}
    )
    for seed in range(5):
        shuffled = ev.sample(fraction=1.0, shuffle=True, seed=seed)
        assert sort_events(shuffled)["item_id"].to_list() == ["c", "a", "b"]


def test_a_sequence_column_is_the_stated_order_and_comes_first() -> None:
    ev = pl.DataFrame(
        {
            "user_id": ["u"] * 3,
            "item_id": ["a", "b", "c"],
            "timestamp": [T0] * 3,
            "sequence": [2.0, 1.0, None],
        }
    )
    assert sort_events(ev.reverse())["item_id"].to_list() == ["b", "a", "c"]


def test_tied_users_counts_users_with_two_items_at_one_time() -> None:
    ev = pl.DataFrame(
        {
            "user_id": ["u1", "u1", "u2", "u2", "u3", "u3"],
            "item_id": ["a", "b", "a", "a", "a", "b"],
            "timestamp": [T0, T0, T0, T0, T0, T1],
        }
    )
    assert tied_users(ev) == 1  # u2 repeats one item; u3's times differ
    assert tied_users(ev.head(0)) == 0
