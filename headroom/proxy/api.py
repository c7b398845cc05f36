"""Placeholder until the HTTP API module lands (the helper's version replaces this file)."""

from starlette.routing import Route


def routes() -> list[Route]:
    return []
