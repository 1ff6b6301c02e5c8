"""What a step showed: display bundles filtered and bounded for saving, images, and unshown figures.

A run's displays travel into the model's observation, the transcript, exported notebooks and the
labextension's inserted cells, so only MIME types a saved notebook renders on its own are kept:
``application/vnd.jupyter.widget-view+json`` is dropped (its model lives in this kernel only; a reopened
notebook shows "model not found"), its ``text/plain`` stays. A rich payload (HTML, SVG, JSON) larger than
``RICH_CHARS`` is dropped too (a Plotly figure can weigh megabytes); its ``text/plain`` stays, with a note.
"""

from __future__ import annotations

import base64
import io
import json
import sys
from collections.abc import Sequence
from typing import Any

from ..limits import RICH_CHARS, cut_middle
from ..types import ImageData

__all__ = ["DISPLAY_TYPES", "RICH_CHARS", "displays", "figure_numbers", "kept_mime", "open_figures"]

#: MIME types kept in a display bundle, besides ``application/vnd.*+json`` renderer payloads.
DISPLAY_TYPES = frozenset(
    {"text/plain", "text/markdown", "text/html", "text/latex", "image/svg+xml", "application/json"}
)
_IMAGE_TYPES = ("image/png", "image/jpeg")
_WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def kept_mime(mime: str) -> bool:
    """Return whether a display's ``mime`` payload is kept (see the module docstring)."""
    vendor = mime.startswith("application/vnd.") and mime.endswith("+json")
    return mime in DISPLAY_TYPES or (vendor and mime != _WIDGET_VIEW)


def displays(
    outputs: Sequence[Any], text_chars: int
) -> tuple[tuple[dict[str, Any], ...], tuple[ImageData, ...]]:
    """Return the display bundles (kept types only, bounded) and the images of ``outputs``.

    Not yet redacted: ``execution.observation`` redacts what the model reads, in one place.
    """
    bundles: list[dict[str, Any]] = []
    images: list[ImageData] = []
    for out in outputs:
        data = dict(getattr(out, "data", None) or {})
        images += [ImageData(mime, _b64(data[mime])) for mime in _IMAGE_TYPES if mime in data]
        bundle = _bounded({k: v for k, v in data.items() if kept_mime(k)}, text_chars)
        if bundle:
            bundles.append(bundle)
    return tuple(bundles), tuple(images)


def _bounded(bundle: dict[str, Any], text_chars: int) -> dict[str, Any]:
    """Return ``bundle`` with its text cut to ``text_chars`` and oversized rich payloads dropped (noted)."""
    if "text/html" in bundle and "text/plain" in bundle:
        del bundle["text/html"]  # a DataFrame's HTML says what its text says, ten times longer
    notes = []
    for mime in [m for m in bundle if m != "text/plain"]:
        size = _size(bundle[mime])
        if size > RICH_CHARS:
            del bundle[mime]
            notes.append(f"[{mime} output of {size:,} characters not kept: larger than {RICH_CHARS:,}]")
    if "text/plain" in bundle or notes:
        text = "\n".join([str(bundle.get("text/plain", "")), *notes]).strip("\n")
        bundle["text/plain"] = cut_middle(text, text_chars)
    return bundle


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    try:
        return len(json.dumps(value, default=str))
    except (TypeError, ValueError, RecursionError):
        return RICH_CHARS + 1  # cannot be saved as JSON either


def figure_numbers() -> set[int]:
    """Return the numbers of the open matplotlib figures (none when pyplot was never imported)."""
    plt = sys.modules.get("matplotlib.pyplot")
    return set(plt.get_fignums()) if plt is not None else set()


def open_figures(figures_before: set[int]) -> tuple[ImageData, ...]:
    """Return (and close) the matplotlib figures a step opened and left unshown (non-inline backends)."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is None:
        return ()
    found = []
    for num in sorted(set(plt.get_fignums()) - figures_before):
        fig = plt.figure(num)
        buf = io.BytesIO()
        fig.savefig(buf, format="png", bbox_inches="tight", dpi=72)
        plt.close(fig)
        found.append(ImageData("image/png", base64.b64encode(buf.getvalue()).decode("ascii")))
    return tuple(found)


def _b64(value: Any) -> str:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value).replace("\n", "")
