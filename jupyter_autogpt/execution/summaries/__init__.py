"""Bounded descriptions of live objects and of the user's namespace: what the model knows of the kernel.

Three rules shape every function here:

- Bounded: each text fits its ``max_chars``, and the cost stays near O(sample) however big the object is.
  Statistics of a frame longer than ``SAMPLE_ROWS`` come from head, tail and seeded random rows, and the
  text says so; memory is ``memory_usage(deep=False)``; nothing copies user data wholesale.
- Harmless: no iterator is consumed, and pandas, numpy, polars or matplotlib are never imported here —
  a library absent from ``sys.modules`` cannot have made the object, so we look there instead.
- Never raises: a user's ``__repr__``, ``__len__`` or ``__getattr__`` may raise anything (``SystemExit``
  included); a description then degrades to the type and size. Types are tested with
  ``issubclass(type(obj), ...)`` because ``isinstance`` may fall back to ``obj.__class__``, which hostile
  objects can override.
- Bounded in time: an overview's descriptions run under a ``TimeBudget`` (per object and in all), so a
  ``__repr__`` that sleeps cannot hold the run.
- Redacted before cut: every text cut here (a long string's ends, a frame's cells, a repr) is redacted first,
  so no cut leaves a piece of a secret behind.
"""

from __future__ import annotations

from .budget import OBJECT_SECONDS, OVERVIEW_SECONDS, TimeBudget
from .dispatch import summarize
from .formatting import SAMPLE_ROWS
from .namespace import describe, overview

__all__ = ["OBJECT_SECONDS", "OVERVIEW_SECONDS", "SAMPLE_ROWS", "TimeBudget", "describe", "overview", "summarize"]
