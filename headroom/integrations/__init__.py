"""Drop-in integrations that compress requests on their way to an LLM provider.

- `headroom.integrations.litellm_callback.HeadroomCallback`: a LiteLLM callback
  (`litellm.callbacks = [HeadroomCallback()]`, or the proxy's `litellm_settings.callbacks`).
- `headroom.integrations.asgi.CompressionMiddleware`: ASGI middleware for any app
  that receives OpenAI, Anthropic or Responses API requests (FastAPI, Starlette,
  the LiteLLM proxy).
- `headroom.integrations.agno.HeadroomAgnoModel`: an agno `Model` wrapping another, for agno agents.
- `headroom.integrations.langchain.HeadroomChatModel` (also `headroom.integrations.HeadroomChatModel`,
  loaded on first use): any LangChain chat model, with its requests compressed.

Each module is imported on its own, so using the middleware never imports litellm, and importing
this package imports no framework (neither agno nor LangChain).
See docs/integrations.md.
"""

from headroom._lazy import lazy_exports

__getattr__, __dir__ = lazy_exports(
    __name__,
    globals(),
    {
        "HeadroomChatModel": "headroom.integrations.langchain",
    },
)
