"""Every size limit on text, and the one family of helpers that cut text to them (standard library only).

Where does the observation get truncated? Here: each limit below is named for what it bounds, and every
module that shortens text does it with these helpers, so a limit changes in one place and a cut always
reads the same ("... [1,234 characters, 56 lines cut] ...").

What the model reads, per request:

- one step's observation: ``STEP_OUTPUT_CHARS`` (each displayed value or result in it: ``DISPLAY_CHARS``);
- one earlier reply of the model, re-sent in the history without its thinking: ``REPLY_CHARS``;
- older steps of the history, compacted: ``COMPACT_OUTPUT_CHARS`` each (``FULL_STEPS`` newest steps are kept
  whole, the ``COMPACT_STEPS`` before them compacted, older ones become one note of ``OMITTED_NOTE_CHARS``);
- the whole history: ``history_chars(context_chars)``; after a context overflow every message but the system
  prompt is cut to ``overflow_message_chars(budget)``;
- the variables a step changed: ``changed_variables_chars(context_chars)``.

What a run keeps in memory and in saved notebooks: ``CAPTURE_CHARS`` per captured stream, rich display
payloads up to ``RICH_CHARS``. What the views show: ``VIEW_OUTPUT_CHARS`` of a step's output (HTML), and
``TEXT_OUTPUT_LINES`` lines in a terminal. The answer's representation: ``ANSWER_REPR_CHARS``.

What a training example holds (``jupyter_autogpt.dataset``): each message up to ``TRAINING_MESSAGE_CHARS``.

What the model is told besides the goal (each a named budget inside the request's budget): standing instructions
in the system prompt, ``INSTRUCTIONS_CHARS``; the earlier runs of a ``--continue`` thread, ``THREAD_CHARS`` (the
newest in detail, older ones as their goal and answer, the rest a note); the user's own recent cells and their
last error, ``NOTEBOOK_CHARS``; a plan, ``PLAN_ITEMS`` items of ``PLAN_ITEM_CHARS``.

The namespace overview has its own budget (``--context-chars``), split by ``execution.summaries``.
A local model's token window is fitted in ``models.transformers`` (tokens, not characters).
"""

from __future__ import annotations

import reprlib
from typing import Any

__all__ = [
    "ANSWER_CHARS",
    "ANSWER_REPR_CHARS",
    "CAPTURE_CHARS",
    "CELL_RESULT_CHARS",
    "CELL_SOURCE_CHARS",
    "COMPACT_OUTPUT_CHARS",
    "COMPACT_STEPS",
    "DISPLAY_CHARS",
    "EARLIER_ANSWER_CHARS",
    "EARLIER_CODE_CHARS",
    "EARLIER_GOAL_CHARS",
    "EARLIER_OUTCOME_CHARS",
    "EARLIER_STEPS",
    "FULL_STEPS",
    "HEADER_GOAL_CHARS",
    "HISTORY_CELLS",
    "INSTRUCTIONS_CHARS",
    "NOTEBOOK_CHARS",
    "OMITTED_NOTE_CHARS",
    "PLAN_ITEMS",
    "PLAN_ITEM_CHARS",
    "REPLY_CHARS",
    "RICH_CHARS",
    "RUN_ERROR_CHARS",
    "STEP_OUTPUT_CHARS",
    "TEXT_OUTPUT_LINES",
    "THREAD_CHARS",
    "THREAD_RUNS",
    "TRACEBACK_CHARS",
    "TRAINING_MESSAGE_CHARS",
    "TRANSCRIPT_REPLY_CHARS",
    "VIEW_ERROR_CHARS",
    "VIEW_OUTPUT_CHARS",
    "changed_variables_chars",
    "clip",
    "clip_lines",
    "cut_middle",
    "history_chars",
    "overflow_message_chars",
    "short_repr",
]

# -- what the model reads -------------------------------------------------------------------------------------

#: One step's observation (stdout, displays, the result, the error, notes).
STEP_OUTPUT_CHARS = 4_000
#: Each displayed value or result inside an observation (e.g. a DataFrame's text), so one table cannot fill it.
DISPLAY_CHARS = 2_000
#: An older step's output (or its reply, when it had no code) in the compacted history. Older outputs were read
#: whole when they were new, and the variables they made are still in the kernel: a few lines say what they were.
COMPACT_OUTPUT_CHARS = 160
#: The note standing in for the steps too old to be compacted: how many, and the variables they changed.
OMITTED_NOTE_CHARS = 300
#: An earlier reply as the history re-sends it (its thinking dropped): a 300k-character reply is not sent again.
REPLY_CHARS = 6_000
#: Steps shown in full at the end of the history: the newest, the one the next reply answers.
FULL_STEPS = 1
#: Compacted steps kept before the full ones; older steps shrink to one note.
COMPACT_STEPS = 3
#: The smallest history budget, whatever ``--context-chars`` says.
MIN_HISTORY_CHARS = 24_000


# -- what the model is told besides the goal: the conversation around a run ----------------------------------

