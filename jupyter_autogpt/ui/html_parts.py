"""HTML pieces shared by the live widget view and the static transcript it leaves behind.

Pure functions of values: code highlighted with pygments when importable, a small Markdown converter, a
reply's thinking (collapsed) and prose, observations with their images and tables, and the header with its
cost. Every piece that holds model or step text leaves through ``sanitize.clean``; every text is bounded.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

from .. import pricing
from ..context import RunContext
from ..events import RunStarted
from ..instructions import CONFIG_SOURCE
from ..limits import HEADER_GOAL_CHARS, VIEW_ERROR_CHARS, VIEW_OUTPUT_CHARS, clip, cut_middle
from ..plan import Plan
from ..protocol import parse_reply, split_fences, split_thinking
from ..redaction import redact
from ..types import ImageData, Observation, Run, Step, Usage
from .sanitize import clean

__all__ = [
    "code_html", "context_html", "header_html", "markdown_html", "observation_html", "plan_html", "reply_html",
    "run_html", "streaming_html", "thinking_html", "thread_line",
]

MONO = "font-family: var(--jp-code-font-family, monospace); font-size: var(--jp-code-font-size, 12px);"
PRE = f"margin: 4px 0; padding: 6px 8px; white-space: pre-wrap; word-break: break-word; {MONO}"
BOX = "background-color: var(--jp-layout-color2, #f5f5f5); border-radius: 4px;"
_STATUS_COLORS = {"running": "#1976d2", "finished": "#2e7d32", "interrupted": "#ef6c00", "stopping…": "#ef6c00"}


def pre(text: str, style: str = "") -> str:
    """Return ``text`` escaped in a wrapping ``<pre>``."""
    return f'<pre style="{PRE}{style}">{html.escape(text)}</pre>'


def code_html(code: str, language: str = "python") -> str:
    """Return ``code`` as highlighted HTML with inline styles (a plain ``<pre>`` without pygments).

    The live view shows a step's code when it is proposed, when it ran and in the transcript it leaves: results
    for code of ordinary size are cached, so each step is highlighted once.
    """
    if len(code) > CACHED_CODE_CHARS:
        return _code_html.__wrapped__(code, language)
    return _code_html(code, language)


#: The longest code whose highlighted HTML is cached (the cache holds at most 64 of them).
CACHED_CODE_CHARS = 20_000


@functools.lru_cache(maxsize=64)
def _code_html(code: str, language: str) -> str:
    tools = _highlighter(language)
    if tools is None:
        return pre(code, BOX)
    highlight, lexer, formatter = tools
    return f'<pre style="{PRE}{BOX}">{highlight(code, lexer, formatter).rstrip(chr(10))}</pre>'


@functools.lru_cache(maxsize=8)
def _highlighter(language: str) -> tuple[Any, Any, Any] | None:
    """Return pygments' ``highlight`` with a lexer for ``language`` and an inline-style formatter, built once."""
    try:
        from pygments import highlight
        from pygments.formatters import HtmlFormatter
        from pygments.lexers import get_lexer_by_name
    except ImportError:
        return None
    try:
        lexer = get_lexer_by_name(language)
    except Exception:  # an unknown fence language
        return None
    return highlight, lexer, HtmlFormatter(noclasses=True, nowrap=True, style="default")


_INLINE = [
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"\*\*([^*\n]+)\*\*"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?!\w)"), r"<i>\1</i>"),
    (re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)"), r'<a href="\2" target="_blank">\1</a>'),
]


_BULLET = re.compile(r"^\s*([-*+]|\d+[.)])\s+")


def _inline(text: str) -> str:
    out = html.escape(text)  # quotes too: a URL must never close the attribute it is written into
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def _blocks(text: str) -> str:
    parts: list[str] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = block.splitlines()
        heading = re.match(r"(#{1,6})\s+(.*)", block)
        if heading and len(lines) == 1:
            level = min(len(heading.group(1)) + 2, 6)
            parts.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif lines and all(_BULLET.match(ln) for ln in lines):
            tag = "ol" if re.match(r"\s*\d", lines[0]) else "ul"
            items = "".join(f"<li>{_inline(_BULLET.sub('', ln))}</li>" for ln in lines)
            parts.append(f"<{tag}>{items}</{tag}>")
        elif block.strip():
            parts.append("<p>" + "<br>".join(_inline(ln) for ln in lines) + "</p>")
    return "".join(parts)


def markdown_html(text: str) -> str:
    """Return Markdown ``text`` as sanitised HTML (a small converter: the same output wherever it runs).

    Handles fenced code (highlighted), headings, lists, paragraphs, bold, italics, inline code and links;
    raw HTML in the text is shown as text, never rendered, and the result passes the sanitiser.
    """
    parts = []
    for info, body, _ in split_fences(text):  # the protocol's fence grammar: ``` or ~~~, three or more
        parts.append(_blocks(body) if info is None else code_html(body.rstrip("\n"), info or "text"))
    return clean("".join(parts))


