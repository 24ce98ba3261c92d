"""A synthetic known-answer dataset: two disjoint groups of users and items ("checkerboard").

Group A users only touch group A items and group B users only group B items, so a personalised
recommender must give a group-A history group-A items. Group A is larger (more popular). Item
texts share words within a group, so text systems see the same split.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import polars as pl

A = [f"a{i}" for i in range(6)]
B = [f"b{i}" for i in range(6)]
A_TEXT = [
    "red apple fruit from the orchard",
    "green apple fruit, crisp orchard harvest",
    "apple pie baked with orchard fruit",
    "fresh pear fruit from the orchard",
    "orchard cherry fruit, sweet and red",
    "dried apple fruit slices from the orchard",
]
B_TEXT = [
    "deep sea fishing rod for the ocean",
    "ocean sailing boat with a blue sail",
    "sea kayak paddle for ocean waves",
    "scuba diving mask for the deep sea",
    "surfboard for big ocean waves at sea",
    "sea fishing net for ocean boats",
]
ORIGIN = datetime(2024, 1, 1, tzinfo=UTC)


def catalog() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "item_id": A + B,
            "title": A_TEXT + B_TEXT,
            "description": [None] * 12,
            "tags": [["orchard"]] * 6 + [["ocean"]] * 6,
            "category": ["fruit"] * 6 + ["sea"] * 6,
            "url": [None] * 12,
        },
        schema_overrides={"description": pl.String, "url": pl.String},
    )


def events() -> pl.DataFrame:
    """12 group-A users and 8 group-B users, each with 4 items of their group in sequence."""
    rows = []
    for group, n_users, items in (("A", 12, A), ("B", 8, B)):
        for u in range(n_users):
            for step in range(4):
                item = items[(u + step) % len(items)]
                rows.append((f"{group}{u}", item, ORIGIN + timedelta(hours=u * 10 + step)))
    return pl.DataFrame(rows, schema=["user_id", "item_id", "timestamp"], orient="row")
