"""What the model reads: the system prompt, the first message, observations, and the bounded history.

The system prompt asks for a plan and carries the standing instructions; the first message opens with the
conversation around the run (earlier runs of a ``--continue`` thread, the user's recent cells and last error:
``context.sections``, each within its budget) before the goal and the namespace overview.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from . import context as run_context
from .limits import (
    COMPACT_OUTPUT_CHARS,
    COMPACT_STEPS,
    DISPLAY_CHARS,
    FULL_STEPS,
    OMITTED_NOTE_CHARS,
    REPLY_CHARS,
    STEP_OUTPUT_CHARS,
    cut_middle,
)
from .plan import PlanDecision
from .protocol import Reply, split_thinking
from .types import Message, Observation, Step

__all__ = [
    "CHANGED_VARIABLES",
    "EMPTY_REPLY",
    "EXPLAIN_PROMPT",
    "INSTRUCTIONS_INTRO",
    "PLAN_PROMPT",
    "PREMATURE_REPLY",
    "QUESTION_REPLY",
    "SYSTEM_PROMPT",
    "THINKING_ONLY_REPLY",
    "TOOL_CALL_REPLY",
    "build_messages",
    "first_message",
    "past_reply",
    "plan_review_note",
    "render_observation",
    "render_step",
    "reply_notes",
    "system_prompt",
    "with_repeat_note",
]

_BASE_PROMPT = """\
You are a careful data-analysis agent in the user's live Jupyter kernel. Each reply: a brief thought, then \
exactly one ```python block; it runs in the user's namespace (their variables and yours persist) and its \
output and errors come back to you.
Finish with `final_answer(value)` (any object); if no code is needed, answer in Markdown without code.
Rules: inspect data first; print summaries, not whole tables; never delete or overwrite the user's \
variables unless the goal asks (work on copies); plot with matplotlib and plt.show(); never ask the user; \
on an error, read it and fix the code.\
"""

#: The plan the live view shows as a checklist (``plan.py`` reads it leniently; a reply without one still works).
PLAN_PROMPT = """

Plan: in your first reply, before the code, write `Plan:` then 2 to 6 numbered one-line items; each step \
without an error ticks one off. If the strategy changes, write the revised plan, finished items marked [x].\
"""

#: Opens the note describing the variables a step changed (``agent.acting``).
CHANGED_VARIABLES = "Changed variables:\n"

#: The system prompt of every run: how to act, and the plan to write.
SYSTEM_PROMPT = _BASE_PROMPT + PLAN_PROMPT

#: Introduces the standing instructions at the end of the system prompt.
INSTRUCTIONS_INTRO = (
    "\n\nStanding instructions from the user (they apply to every run; follow them unless the goal says "
    "otherwise):\n"
)

#: Added to the system prompt by ``--explain``: for teaching, every step says what it does and why.
EXPLAIN_PROMPT = """

Teaching mode: the reader is learning data analysis. Before each code block, explain in two or three \
plain sentences what the step does and why it is the right next step; name the pandas or Python feature \
you use. Comment the code where a line is not obvious. Keep the final answer short and say how it was \
found.\
"""


def system_prompt(explain: bool = False, instructions: str = "") -> str:
    """Return the system prompt: the plan it asks for, the teaching addendum (``explain``), standing instructions.

    ``instructions`` are already bounded and redacted (``instructions.gather``).
    """
    prompt = SYSTEM_PROMPT + (EXPLAIN_PROMPT if explain else "")
    return prompt + (INSTRUCTIONS_INTRO + instructions.strip() if instructions.strip() else "")


def first_message(goal: str, overview: str, context: run_context.RunContext | None = None) -> Message:
    """Return the first user message: the conversation around the run (if any), the goal, what the namespace holds."""
    namespace = overview.strip() or "(the namespace holds no user variables yet)"
    opening = run_context.sections(context) if context is not None else []
    text = f"Goal:\n{goal.strip()}\n\nThe kernel's namespace:\n{namespace}"
    return Message("user", "\n\n".join([*opening, ("The new goal" + text[4:]) if opening else text]))


def plan_review_note(decision: PlanDecision, plan: str) -> str:
    """Return what the model reads after the user reviewed its plan (``--plan``) and changed it: nothing ran."""
    parts = ["The user reviewed your plan before any code ran. Your code did not run."]
    if decision.items is not None:
        parts.append("The user's plan, which replaces yours:\n" + plan if plan else "The user removed the plan.")
    if decision.feedback:
        parts.append(f"User feedback: {decision.feedback}")
    parts.append("Carry out the plan from its first item, one step at a time.")
    return "\n\n".join(parts)


def render_observation(obs: Observation, limit: int = STEP_OUTPUT_CHARS, notes: Sequence[str] = ()) -> str:
    """Return the bounded text the model reads about one execution."""
    parts: list[str] = []
    if obs.stdout.strip():
        parts.append("stdout:\n" + obs.stdout.rstrip())
    if obs.stderr.strip():
        parts.append("stderr:\n" + obs.stderr.rstrip())
    for bundle in obs.displays:
        text = bundle.get("text/markdown") or bundle.get("text/plain")
        if text:
            parts.append("display:\n" + cut_middle(str(text).rstrip(), DISPLAY_CHARS))
    if obs.images:
        parts.append(f"[{len(obs.images)} image(s) displayed, e.g. a plot]")
    if obs.result is not None:
        parts.append("result:\n" + cut_middle(obs.result.rstrip(), DISPLAY_CHARS))
    if obs.error:
        parts.append("error:\n" + obs.error.rstrip())
    if obs.changed and not any(n.startswith(CHANGED_VARIABLES) for n in notes):  # else the notes name them
        parts.append("variables changed: " + ", ".join(obs.changed))
    parts.extend(notes)
    if obs.answered:
        parts.append("final_answer() was called; the run ends.")
    body = "\n\n".join(parts) if parts else "(the code ran and printed nothing)"
    return cut_middle(body, limit)


