"""Model weights in-house: the catalogue, the local registry, and embedders."""

from inhouse.models.catalogue import Catalogue, CatalogueEntry, load_catalogue
from inhouse.models.embedder import (
    DEFAULT_EMBEDDER,
    Embedder,
    Fingerprint,
    SentenceTransformerEmbedder,
    default_embedder_path,
)
from inhouse.models.load import load_embedder, load_embedder_by_name
from inhouse.models.registry import (
    RegistryEntry,
    add_model,
    get_model,
    read_registry,
    remove_model,
    verify_model,
)

__all__ = [
    "DEFAULT_EMBEDDER",
    "Catalogue",
    "CatalogueEntry",
    "Embedder",
    "Fingerprint",
    "RegistryEntry",
    "SentenceTransformerEmbedder",
    "add_model",
    "default_embedder_path",
    "get_model",
    "load_catalogue",
    "load_embedder",
    "load_embedder_by_name",
    "read_registry",
    "remove_model",
    "verify_model",
]
