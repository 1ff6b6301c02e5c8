"""The one HTML sanitiser of the views: every piece of HTML that holds model or step text passes ``clean``.

Model text (or text a model was prompt-injected with) must never run script in the user's browser: the live
view's widgets set ``innerHTML``, and JupyterLab renders the static transcript of a cell it just ran as
*trusted* HTML. Escaping in our own converter is not enough on its own (a quote in a link's URL once added an
event handler), so the result of every conversion, and any HTML a step displayed, is cleaned here by ``nh3``
(the Rust ``ammonia`` sanitiser) with allow-lists: tags, attributes per tag, CSS properties, URL schemes.

What survives: text formatting, lists, tables (pandas' included), ``<details>``, code highlighted with inline
colours, links to ``http``/``https``/``mailto`` (opened in a new tab, without referrer or opener), and images
held inline as ``data:image/...;base64``. What never does: scripts, frames, SVG/MathML, forms, event handlers,
``javascript:``/``data:`` links, relative or remote image sources (a beacon), ``position``/``url()`` in styles.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

__all__ = ["ALLOWED_TAGS", "clean"]

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del", "details", "div",
    "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s",
    "samp", "small", "span", "strong", "sub", "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead",
    "tr", "u", "ul", "var",
})  # fmt: skip
_CELL = {"align", "colspan", "rowspan", "valign"}
_ATTRIBUTES = {
    "*": {"style", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "td": _CELL,
    "th": _CELL,
    "ol": {"start"},
    "table": {"border"},
}
#: The CSS our own markup and pygments use; nothing that moves a box out of its place or loads a URL.
_STYLES = frozenset({
    "background-color", "border", "border-bottom", "border-collapse", "border-left", "border-radius",
    "border-top", "color", "display", "font-family", "font-size", "font-style", "font-weight", "line-height",
    "margin", "margin-bottom", "margin-left", "margin-right", "margin-top", "max-width", "opacity", "overflow-x",
    "padding", "padding-bottom", "padding-left", "padding-right", "padding-top", "text-align", "text-decoration",
    "vertical-align", "white-space", "word-break",
})  # fmt: skip
_CLASSES = {
    "div": {"autogpt-transcript", "autogpt-notice"},
    "b": {"autogpt-status"},
    "details": {"autogpt-thinking", "autogpt-step"},
    "table": {"dataframe"},
}
_LINK = re.compile(r"(?:https?://|mailto:)[^\s\"'<>]*\Z", re.IGNORECASE)
_IMAGE = re.compile(r"data:image/(?:png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=\s]*\Z", re.IGNORECASE)
_URL_CHECKS = {("a", "href"): _LINK, ("img", "src"): _IMAGE}


def _attribute(tag: str, name: str, value: str) -> str | None:
    """Keep a URL attribute only when its whole value is of the one kind allowed there."""
    check = _URL_CHECKS.get((tag, name))
    if check is None or check.match(value):
        return value
    return None


@cache
def _cleaner() -> Any:
    import nh3  # lazily: importing the package and %load_ext stay cheap

    return nh3.Cleaner(
        tags=set(ALLOWED_TAGS),
        clean_content_tags={"script", "style", "iframe", "object", "embed", "svg", "math", "template", "noscript"},
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_attribute,
        url_schemes={"http", "https", "mailto", "data"},
        url_relative="deny",
        filter_style_properties=set(_STYLES),
        allowed_classes={tag: set(names) for tag, names in _CLASSES.items()},
        set_tag_attribute_values={"a": {"target": "_blank"}},
        link_rel="noopener noreferrer",
    )


def clean(html: str) -> str:
    """Return ``html`` with everything outside the allow-lists removed (the views' one sanitiser).

    Examples
    --------
    >>> clean('<a href="https://x.org" onclick="steal()">x</a><script>steal()</script>')
    '<a href="https://x.org" target="_blank" rel="noopener noreferrer">x</a>'
    >>> clean('<img src="x" onerror="steal()">')
    '<img>'
    """
    if not html:
        return html
    cleaned: str = _cleaner().clean(html)
    return cleaned
