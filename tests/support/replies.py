"""Model replies for scripted runs."""

from __future__ import annotations

__all__ = ["code"]


def code(src: str, thought: str = "Next.") -> str:
    """Return a model reply proposing ``src`` as its one python block."""
    return f"{thought}\n```python\n{src}\n```"
