"""Model backends, chosen by an id of the form ``provider:model``.

Backends import their vendor SDKs lazily, so resolving an id costs nothing until a run needs it.
"""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import ConfigError
from .base import Chunk, Model, complete, estimate_tokens, estimate_usage

__all__ = ["PROVIDERS", "Chunk", "Model", "complete", "estimate_tokens", "estimate_usage", "resolve"]

#: provider name -> "module:factory"; the factory takes the part after the colon and keyword options.
PROVIDERS: dict[str, str] = {
    "openai": "jupyter_autogpt.models.openai:OpenAIModel",
    "transformers": "jupyter_autogpt.models.transformers:TransformersModel",
    "replay": "jupyter_autogpt.models.replay:ReplayModel",
}


def resolve(model_id: str, **options: Any) -> Model:
    """Return the backend for ``model_id`` (``provider:model``), built with backend ``options``.

    Raises
    ------
    ConfigError
        When the id has no known provider, or an option does not apply to that provider.
    """
    provider, sep, name = model_id.partition(":")
    if not sep or not name or provider not in PROVIDERS:
        known = ", ".join(f"{p}:..." for p in PROVIDERS)
        raise ConfigError(
            f"unknown model {model_id!r}: use provider:model, one of {known} "
            "(e.g. openai:gpt-4o-mini, transformers:/path/to/model, replay:run.json)"
        )
    module_name, _, attr = PROVIDERS[provider].partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    wanted = getattr(factory, "OPTIONS", None)
    given = {k: v for k, v in options.items() if v is not None}
    ignored = sorted(k for k in given if wanted is not None and k not in wanted)
    if ignored:
        flags = ", ".join("--" + k.replace("_", "-") for k in ignored)
        raise ConfigError(f"{flags} does not apply to {provider}: models (it would be ignored); drop it")
    model: Model = factory(name, **given)
    return model
