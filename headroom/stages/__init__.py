"""Built-in stages. Importing this package registers them all."""

from headroom.stages import budget, cache, classify, crush, score

__all__ = ["budget", "cache", "classify", "crush", "score"]