def thinking_html(thinking: str, streaming: bool = False) -> str:
    """Return a reasoning model's thinking collapsed in a ``<details>``: shown on request, never as prose."""
    if not thinking.strip():
        return ""
    label = f"thinking{'…' if streaming else ''} · {len(thinking):,} characters"
    body = pre(cut_middle(thinking.strip("\n"), VIEW_OUTPUT_CHARS), "opacity: .75;")
    return f'<details class="autogpt-thinking"><summary style="opacity: .7;">{label}</summary>{body}</details>'


def reply_html(reply: str) -> str:
    """Return what a finished reply says: its thinking collapsed, then its prose (the code is shown apart)."""
    parsed = parse_reply(reply)
    prose = parsed.prose if parsed.code is not None else parsed.body.strip()
    shown = markdown_html(cut_middle(prose, VIEW_OUTPUT_CHARS)) if prose else ""
    return thinking_html(parsed.thinking) + shown


def streaming_html(text: str) -> str:
    """Return a reply still streaming: any thinking collapsed, the rest as it came (escaped, bounded)."""
    thinking, rest = split_thinking(text)
    shown = pre(cut_middle(rest, VIEW_OUTPUT_CHARS), "opacity: .85;") if rest.strip() else ""
    return thinking_html(thinking, streaming=not rest) + shown


def image_html(image: ImageData) -> str:
    """Return an ``<img>`` holding ``image`` as a data URI."""
    return f'<img src="data:{image.mime};base64,{image.data}" style="max-width: 100%; margin: 4px 0;">'



def _display_html(bundle: dict[str, Any]) -> str:
    html_text = bundle.get("text/html")
    if isinstance(html_text, str) and len(html_text) <= VIEW_OUTPUT_CHARS:  # cutting markup could break the page
        return f'<div style="overflow-x: auto;">{clean(html_text)}</div>'
    if isinstance(bundle.get("text/markdown"), str):
        return markdown_html(bundle["text/markdown"])
    if any(k.startswith("image/") for k in bundle):
        return ""  # images come separately, as ``Observation.images``
    if isinstance(html_text, str) and "text/plain" not in bundle:
        return pre(f"[HTML output of {len(html_text):,} characters, too long to show here]")
    return pre(cut_middle(str(bundle.get("text/plain", "")), VIEW_OUTPUT_CHARS))


def observation_html(obs: Observation) -> str:
    """Return what a step's code printed, displayed and raised, images and tables included."""
    parts = []
    if obs.stdout.strip():
        parts.append(pre(cut_middle(obs.stdout.rstrip(), VIEW_OUTPUT_CHARS)))
    if obs.stderr.strip():
        parts.append(pre(cut_middle(obs.stderr.rstrip(), VIEW_OUTPUT_CHARS), "color: var(--jp-warn-color0, #b26b00);"))
    parts += [_display_html(d) for d in obs.displays]
    parts += [image_html(i) for i in obs.images]
    if obs.error:
        parts.append(pre(cut_middle(obs.error.rstrip(), VIEW_ERROR_CHARS), "color: var(--jp-error-color1, #c62828);"))
    body = "".join(p for p in parts if p) or '<i style="opacity: .6;">(no output)</i>'
    return f'<div style="font-size: 90%;">{body}<div style="opacity: .6;">{obs.duration:.2f}s</div></div>'


def step_html(step: Step) -> str:
    """Return one finished step as a static ``<details>`` entry."""
    title = f"Step {step.index}" + (" · skipped" if step.skipped else "") + (" · error" if step.error else "")
    parts = [reply_html(step.reply)]
    if step.code:
        parts.append(code_html(step.code))
    if step.observation is not None:
        parts.append(observation_html(step.observation))
    elif step.output.strip() and step.code:
        parts.append(pre(cut_middle(step.output, VIEW_OUTPUT_CHARS)))
    return f"<details><summary><b>{html.escape(title)}</b></summary>{''.join(parts)}</details>"


def run_html(run: Run) -> str:
    """Return a static HTML transcript of ``run``: what a reopened notebook shows once widget state is gone.

    The goal, the status and every step with its outputs, images included. The answer and the summary line
    are left out: the ``%%autogpt`` cell's result (the run's Markdown) shows them right below, and is saved too.
    """
    cost = pricing.shown_cost(run.model, run.usage)
    facts = [f"<code>{html.escape(run.model)}</code>", f"<b>{html.escape(run.status)}</b>"]
    facts += [f"≈${cost:.4f}"] if cost is not None else []
    goal = _inline(cut_middle(redact(run.goal.strip()), VIEW_OUTPUT_CHARS))
    thread = thread_line(run.context)
    return clean(  # once more as a whole: this HTML is saved, and rendered as trusted right after the run
        '<div class="autogpt-transcript" style="border-left: 3px solid var(--jp-brand-color1, #1976d2); '
        'padding: 2px 10px;">'
        f"<div><b>autogpt</b> · {' · '.join(facts)}</div>"
        + (f'<div class="autogpt-thread" style="opacity: .8;">{thread}</div>' if thread else "")
        + f'<blockquote style="margin: 4px 0; opacity: .85;">{goal}</blockquote>'
        + context_html(run.context)
        + (plan_html(run.plan) if run.plan is not None else "")
        + "".join(step_html(s) for s in run.steps)
        + "</div>"
    )


