"""The proxy's ASGI app: its routes, its guard and its lifetime.

    from headroom.proxy import ProxyConfig, create_app
    app = create_app(ProxyConfig(port=8787))      # serve with uvicorn, or `headroom proxy`

Routes, in the order they are matched:

- `GET /health`, `/stats`, `/metrics` (`headroom.proxy.ops`);
- `POST /v1/compress`, `GET /v1/retrieve/{hash}`, `POST /v1/retrieve`, the HTTP compression API
  (`headroom.proxy.api`);
- `POST` to a path ending in `/v1/messages`, `/chat/completions` or `/v1/responses`:
  compressed (`headroom.proxy.compressing`);
- anything else, any method: forwarded verbatim (`headroom.proxy.forwarding`).

The configuration is checked, the pipeline loaded and the store opened when the app is
created, so a bad one raises there; the tokenizer and the stages warm up when the server starts.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from headroom.integrations.asgi import route_kind
from headroom.proxy import api, compressing, forwarding, ops
from headroom.proxy.config import ProxyConfig
from headroom.proxy.errors import Api
from headroom.proxy.security import ProxyGuard
from headroom.proxy.state import ProxyState

_ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
_APIS: dict[str, Api] = {"anthropic": "anthropic", "chat": "chat", "responses": "responses"}


async def _dispatch(request: Request) -> Response:
    kind = route_kind(request.url.path) if request.method == "POST" else None
    if kind is not None:
        return await compressing.handle(request, _APIS[kind])
    return await forwarding.forward(request)


def create_app(config: ProxyConfig | None = None) -> Starlette:
    """The proxy app for a configuration (the environment's `HEADROOM_PROXY_*` when none is given)."""
    settings = config if config is not None else ProxyConfig.from_env()
    state = ProxyState.build(settings)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await state.warm()
        try:
            yield
        finally:
            await state.close()

    routes = [
        *ops.routes(),
        *api.routes(),
        Route("/{path:path}", _dispatch, methods=_ALL_METHODS),
    ]
    guard = Middleware(ProxyGuard, token=settings.proxy_token, max_body_bytes=settings.max_body_bytes)
    app = Starlette(routes=routes, middleware=[guard], lifespan=lifespan)
    app.state.proxy = state
    return app


def app_from_env() -> Starlette:
    """The app for `uvicorn --factory`: the settings come from `HEADROOM_PROXY_*` (the CLI writes
    its flags there, so every worker process builds the same app)."""
    config = ProxyConfig.from_env()
    configure_logging(config)
    return create_app(config)


def configure_logging(config: ProxyConfig) -> None:
    """Headroom's log records to stderr at the configured level, credentials masked in every one."""
    import logging

    from headroom.proxy.backends import environment_secrets
    from headroom.proxy.config import LITELLM_BACKENDS
    from headroom.proxy.ops import configure_access_log
    from headroom.proxy.security import install_redaction

    level = getattr(logging, config.log_level.upper())
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("headroom")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False
    configure_access_log()
    secrets = [config.proxy_token] if config.proxy_token else []
    if config.backend in LITELLM_BACKENDS:
        secrets += environment_secrets()
    install_redaction(secrets)
