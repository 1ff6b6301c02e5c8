"""Transitional alias of ``execution.summaries``, to be deleted when issue 10's branches merge.

``execution/inspect/`` (a name that shadowed the standard library) became ``execution/summaries/``;
``testing/executor.py`` belongs to another branch of the same change, and will import from
``execution.summaries`` instead.
"""

from __future__ import annotations

from .summaries import SAMPLE_ROWS, describe, overview, summarize

__all__ = ["SAMPLE_ROWS", "describe", "overview", "summarize"]
