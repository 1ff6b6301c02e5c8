"""Where generated code runs. ``ipython`` is the only module here that imports IPython."""

from __future__ import annotations

from .base import Executor

__all__ = ["Executor"]
