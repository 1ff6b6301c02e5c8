"""A task family a tiny model can learn in seconds: the same question about a different table each time.

Every task asks for the mean of the ``value`` column of its own CSV (DABench layout, ``@mean_value[value]``
answers), so one reply solves them all: read the one CSV in the working folder, average the column, answer in
the closed form. Held-out tasks share the template and differ in data: rows, values, and the file's name
(a random four-digit one, so a model cannot lean on any). A model that learnt the family solves them; one
that did not (a random model) fails them all.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from pathlib import Path

__all__ = ["CORPUS", "SOLUTION", "build_base", "write_family", "write_replies"]

QUESTION = "What is the mean of the `value` column?"
CONSTRAINTS = "Use every row. Round the mean to two decimal places."
FORMAT = '@mean_value[value] where "value" is the mean rounded to two decimal places.'
SOLUTION = (
    "I will read the table in the working folder and average its value column.\n"
    "```python\nimport glob\nimport pandas as pd\ndf = pd.read_csv(glob.glob('*.csv')[0])\n"
    "final_answer(f\"@mean_value[{df['value'].mean():.2f}]\")\n```"
)


def _corpus() -> tuple[str, ...]:
    from jupyter_autogpt.prompts import SYSTEM_PROMPT

    return (SYSTEM_PROMPT, SOLUTION, QUESTION, CONSTRAINTS, FORMAT,
            "The data is in the CSV file `data_1234.csv` in the current working directory.",
            "Finish by calling final_answer with one string that gives every value in exactly this form",
            "Goal:\nThe kernel's namespace:\n(the namespace holds no user variables yet)")


#: Text for the tiny model's tokenizer, so prompts and the reply take few tokens.
CORPUS = _corpus()


def write_family(folder: str | Path, ids: Iterable[int], seed: int = 0) -> Path:
    """Write tasks ``ids`` of the family to ``folder`` in the DABench dev layout; return the folder."""
    import pandas as pd

    root = Path(folder)
    tables = root / "da-dev-tables"
    tables.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    questions, labels = [], []
    for task in ids:
        rows = rng.randint(4, 12)
        frame = pd.DataFrame({"group": [rng.choice("abc") for _ in range(rows)],
                              "value": [round(rng.uniform(0, 100), 2) for _ in range(rows)]})
        name = f"data_{rng.randrange(1000, 10000)}.csv"  # names vary as data does: a model must not lean on them
        frame.to_csv(tables / name, index=False)
        mean = pd.read_csv(tables / name)["value"].mean()  # what any reader of the file computes
        questions.append({"id": task, "question": QUESTION, "concepts": ["Summary Statistics"],
                          "constraints": CONSTRAINTS, "format": FORMAT, "file_name": name, "level": "easy"})
        labels.append({"id": task, "common_answers": [["mean_value", f"{mean:.2f}"]]})
    (root / "da-dev-questions.jsonl").write_text("".join(json.dumps(q) + "\n" for q in questions))
    (root / "da-dev-labels.jsonl").write_text("".join(json.dumps(a) + "\n" for a in labels))
    return root


def write_replies(folder: str | Path, ids: Iterable[int]) -> Path:
    """Write a recording per task (``replay:FOLDER`` for the harness): the one reply that solves it."""
    root = Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    for task in ids:
        (root / f"{task}.json").write_text(json.dumps([SOLUTION]))
    return root


def build_base(folder: str | Path) -> Path:
    """Save the family's tiny random base model: a tokenizer that knows the prompts, weights that can learn.

    transformers' default init (0.02) leaves a tiny model's logits too flat for LoRA to sharpen behind a final
    norm it does not train; 0.2 lets it. The window (2,048 tokens) must hold the prompt (~500 tokens) twice
    over: the backend keeps half of it for the reply, and a prompt that does not fit is compacted.
    """
    from .tiny_models import CORPUS as BASE_CORPUS
    from .tiny_models import build_random_model

    return build_random_model(folder, corpus=BASE_CORPUS + CORPUS, vocab_size=800, initializer_range=0.2)
