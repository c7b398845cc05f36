"""Process-wide settings that must be in place before tiktoken or litellm load.

tiktoken downloads its encodings on first use; the litellm wheel ships the
cl100k_base and o200k_base files, so we point tiktoken there when the user has
not chosen a cache folder. litellm fetches its price map at import unless told
not to. Both are set once, here, without importing litellm (that takes seconds).
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def _litellm_tokenizer_dir() -> Path | None:
    spec = importlib.util.find_spec("litellm")
    if spec is None or spec.origin is None:
        return None
    folder = Path(spec.origin).parent / "litellm_core_utils" / "tokenizers"
    return folder if folder.is_dir() else None


def configure_offline_environment() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        folder = _litellm_tokenizer_dir()
        if folder is not None:
            os.environ["TIKTOKEN_CACHE_DIR"] = str(folder)


configure_offline_environment()
