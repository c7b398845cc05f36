"""What one proxy process holds for its lifetime, built once at start-up.

`ProxyState.start(config)` loads the pipeline and checks every option (a bad pipeline file
or store URL stops the proxy there), opens the store, and makes the one HTTP client every
upstream call shares (its connection pool is what keeps the added latency low). Routes
reach it with `state_of(request)`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import httpx
from starlette.requests import Request

from headroom import ccr, workers
from headroom.ccr.stores import Store, open_store
from headroom.compress import awarm
from headroom.integrations._compressor import RequestCompressor
from headroom.proxy import backends
from headroom.proxy.config import LITELLM_BACKENDS, ProxyConfig, default_store_url
from headroom.proxy.ops import Stats

logger = logging.getLogger("headroom.proxy")

# Enough connections for a few hundred concurrent streams. Few idle ones are kept: httpcore
# (1.0) matches each request against every connection for every idle one, a cost that grows with
# the square of the pool. With 200 kept alive, 100 concurrent streams cost 18-19 ms of CPU each;
# with 20, 5-7 ms (benchmarks/proxy.py). A connection past 20 idle ones is opened again when
# needed: one handshake, small beside a model's reply.
_MAX_CONNECTIONS = 1000
_MAX_KEEPALIVE = 20


@dataclass
class ProxyState:
    config: ProxyConfig
    client: httpx.AsyncClient
    compressor: RequestCompressor
    store: Store
    stats: Stats
    # whether the pipeline may drop content, so the model may need `headroom_retrieve`
    can_drop: bool

    @classmethod
    def build(cls, config: ProxyConfig) -> ProxyState:
        """The state for a configuration, checked; raises for one that cannot work."""
        config.check()
        if config.backend in LITELLM_BACKENDS:
            backends.check_backend(config)  # its region, URL and model map, before the first request
        store = open_store(config.store or default_store_url())
        compressor = RequestCompressor(
            pipeline=config.pipeline,
            min_tokens=config.min_tokens,
            compress_options={"store": store},
            logger=logger,
        )
        timeout = httpx.Timeout(config.read_timeout, connect=config.connect_timeout)
        limits = httpx.Limits(max_connections=_MAX_CONNECTIONS, max_keepalive_connections=_MAX_KEEPALIVE)
        # The client's own headers only: no proxy settings from the environment, no retries.
        client = httpx.AsyncClient(timeout=timeout, limits=limits, trust_env=False, follow_redirects=False)
        can_drop = ccr.pipeline_can_drop(compressor.pipeline)
        return cls(config, client, compressor, store, Stats(), can_drop)

    async def warm(self) -> None:
        """Load the tokenizer and the pipeline's stages before the first request."""
        try:
            if self.config.backend in LITELLM_BACKENDS:
                await workers.run_sync(backends.warm)  # importing litellm takes seconds
            await awarm(None, self.compressor.pipeline)
        except Exception as error:  # requests still run; each reports what fails for it
            logger.warning("headroom proxy: warming up failed: %s: %s", type(error).__name__, error)

    async def close(self) -> None:
        await self.client.aclose()


def state_of(request: Request) -> ProxyState:
    state: ProxyState = request.app.state.proxy
    return state