_MARKS = {"done": "☑", "doing": "▶", "todo": "☐"}


def plan_html(plan: Plan) -> str:
    """Return the plan as a checklist: ☑ done, ▶ the current item, ☐ to do; who wrote it and which revision."""
    rows = "".join(
        f'<div class="autogpt-plan-item autogpt-plan-{item.state}" style="margin: 1px 0 1px 8px;'
        f'{" opacity: .7;" if item.state == "done" else ""}">{_MARKS[item.state]} {_inline(item.text)}</div>'
        for item in plan.items
    ) or '<div style="opacity: .6; margin-left: 8px;">(no items)</div>'
    facts = [f"{plan.done}/{len(plan.items)} done"]
    facts += [f"revision {plan.revision}"] if plan.revision > 1 else []
    facts += ["edited by you"] if plan.by == "user" else []
    return clean(
        f'<div class="autogpt-plan" style="margin: 4px 0;"><b>Plan</b> <span style="opacity: .7;">· '
        f'{" · ".join(facts)}</span>{rows}</div>'
    )


def thread_line(context: RunContext) -> str:
    """Return the escaped line saying which run this one follows up (``--continue``), or ``""`` for a fresh run."""
    thread = context.thread
    if not thread.runs:
        return ""
    parent = thread.runs[-1]
    goal = clip(" ".join(parent.goal.split()), 80)
    return (f"↳ follows up run <code>{html.escape(parent.id)}</code> ({html.escape(goal)}) · "
            f"run {thread.length + 1} of this conversation")


def context_html(context: RunContext) -> str:
    """Return what steered the run besides its goal: standing instructions (collapsed) and the user's cells it saw."""
    parts = []
    if context.instructions:
        sources = ", ".join(context.instructions.sources)
        parts.append(f'<details class="autogpt-instructions"><summary style="opacity: .8;">standing instructions · '
                     f"{html.escape(sources)}</summary>{pre(context.instructions.text)}</details>")
    notebook = context.notebook
    if notebook:
        seen = [f"your cell{'s' if len(notebook.cells) > 1 else ''} "
                 + ", ".join(f"In [{c.number}]" for c in notebook.cells)] if notebook.cells else []
        seen += [f"the error of In [{notebook.error_cell}]"] if notebook.traceback else []
        parts.append(f'<div class="autogpt-notebook-context" style="opacity: .75;">the model saw '
                     f"{html.escape(' and '.join(seen))}</div>")
    return "".join(parts)


def _header_goal(goal: str) -> str:
    """Return the goal's first line for the header, secrets redacted (IPython may have expanded ``{key}`` into it)."""
    lines = redact(goal.strip()).splitlines()
    return clip(lines[0], HEADER_GOAL_CHARS) if lines else ""


def header_html(start: RunStarted | None, status: str, step: tuple[int, int], usage: Usage, now: float) -> str:
    """Return the header line: goal, model, status, step k/N, elapsed, tokens and an estimated cost."""
    if start is None:
        return "<b>autogpt</b>"
    goal = _header_goal(start.goal)
    thread = thread_line(start.context)
    color = _STATUS_COLORS.get(status, "#c62828" if status == "failed" else "#616161")
    approx = "~" if usage.estimated else ""
    facts = [
        f"<code>{html.escape(start.model)}</code>",
        f'<b class="autogpt-status" style="color: {color};">{html.escape(status)}</b>',
        f"step {step[0]}/{step[1]}" if step[1] else "",
        f"{max(0.0, now - start.started_at):.1f}s",
        f"{approx}{usage.prompt_tokens:,} in / {approx}{usage.completion_tokens:,} out tokens",
    ]
    cost = pricing.shown_cost(start.model, usage)
    if cost is not None:
        facts.append(f"≈${cost:.4f}")
    if start.context.instructions:  # what steered the model, named in the header; the text is just below it
        named = ("%config" if source == CONFIG_SOURCE else source for source in start.context.instructions.sources)
        facts.append(f"instructions: {html.escape(', '.join(named))}")
    line = " · ".join(f for f in facts if f)
    thread_div = f'<div class="autogpt-thread" style="font-size: 90%; opacity: .8;">{thread}</div>' if thread else ""
    return f'<div><b>autogpt</b> · {html.escape(goal)}</div>{thread_div}<div style="font-size: 90%;">{line}</div>'
