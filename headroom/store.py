"""Kept for imports written before `headroom.stores` existed: the same names, from there."""

from headroom.stores import MemoryStore, Store, StoreUnavailable, default_store, open_store, retrieve

__all__ = ["MemoryStore", "Store", "StoreUnavailable", "default_store", "open_store", "retrieve"]