def past_reply(text: str, limit: int = REPLY_CHARS) -> str:
    """Return an earlier reply as a later request re-sends it: without its thinking, cut in the middle to ``limit``.

    The model needs what it did, not how it got there (reasoning servers ask for the thinking to be left out),
    and a runaway reply must not be paid for again in every request.
    """
    thinking, body = split_thinking(text)
    return cut_middle((body if thinking else text).strip(), limit)


def render_step(step: Step, compact: bool = False) -> list[Message]:
    """Return the messages one step contributes to the history; ``compact`` keeps code, errors, short results.

    A reply is re-sent without its thinking and bounded (``past_reply``); its code, compacted, too.
    """
    if compact:
        code = cut_middle(step.code, REPLY_CHARS) if step.code else None
        reply = f"```python\n{code}\n```" if code else past_reply(step.reply, COMPACT_OUTPUT_CHARS)
        if step.error:
            out = "error: " + cut_middle(step.error.strip().splitlines()[-1], COMPACT_OUTPUT_CHARS)
        else:  # from the transcript's own output, so a dataset rebuilds the very requests; a cut says its size
            out = cut_middle(step.output, COMPACT_OUTPUT_CHARS)
    else:
        reply, out = past_reply(step.reply), step.output
    messages = [Message("assistant", reply)]
    if step.code is not None or step.feedback:
        images = step.observation.images if (step.observation and not compact) else ()
        messages.append(Message("user", f"Observation (step {step.index}):\n{out}", images=images))
    return messages


def build_messages(
    system: str,
    first: Message,
    steps: Sequence[Step],
    budget_chars: int,
    vision: bool = False,
) -> list[Message]:
    """Return the request history within ``budget_chars``: the newest steps in full, older ones compacted.

    The system prompt and the first message (goal and namespace overview) are always kept. The newest
    ``FULL_STEPS`` steps are shown in full and the ``COMPACT_STEPS`` before them compacted (code, errors,
    a short result); older steps, and any that do not fit the budget, become one note naming the variables
    they changed. So a long run's prompt stops growing once its window is full.
    """
    remaining = budget_chars - len(system) - len(first.content)
    rendered: list[list[Message]] = []
    for i, step in enumerate(reversed(steps)):
        if i >= FULL_STEPS + COMPACT_STEPS:
            break
        chosen = render_step(step, compact=i >= FULL_STEPS)
        size = sum(len(m.content) for m in chosen)
        if i > 0 and size > remaining and i < FULL_STEPS:
            chosen = render_step(step, compact=True)
            size = sum(len(m.content) for m in chosen)
        if i > 0 and size > remaining:
            break
        remaining -= size
        rendered.append(chosen)
    if len(rendered) < len(steps):
        rendered.append([_omitted_note(steps[: len(steps) - len(rendered)])])
    history = [m for group in reversed(rendered) for m in group]
    if not vision:
        history = [Message(m.role, m.content) if m.images else m for m in history]
    return [Message("system", system), first, *history]


def _omitted_note(omitted: Sequence[Step]) -> Message:
    """Return the note standing in for ``omitted`` steps: how many, and which variables they changed."""
    changed = dict.fromkeys(n for s in omitted if s.observation for n in s.observation.changed)
    names = f"; variables they changed: {', '.join(changed)}" if changed else ""
    text = f"[{len(omitted)} earlier step(s) omitted to fit the context{names}]"
    return Message("user", cut_middle(text, OMITTED_NOTE_CHARS))


# -- corrective messages: what the loop tells a model whose reply it cannot use ---------------------------

EMPTY_REPLY = (
    "Your last reply was empty. Reply with one short thought and one ```python code block, "
    "or with the final answer in plain Markdown."
)
QUESTION_REPLY = (
    "Nobody can answer questions while the run goes on. Decide sensibly yourself (say which assumption you "
    "made) and continue with one ```python code block, or give the final answer."
)
THINKING_ONLY_REPLY = (
    "Your last reply held only your reasoning, with no action after it. Keep the reasoning short, then write "
    "one ```python code block, or the final answer in plain Markdown, after it."
)
TOOL_CALL_REPLY = (
    "Your last reply called a tool ({name}), but there are no tools here: the Python code you write runs in the "
    "kernel. Reply with one short thought and one ```python code block (call final_answer(value) to finish), "
    "or with the final answer in plain Markdown."
)
PREMATURE_REPLY = (
    "You answered before running any code, but the goal is about the kernel's variables ({names}). "
    "Look at them with one ```python code block first, then answer from what you saw."
)


def with_repeat_note(steps: list[Step], step: Step) -> Step:
    """Return ``step``, telling the model when it just repeated the code that failed the step before."""
    last = steps[-1] if steps else None
    if last is None or not (last.error and step.error and last.code == step.code):
        return step
    note = "\n\nNote: this is the same code that failed in the previous step, and it failed again. Change the approach."
    return replace(step, output=step.output + note)


def reply_notes(reply: Reply) -> list[str]:
    """Return notes for the model about a malformed reply (several blocks, an unclosed fence)."""
    notes = []
    if reply.blocks > 1:
        notes.append(f"Note: your reply had {reply.blocks} code blocks; only the first ran. Send one block per reply.")
    if reply.unclosed:
        notes.append("Note: your code block was not closed (the reply may have been cut); it ran as received.")
    return notes
