"""Batches cover every row once; length batches are length-sorted and visited in seeded order."""

import numpy as np
import torch

from inhouse.tune.batching import (
    batches_per_epoch,
    consecutive_batches,
    length_batches,
    shuffled_batches,
)


def test_length_batches_cover_every_row_once_with_similar_lengths() -> None:
    lengths = [5, 40, 6, 41, 7, 42, 8, 43]
    batches = length_batches(lengths, 4, np.random.default_rng(0))
    assert sorted(np.concatenate(batches).tolist()) == list(range(8))
    assert sorted(sorted(lengths[i] for i in b) for b in batches) == [
        [5, 6, 7, 8],
        [40, 41, 42, 43],
    ]


def test_length_batches_are_cut_from_the_length_sorted_order() -> None:
    rng = np.random.default_rng(1)
    lengths = rng.integers(1, 30, 101)
    batches = length_batches(lengths, 8, np.random.default_rng(3))
    assert sorted(np.concatenate(batches).tolist()) == list(range(101))
    assert sorted(len(b) for b in batches) == [5] + [8] * 12
    # batches do not overlap in length: one batch's longest is at most the next one's shortest
    spans = sorted((int(lengths[b].min()), int(lengths[b].max())) for b in batches)
    assert all(hi <= lo for (_, hi), (lo, _) in zip(spans, spans[1:], strict=False))


def test_length_batches_order_is_seeded() -> None:
    lengths = list(range(50))
    one = length_batches(lengths, 5, np.random.default_rng(7))
    two = length_batches(lengths, 5, np.random.default_rng(7))
    other = length_batches(lengths, 5, np.random.default_rng(8))
    assert [b.tolist() for b in one] == [b.tolist() for b in two]
    assert [b.tolist() for b in one] != [b.tolist() for b in other]


def test_length_batches_draw_shuffles_like_generator_shuffle() -> None:
    # sasrec visited `rng.shuffle(batches)`, the router `rng.permutation`: the same draws
    lengths = [3, 1, 2, 3, 1, 2, 5]
    rng = np.random.default_rng(5)
    order = np.lexsort((rng.random(len(lengths)), np.asarray(lengths)))
    expected = [order[i : i + 2] for i in range(0, len(order), 2)]
    rng.shuffle(expected)
    got = length_batches(lengths, 2, np.random.default_rng(5))
    assert [b.tolist() for b in got] == [b.tolist() for b in expected]


def test_consecutive_batches_drop_a_too_short_tail() -> None:
    assert [list(b) for b in consecutive_batches(7, 3)] == [[0, 1, 2], [3, 4, 5], [6]]
    assert [list(b) for b in consecutive_batches(7, 3, min_size=2)] == [[0, 1, 2], [3, 4, 5]]
    assert batches_per_epoch(7, 3) == 3 and batches_per_epoch(6, 3) == 2


def test_shuffled_batches_cover_every_row_once() -> None:
    torch.manual_seed(0)
    batches = shuffled_batches(10, 4)
    assert [len(b) for b in batches] == [4, 4, 2]
    assert sorted(torch.cat(batches).tolist()) == list(range(10))
