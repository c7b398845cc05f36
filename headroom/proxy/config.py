"""The proxy's settings: one frozen `ProxyConfig`, from flags, the environment or code.

Every field has an environment variable, `HEADROOM_PROXY_<FIELD>` (`HEADROOM_PROXY_PORT=9000`,
`HEADROOM_PROXY_STORE=sqlite:///var/lib/headroom.db`); a flag given on the command line wins
over the environment. `check()` raises `ValueError` for a configuration that cannot work or
is unsafe, naming the setting: the proxy refuses to start rather than run half-configured.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from headroom.errors import did_you_mean

ENV_PREFIX = "HEADROOM_PROXY_"
NATIVE_BACKENDS = ("anthropic", "openai")
LITELLM_BACKENDS = ("bedrock", "vertex_ai", "azure", "openrouter")
BACKENDS = NATIVE_BACKENDS + LITELLM_BACKENDS
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off", ""})


@dataclass(frozen=True)
class ProxyConfig:
    """How the proxy listens, where it forwards, and how it compresses."""

    host: str = "127.0.0.1"
    port: int = 8787
    workers: int = 1
    backend: str = "anthropic"
    region: str | None = None
    anthropic_api_url: str = "https://api.anthropic.com"
    openai_api_url: str = "https://api.openai.com/v1"
    # the base URL litellm calls for a cloud backend (a gateway; tests point it at a stub)
    backend_api_url: str | None = None
    pipeline: str = "default"
    # where originals, memos and sessions live; None: a SQLite file in the user's cache
    # directory (`default_store_url`), so they survive a restart and are shared by workers
    store: str | None = None
    proxy_token: str | None = None
    max_body_bytes: int = 32 * 1024 * 1024
    log_level: str = "info"
    log_messages: bool = False
    min_tokens: int = 500
    connect_timeout: float = 10.0
    read_timeout: float = 600.0
    retrieve_rounds: int = 3

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> ProxyConfig:
        """Settings from `HEADROOM_PROXY_*` variables, then `overrides` (None means "not given")."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for item in fields(cls):
            raw = env.get(ENV_PREFIX + item.name.upper())
            if raw is not None:
                values[item.name] = _parse(item.name, raw, item.default)
        unknown = [name for name in overrides if name not in _FIELD_NAMES]
        if unknown:
            hint = did_you_mean(unknown[0], _FIELD_NAMES)
            raise TypeError(f"ProxyConfig has no setting {unknown[0]!r}{hint}")
        values.update({name: value for name, value in overrides.items() if value is not None})
        return cls(**values)

    def replace(self, **changes: Any) -> ProxyConfig:
        return dataclasses.replace(self, **changes)

    def check(self) -> ProxyConfig:
        """This configuration, or ValueError naming the setting that cannot work."""
        if self.backend not in BACKENDS:
            raise ValueError(f"backend: unknown {self.backend!r}{did_you_mean(self.backend, BACKENDS)}")
        if self.log_level.lower() not in LOG_LEVELS:
            raise ValueError(f"log_level: {self.log_level!r} is not one of {', '.join(LOG_LEVELS)}")
        if not 0 < self.port < 65536:
            raise ValueError(f"port: {self.port} is not a TCP port")
        for name, least in (("workers", 1), ("max_body_bytes", 1), ("retrieve_rounds", 0), ("min_tokens", 0)):
            if getattr(self, name) < least:
                raise ValueError(f"{name}: must be at least {least}, not {getattr(self, name)}")
        if self.connect_timeout <= 0 or self.read_timeout <= 0:
            raise ValueError("connect_timeout, read_timeout: must be positive numbers of seconds")
        for name in ("anthropic_api_url", "openai_api_url", "backend_api_url"):
            url = getattr(self, name)
            if url is not None and not url.startswith(("http://", "https://")):
                raise ValueError(f"{name}: {url!r} is not an http(s) URL")
        if not host_is_loopback(self.host) and not self.proxy_token:
            raise ValueError(
                f"host: binding {self.host} lets other machines reach the proxy; set a proxy token "
                f"(--proxy-token or {ENV_PREFIX}PROXY_TOKEN) that every non-loopback caller must send"
            )
        return self


_FIELD_NAMES = tuple(item.name for item in fields(ProxyConfig))


def default_store_url(environ: Mapping[str, str] | None = None) -> str:
    """`sqlite:///` a file under `$XDG_CACHE_HOME/headroom` (else `~/.cache/headroom`), made if missing."""
    env = os.environ if environ is None else environ
    cache = Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "headroom"
    cache.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{cache / 'proxy.db'}"


def host_is_loopback(host: str) -> bool:
    """Whether a listen address only accepts connections from this machine."""
    from headroom.proxy.security import is_loopback

    return is_loopback(host)


def _parse(name: str, raw: str, default: Any) -> Any:
    """An environment value in the type of the field's default."""
    where = f"{ENV_PREFIX}{name.upper()}={raw!r}"
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered in _TRUE | _FALSE:
            return lowered in _TRUE
        raise ValueError(f"{where}: expected true or false")
    if isinstance(default, int):
        try:
            return int(raw)
        except ValueError as error:
            raise ValueError(f"{where}: expected a whole number") from error
    if isinstance(default, float):
        try:
            return float(raw)
        except ValueError as error:
            raise ValueError(f"{where}: expected a number") from error
    return raw or None
