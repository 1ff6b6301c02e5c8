"""Test doubles for agents: a model that replays scripted replies, an executor that needs no IPython, and a tiny
deterministic transformers model (``scripted_transformers_model``) for offline demos of the local backends.

Use them in your own tests::

    from jupyter_autogpt.agent import Agent, run_to_completion
    from jupyter_autogpt.testing import ScriptedExecutor, ScriptedModel
    model = ScriptedModel(["```python\\nfinal_answer(41 + 1)\\n```"])
    run = run_to_completion(Agent(model, ScriptedExecutor({"x": 1})), "add")
    model.assert_all_used()   # also fails if the agent asked for more replies than the script held

A run whose model runs out of script ends as ``"failed"`` (a run survives every failure), so a test that
does not look at ``run.status`` would still pass; ``assert_all_used`` catches that case too.
"""

from __future__ import annotations

from .executor import ScriptedExecutor
from .model import ScriptedModel, ScriptExhausted, token_pieces
from .tiny_model import scripted_transformers_model

__all__ = ["ScriptExhausted", "ScriptedExecutor", "ScriptedModel", "scripted_transformers_model", "token_pieces"]
