"""Public benchmark datasets: a catalogue of records and one loader per dataset.

>>> from inhouse.datasets import load
>>> data = load("banking77")          # IntentData, split as its record's protocol says
>>> data.test.height
3080
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, overload

from inhouse.datasets.catalogue import CATALOGUE, Dataset, DatasetFile, DatasetRecord
from inhouse.datasets.download import is_present, locate, resolve_dir
from inhouse.datasets.types import (
    IntentData,
    RecCase,
    RecommendData,
    ResponseData,
    RetrievalData,
    RetrievalQuery,
)

__all__ = [
    "CATALOGUE",
    "Dataset",
    "DatasetFile",
    "DatasetRecord",
    "IntentData",
    "RecCase",
    "RecommendData",
    "ResponseData",
    "RetrievalData",
    "RetrievalQuery",
    "is_present",
    "load",
    "locate",
    "resolve_dir",
    "split_sizes",
]


RecommendName = Literal["amazon-scientific", "goodbooks-sample", "online-retail"]
IntentName = Literal["banking77", "clinc150"]


@overload
def load(name: RecommendName, data_dir: Path | str | None = None) -> RecommendData: ...
@overload
def load(name: IntentName, data_dir: Path | str | None = None) -> IntentData: ...
@overload
def load(
    name: Literal["bank-help-center"], data_dir: Path | str | None = None
) -> RetrievalData: ...
@overload
def load(name: Literal["bitext-support"], data_dir: Path | str | None = None) -> ResponseData: ...
@overload
def load(name: str, data_dir: Path | str | None = None) -> Dataset: ...


def load(name: str, data_dir: Path | str | None = None) -> Dataset:
    """Load dataset `name` from `data_dir`, `INHOUSE_DATA_DIR` or the download cache."""
    record = CATALOGUE[name]
    folder = resolve_dir(name, data_dir)
    return record.loader_function()(folder, record.name, record.protocol)


def split_sizes(data: Dataset) -> dict[str, int]:
    """Rows per part of a loaded dataset, e.g. {"train": 9002, "valid": 1001, "test": 3080}."""
    if isinstance(data, RecommendData):
        return {
            "items": data.catalog.height,
            "train_events": data.train_events.height,
            "valid_events": data.valid_events.height,
            "valid_cases": len(data.valid),
            "test_cases": len(data.test),
        }
    if isinstance(data, IntentData):
        return {
            "intents": len(data.intents),
            "train": data.train.height,
            "valid": data.valid.height,
            "test": data.test.height,
        }
    if isinstance(data, RetrievalData):
        return {"articles": data.articles.height, "dev": len(data.dev), "test": len(data.test)}
    return {"train": data.train.height, "test": data.test.height, "intents": len(data.categories)}
