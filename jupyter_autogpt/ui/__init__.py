"""Renderers: they learn everything from the loop's events and never import models, agent or execution."""

from __future__ import annotations

from .base import Renderer

__all__ = ["Renderer"]
