"""Drop-in integrations that compress requests on their way to an LLM provider.

- `headroom.integrations.litellm_callback.HeadroomCallback`: a LiteLLM callback
  (`litellm.callbacks = [HeadroomCallback()]`, or the proxy's `litellm_settings.callbacks`).
- `headroom.integrations.asgi.CompressionMiddleware`: ASGI middleware for any app
  that receives OpenAI, Anthropic or Responses API requests (FastAPI, Starlette,
  the LiteLLM proxy).
- `headroom.integrations.agno.HeadroomAgnoModel`: an agno `Model` wrapping another, for agno agents.

Each module is imported on its own, so using the middleware never imports litellm
(and `import headroom` never imports agno).
See docs/integrations.md.
"""
