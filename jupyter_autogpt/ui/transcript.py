"""Transitional: the old home of the transcript, kept only until two files owned elsewhere change an import.

``magic.py`` (``transcript.export`` -> ``ui.export.write``) and ``tests/test_openai_backend.py``
(``ui.transcript.to_dict`` -> ``jupyter_autogpt.transcript.to_dict``) still import this path. Delete this
module once they do: the format lives in ``jupyter_autogpt.transcript``, files and notebooks in ``ui.export``.
"""

from __future__ import annotations

from ..transcript import to_dict
from .export import write as export

__all__ = ["export", "to_dict"]
