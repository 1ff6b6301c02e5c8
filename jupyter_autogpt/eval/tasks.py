"""Load a task folder laid out as InfiAgent-DABench's dev set: questions, labels and the CSV tables.

The layout (the public DABench dev set runs from a local copy, unchanged)::

    PATH/da-dev-questions.jsonl   {"id", "question", "concepts", "constraints", "format", "file_name", "level"}
    PATH/da-dev-labels.jsonl      {"id", "common_answers": [[name, value], ...]}
    PATH/da-dev-tables/*.csv      the tables the questions name in ``file_name``

Standard library only: loading a folder never imports pandas, IPython or a model SDK.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["LABELS", "QUESTIONS", "TABLES", "DatasetError", "Task", "load_tasks", "select"]

QUESTIONS = "da-dev-questions.jsonl"
LABELS = "da-dev-labels.jsonl"
TABLES = "da-dev-tables"
_REQUIRED = ("id", "question", "format", "file_name")
#: How many offending ids an error names before it says "and N more".
_SHOWN = 5


class DatasetError(ValueError):
    """The task folder is missing a file, or a file does not hold what the layout promises."""


@dataclass(frozen=True)
class Task:
    """One question with its table and its expected answers (``labels``: name -> value, as text)."""

    id: int | str
    question: str
    format: str
    file_name: str
    table: Path
    labels: tuple[tuple[str, str], ...]
    constraints: str = ""
    concepts: tuple[str, ...] = ()
    level: str = ""

    @property
    def key(self) -> str:
        """Return the id as text: how filters, recordings and transcripts name the task."""
        return str(self.id)


def load_tasks(folder: str | Path) -> list[Task]:
    """Return the tasks of ``folder`` in the order of its questions file.

    Raises
    ------
    DatasetError
        When a file is missing or malformed, a question has no label, or a table is missing; the message
        names the file, line or ids at fault.
    """
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise DatasetError(f"no task folder at {root}: expected a folder holding {QUESTIONS}, {LABELS} and {TABLES}/")
    questions = list(_records(root / QUESTIONS))
    labels = {str(record["id"]): _answers(record, root / LABELS) for record in _records(root / LABELS)}
    _check_ids(questions, labels, root)
    tables = root / TABLES
    tasks = [_task(record, labels[str(record["id"])], tables) for record in questions]
    missing = sorted({t.file_name for t in tasks if not t.table.is_file()})
    if missing:
        raise DatasetError(f"{len(missing)} table(s) missing from {tables}: {_some(missing)}")
    return tasks


def select(tasks: Sequence[Task], ids: Iterable[str] = (), limit: int | None = None) -> list[Task]:
    """Return the tasks whose id is in ``ids`` (all when empty), at most ``limit`` of them, in order.

    Raises
    ------
    DatasetError
        When an id in ``ids`` names no task (a typo would otherwise silently measure less).
    """
    wanted = [str(i) for i in ids]
    known = {t.key for t in tasks}
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise DatasetError(f"no task with id {_some(unknown)} (ids run from {tasks[0].key} to {tasks[-1].key})")
    chosen = [t for t in tasks if not wanted or t.key in wanted]
    return chosen if limit is None else chosen[:limit]


def _records(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the JSON objects of a JSONL file; a blank line is skipped, anything else must be an object."""
    if not path.is_file():
        raise DatasetError(f"{path.name} is missing from {path.parent} (the DABench dev layout needs it)")
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except ValueError as exc:
                raise DatasetError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(record, dict) or "id" not in record:
                raise DatasetError(f"{path}:{number}: expected a JSON object with an 'id'")
            yield record


def _answers(record: dict[str, Any], path: Path) -> tuple[tuple[str, str], ...]:
    pairs = record.get("common_answers")
    if not isinstance(pairs, list) or not pairs or not all(isinstance(p, list) and len(p) == 2 for p in pairs):
        raise DatasetError(f"{path}: label {record['id']!r} needs 'common_answers': [[name, value], ...]")
    return tuple((str(name), _text(value)) for name, value in pairs)


def _text(value: Any) -> str:
    # DABench stores every value as text; a number written as a JSON number is read the same way.
    return value if isinstance(value, str) else json.dumps(value)


def _check_ids(questions: list[dict[str, Any]], labels: dict[str, Any], root: Path) -> None:
    if not questions:
        raise DatasetError(f"{root / QUESTIONS} holds no questions")
    ids = [str(q["id"]) for q in questions]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise DatasetError(f"{QUESTIONS} repeats id {_some(repeated)}: each question needs its own id")
    unlabelled = [i for i in ids if i not in labels]
    if unlabelled:
        raise DatasetError(f"{len(unlabelled)} question(s) have no label in {root / LABELS}: id {_some(unlabelled)}")
    for record in questions:
        absent = [name for name in _REQUIRED if not isinstance(record.get(name), (str, int)) or record[name] == ""]
        if absent:
            raise DatasetError(f"{QUESTIONS}: question {record['id']!r} lacks {', '.join(absent)}")


def _task(record: dict[str, Any], labels: tuple[tuple[str, str], ...], tables: Path) -> Task:
    concepts = record.get("concepts") or ()
    file_name = str(record["file_name"])
    if Path(file_name).name != file_name:
        raise DatasetError(f"{QUESTIONS}: question {record['id']!r} names {file_name!r}, not a file in {TABLES}/")
    return Task(
        id=record["id"],
        question=str(record["question"]),
        format=str(record["format"]),
        file_name=file_name,
        table=tables / file_name,
        labels=labels,
        constraints=str(record.get("constraints") or ""),
        concepts=tuple(str(c) for c in concepts) if isinstance(concepts, list) else (str(concepts),),
        level=str(record.get("level") or ""),
    )


def _some(items: Sequence[str]) -> str:
    """Return the first few of ``items`` joined, and how many more there are."""
    shown = ", ".join(items[:_SHOWN])
    return shown + (f" and {len(items) - _SHOWN} more" if len(items) > _SHOWN else "")
