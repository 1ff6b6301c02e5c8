"""Transitional alias, to be deleted when issue 10's branches merge: ``options.py`` imports ``POLICIES`` from here.

``policy/`` became ``risk/``; ``options.py`` belongs to another branch of the same change, and will import
``POLICIES`` from ``jupyter_autogpt.risk`` instead.
"""

from __future__ import annotations

from .risk import POLICIES

__all__ = ["POLICIES"]
