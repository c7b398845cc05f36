"""`headroom proxy`: an HTTP proxy that compresses what Claude Code, Cursor, Codex and any other
client send to Anthropic, OpenAI or a cloud backend. See docs/proxy.md.

    from headroom.proxy import ProxyConfig, create_app

The module layout follows a request: `app` (routes), `security` (the guard), `compressing`
(the compressed routes), `retrieval` (`headroom_retrieve` answered in the proxy), `upstream`
(one shape for every way to reach a provider), `backends` (cloud providers through litellm),
`forwarding` (everything else, verbatim), `api` (the HTTP compression API), `ops` (health,
stats, metrics, the request log), `config` and `state`.
"""

from headroom.proxy.app import create_app
from headroom.proxy.config import ProxyConfig

__all__ = ["ProxyConfig", "create_app"]
