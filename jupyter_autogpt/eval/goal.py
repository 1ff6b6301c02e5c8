"""What the model reads for one task: the question, its constraints, the table and the answer format.

The goal is the body of the ``%%autogpt`` cell, so it reaches the model exactly as a user's goal would.
"""

from __future__ import annotations

import re

from .tasks import Task

__all__ = ["goal_of"]

_NAMES = re.compile(r"@(\w+)\[")


def goal_of(task: Task) -> str:
    """Return the goal text of ``task``: question, constraints, where the data is, and the answer format."""
    parts = [task.question.strip()]
    if task.constraints.strip():
        parts.append("Constraints:\n" + task.constraints.strip())
    parts.append(f"The data is in the CSV file `{task.file_name}` in the current working directory.")
    parts.append("Answer format:\n" + task.format.strip())
    parts.append(_closing(task))
    return "\n\n".join(parts)


def _closing(task: Task) -> str:
    # The format text names the fields; repeating them as a template keeps a model from paraphrasing them.
    # Only the question's own words are used: the labels never reach the model.
    names = list(dict.fromkeys(_NAMES.findall(task.format)))
    if not names:
        return "Finish by calling final_answer with one string that gives the answer in the format above."
    template = " ".join(f"@{name}[…]" for name in names)
    return (
        "Finish by calling final_answer with one string that gives every value in exactly this form, "
        f'the brackets filled in: final_answer("{template}")'
    )
