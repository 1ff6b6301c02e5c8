"""What the harness reads back from a task's kernel once its ``%%autogpt`` cell is done.

This module is imported *inside the kernel* (by a ``user_expressions`` request), and reads only the public
surface a user has: ``jupyter_autogpt.last_run()``, the ``Run`` it returns, and ``pricing.estimate_cost``.
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["EXPRESSION", "record", "record_json"]

#: The ``user_expressions`` entry the harness sends: its value is the JSON text of ``record()``.
EXPRESSION = "__import__('jupyter_autogpt.eval.probe', fromlist=['record_json']).record_json()"


def record() -> dict[str, Any] | None:
    """Return the latest run of this kernel as plain values, or ``None`` when no run happened."""
    import jupyter_autogpt
    from jupyter_autogpt.pricing import estimate_cost

    run = jupyter_autogpt.last_run()
    if run is None:
        return None
    usage = run.usage
    return {
        "status": run.status,
        "answer": run.answer_text(),
        "steps": len(run.steps),
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "tokens_estimated": bool(usage.estimated),
        "cost": estimate_cost(run.model, usage),
        "seconds": round(run.duration, 3),
        "error": run.error,
        "model": run.model,
    }


def record_json() -> str:
    """Return ``record()`` as JSON text (what crosses the kernel's wire)."""
    return json.dumps(record())