#: Standing instructions (``%config AutoGPTMagics.instructions`` and the instructions file), together.
INSTRUCTIONS_CHARS = 4_000
#: The earlier runs of a ``--continue`` thread, as the first message tells them.
THREAD_CHARS = 6_000
#: Earlier runs a thread remembers (each a bounded record); older ones are only counted.
THREAD_RUNS = 8
#: Steps of an earlier run its record keeps (the newest); older ones are only counted.
EARLIER_STEPS = 6
#: An earlier run's goal, answer, and each recorded step's code and outcome.
EARLIER_GOAL_CHARS = 600
EARLIER_ANSWER_CHARS = 800
EARLIER_CODE_CHARS = 500
EARLIER_OUTCOME_CHARS = 200
#: The user's own recent cells and the last error they hit, together (``--history``).
NOTEBOOK_CHARS = 4_000
#: How many of the user's recent cells the model sees by default (``--history N``).
HISTORY_CELLS = 5
#: One of those cells' source, and the short form of its result.
CELL_SOURCE_CHARS = 800
CELL_RESULT_CHARS = 160
#: The traceback of the user's last error (its tail survives the cut: the line that names the error).
TRACEBACK_CHARS = 2_000
#: A plan: its items, and each item's text.
PLAN_ITEMS = 10
PLAN_ITEM_CHARS = 200


def history_chars(context_chars: int) -> int:
    """Return the character budget of a request for a run with ``--context-chars context_chars``.

    The system prompt (instructions included) and the first message (earlier runs, the user's recent cells,
    the goal, the namespace overview) count toward it; the steps fill what is left.
    """
    return max(4 * context_chars, MIN_HISTORY_CHARS)


def overflow_message_chars(history_budget: int) -> int:
    """Return the bound on each message (system prompt aside) once the model's context overflowed."""
    return max(1_000, history_budget // 8)


def changed_variables_chars(context_chars: int) -> int:
    """Return the budget for describing the variables one step changed."""
    return max(500, context_chars // 4)


# -- what a run keeps and the views show ------------------------------------------------------------------------

#: Text kept per captured stream or display of a step (bounds memory for huge outputs).
CAPTURE_CHARS = 100_000
#: A rich display payload (HTML, SVG, JSON) larger than this is dropped; its ``text/plain`` stays, with a note.
RICH_CHARS = 100_000
#: A step's output as the live view and the saved HTML transcript show it.
VIEW_OUTPUT_CHARS = 20_000
#: A step's error (traceback) as the views show it.
VIEW_ERROR_CHARS = 4_000
#: Lines of a step's output in the terminal view and the Markdown transcript.
TEXT_OUTPUT_LINES = 30
#: The goal's first line in the live header.
HEADER_GOAL_CHARS = 160
#: A run's ``error``: one line, whatever a server answered or an exception said.
RUN_ERROR_CHARS = 500
#: The answer's ``repr`` wherever it is shown or saved (the object itself stays whole in ``run.answer``).
ANSWER_REPR_CHARS = 2_000
#: A text answer wherever it is shown or saved (``run.answer`` keeps it whole).
ANSWER_CHARS = 20_000
#: A model reply as a transcript (JSON, a comm message to the labextension) keeps it; the run keeps it whole.
TRANSCRIPT_REPLY_CHARS = 100_000

# -- what training data holds ------------------------------------------------------------------------------------

#: One message of an exported training example. The loop already bounds what the model reads (an observation to
#: ``STEP_OUTPUT_CHARS``, the overview to ``--context-chars``); this bounds hand-edited or unusual transcripts.
#: An assistant reply cut to fit is kept as context but not trained on (the model never wrote the cut text).
TRAINING_MESSAGE_CHARS = 32_000

#: The longest note ``cut_middle`` inserts; below ``_NOTE_ROOM + 56`` characters it cuts at the end instead.
_NOTE_ROOM = 64


# -- the helpers --------------------------------------------------------------------------------------------------


def cut_middle(text: str, limit: int) -> str:
    """Return ``text`` cut in the middle to at most ``limit`` characters, saying how much was removed.

    The head (two thirds) and the tail (one third) survive: a traceback's last line and a table's first rows
    both matter. Too small a limit for a note cuts at the end instead (``clip``).

    Examples
    --------
    >>> cut_middle("abc", 10)
    'abc'
    >>> len(cut_middle("x" * 1000, 200)) <= 200
    True
    """
    if len(text) <= limit:
        return text
    if limit < _NOTE_ROOM + 56:
        return clip(text, limit)
    keep = limit - _NOTE_ROOM
    head = keep * 2 // 3
    tail = keep - head
    removed = len(text) - head - tail
    lines = text[head : len(text) - tail].count("\n")
    note = f"\n... [{removed:,} characters, {lines:,} lines cut] ...\n"
    return text[:head] + note + text[len(text) - tail :]


def clip(text: str, limit: int) -> str:
    """Return ``text`` cut at the end to at most ``limit`` characters, ending in "…" when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def clip_lines(text: str, limit: int = TEXT_OUTPUT_LINES) -> str:
    """Return ``text`` with at most ``limit`` lines: the first and last halves, and how many were left out."""
    lines = text.rstrip().splitlines()
    if len(lines) <= limit:
        return "\n".join(lines)
    half = limit // 2
    return "\n".join([*lines[:half], f"... ({len(lines) - 2 * half} lines)", *lines[-half:]])


def _reprlib(width: int) -> reprlib.Repr:
    r = reprlib.Repr()
    r.maxstring = r.maxother = max(20, width)
    r.maxlong = 40
    r.maxlist = r.maxtuple = r.maxset = r.maxfrozenset = r.maxdeque = r.maxarray = 8
    r.maxdict = 6
    r.maxlevel = 2
    return r


def short_repr(obj: Any, width: int = 80) -> str:
    """Return a one-line repr of at most ``width`` characters; never raises (``reprlib`` survives a bad ``__repr__``)."""
    return clip(_reprlib(width).repr(obj).replace("\n", " "), width)
