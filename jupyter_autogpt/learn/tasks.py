"""Questions about the user's own dataframes, proposed by a teacher model, each with code that answers it.

The teacher (any backend) reads a bounded summary of each frame (what the agent would see) and replies with
a JSON list of ``{"question", "name", "check"}``: a question with one exact answer, a short name for that
answer (DABench's ``@name[value]``), and Python that computes it into ``answer``. The check is model text,
so it never runs here: it runs in the task's own throwaway kernel (``learn.runner``), and only when the risk
policy finds nothing in it that touches files, processes, the network or packages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ModelBehaviourError
from ..models.base import Model, complete
from ..types import GenerationSettings, Message

__all__ = ["PROPOSAL_PROMPT", "Task", "check_refusal", "parse_tasks", "propose"]

PROPOSAL_PROMPT = """\
You write exercises for a data-analysis agent that works in a Jupyter kernel holding these pandas \
DataFrames (pandas is imported as pd and numpy as np):

{frames}

Propose {n} different questions about this data that an analyst of it would ask. Each must have one exact, \
short answer: a number, a name, yes/no, or a short list. Vary them: counts, sums and means, filters, \
group-bys, rankings, shares, missing values, dates. Name the DataFrame (in backticks) in each question, and \
say how to round numbers. For each, write Python that computes the answer from the DataFrames into a \
variable named `answer` (no printing, no files, no plots, no network).

Reply with only a JSON list, one object per question:
[{{"question": "...", "name": "snake_case_name_of_the_answer", "check": "answer = ..."}}]"""

#: Risk flags a check may not carry: it must only compute.
_FORBIDDEN = {"delete", "overwrite", "subprocess", "network", "install", "kernel"}


@dataclass(frozen=True)
class Task:
    """A question for the agent, the answer's name, and the teacher's code that computes the answer."""

    question: str
    name: str
    check: str

    def goal(self) -> str:
        """Return the goal the agent receives."""
        return self.question


def _summaries(frames: Mapping[str, Any], budget: int) -> str:
    from .. import summarize

    share = max(400, budget // max(1, len(frames)))
    return "\n\n".join(f"`{name}`:\n{summarize(frame, share)}" for name, frame in frames.items())


def _json_list(text: str) -> list[Any]:
    """Return the JSON list in a reply (inside a code fence or bare)."""
    fenced = re.search(r"```(?:json)?\s*(\[.*?\])\s*```", text, re.DOTALL)
    candidate = fenced.group(1) if fenced else text[text.find("[") : text.rfind("]") + 1]
    try:
        data = json.loads(candidate)
    except ValueError:
        raise ModelBehaviourError("the teacher's reply holds no JSON list of questions") from None
    if not isinstance(data, list):
        raise ModelBehaviourError("the teacher's reply is not a JSON list of questions")
    return data


def parse_tasks(text: str) -> list[Task]:
    """Return the well-formed tasks of a teacher's reply (malformed entries are passed over).

    Raises
    ------
    ModelBehaviourError
        When the reply holds no JSON list.
    """
    tasks = []
    seen: set[str] = set()
    for item in _json_list(text):
        if not isinstance(item, dict):
            continue
        question, check = str(item.get("question") or "").strip(), str(item.get("check") or "").strip()
        name = re.sub(r"\W+", "_", str(item.get("name") or "answer")).strip("_").lower() or "answer"
        if question and "answer" in check and question.casefold() not in seen:
            seen.add(question.casefold())
            tasks.append(Task(question, name, check))
    return tasks


def check_refusal(check: str, names: frozenset[str] = frozenset()) -> str | None:
    """Return why the check code may not run (it would touch files, processes, the network ...), or None."""
    from ..risk import FLAGS, assess

    found = assess(check, names)
    flags = _FORBIDDEN.intersection(found.flags)
    if found.refusal is not None or flags:
        return "the check " + ", ".join(sorted(FLAGS[f] for f in flags or {"kernel"}))
    try:
        compile(check, "<check>", "exec")
    except SyntaxError as exc:
        return f"the check does not parse: {exc.msg}"
    return None


def propose(frames: Mapping[str, Any], teacher: Model, n: int = 10, *, budget: int = 6_000,
            temperature: float | None = None) -> list[Task]:
    """Ask ``teacher`` for ``n`` questions about ``frames`` (name -> DataFrame); return the usable ones.

    Raises
    ------
    ModelBehaviourError
        When the teacher's reply holds no JSON list.
    ModelBackendError
        When the teacher's backend fails.
    """
    prompt = PROPOSAL_PROMPT.format(frames=_summaries(frames, budget), n=n)
    text, _ = complete(teacher, [Message("user", prompt)], GenerationSettings(temperature=temperature))
    return parse_tasks(text)[:n]
