"""`headroom proxy`: the command line, and serving the app with uvicorn.

Each flag has an environment variable (`--port` and `HEADROOM_PROXY_PORT`); a flag wins.
The flags are written into the environment before uvicorn starts, so every worker process
(`--workers 4`) builds the same app from it (`headroom.proxy.app.app_from_env`).
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from typing import Any

from headroom.proxy.config import BACKENDS, ENV_PREFIX, LOG_LEVELS, ProxyConfig

# Seconds a stopping server waits for in-flight requests (streams included) to finish.
GRACEFUL_SHUTDOWN_SECONDS = 60

_EPILOG = """\
examples:
  headroom proxy --port 8787
  ANTHROPIC_BASE_URL=http://localhost:8787 claude
  OPENAI_BASE_URL=http://localhost:8787/v1 your-openai-app
  headroom proxy --backend bedrock --region us-east-1
  headroom proxy --store sqlite:///var/lib/headroom/proxy.db --workers 4

Every flag can also be set with an environment variable: --port is HEADROOM_PROXY_PORT,
--store is HEADROOM_PROXY_STORE, and so on. Headers a client may send: x-headroom-bypass: true
(skip compression for one request). See docs/proxy.md.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = ProxyConfig()
    listen = parser.add_argument_group("listening")
    listen.add_argument(
        "--host", help=f"address to bind (default {defaults.host}; any other needs --proxy-token)"
    )
    listen.add_argument("--port", type=int, help=f"port to listen on (default {defaults.port})")
    listen.add_argument(
        "--workers", type=int, help="worker processes (default 1; share a --store across them)"
    )
    upstream = parser.add_argument_group("upstream")
    upstream.add_argument(
        "--backend",
        choices=BACKENDS,
        help="where /v1/messages goes (default anthropic; cloud ones via litellm)",
    )
    upstream.add_argument("--region", help="the cloud backend's region (bedrock, vertex_ai)")
    upstream.add_argument(
        "--anthropic-api-url", help=f"Anthropic's base URL (default {defaults.anthropic_api_url})"
    )
    upstream.add_argument("--openai-api-url", help=f"OpenAI's base URL (default {defaults.openai_api_url})")
    upstream.add_argument(
        "--backend-api-url", help="the cloud backend's base URL (a gateway), if not its own"
    )
    compression = parser.add_argument_group("compression")
    compression.add_argument("--pipeline", help="a shipped pipeline name or a YAML path (default: default)")
    compression.add_argument(
        "--store",
        help="where originals live: sqlite:///path, redis://host:port/db (shared by workers) or memory:// "
        "(default: sqlite in ~/.cache/headroom/proxy.db)",
    )
    compression.add_argument(
        "--min-tokens",
        type=int,
        help=f"requests smaller than this go as they are (default {defaults.min_tokens})",
    )
    security = parser.add_argument_group("security and limits")
    security.add_argument(
        "--proxy-token", help="a token non-loopback callers must send in x-headroom-proxy-token"
    )
    security.add_argument(
        "--max-body-bytes", type=int, help="larger request bodies get a 413 (default 32 MiB)"
    )
    logs = parser.add_argument_group("logging")
    logs.add_argument(
        "--log-level", choices=LOG_LEVELS, help="default info; credentials are masked at every level"
    )
    logs.add_argument(
        "--log-messages",
        action="store_const",
        const=True,
        help="put the request's messages in its log line (off by default)",
    )


def config_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> ProxyConfig:
    names = (
        "host", "port", "workers", "backend", "region", "anthropic_api_url", "openai_api_url",
        "backend_api_url", "pipeline", "store", "min_tokens", "proxy_token", "max_body_bytes",
        "log_level", "log_messages",
    )  # fmt: skip
    given: dict[str, Any] = {name: getattr(args, name, None) for name in names}
    return ProxyConfig.from_env(environ, **given).check()


def _export(config: ProxyConfig) -> None:
    """Write every setting into the environment the worker processes inherit."""
    for name, value in vars(config).items():
        key = ENV_PREFIX + name.upper()
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = str(value).lower() if isinstance(value, bool) else str(value)


def run(args: argparse.Namespace) -> int:
    import uvicorn

    from headroom.proxy.app import app_from_env

    config = config_from_args(args)
    _export(config)
    app_from_env()  # build it once here: a bad pipeline, store or option stops the command now
    uvicorn.run(
        "headroom.proxy.app:app_from_env",
        factory=True,
        host=config.host,
        port=config.port,
        workers=config.workers,
        log_level=config.log_level,
        access_log=False,  # one JSON line per request instead (logger headroom.proxy.access)
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        server_header=False,
        date_header=False,  # the upstream's own Date and Server headers are relayed
    )
    return 0
