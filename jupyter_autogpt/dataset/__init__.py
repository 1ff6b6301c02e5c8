"""Training data from recorded runs: each run's requests and replies as chat examples for fine-tuning.

::

    from jupyter_autogpt import dataset
    report = dataset.export("runs.jsonl", ["recordings/", "analysis.ipynb"], only_finished=True)
    ds = dataset.load("runs.jsonl")          # a datasets.DatasetDict: "train" (and "validation")

In a notebook: ``%autogpt dataset export runs.jsonl [--runs PATH ...] [--only-finished] [--min-steps N]``.
Sources are transcript files (``%autogpt export run.json``), folders of them (recordings), saved notebooks
with ``%%autogpt`` outputs, ``Run`` objects, or transcript dicts. See ``conversation`` for what an example
holds and ``export`` for the files written.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .conversation import Example, Unusable, examples_of, is_transcript
from .export import ExportOptions, ExportReport, companions, export_examples
from .sources import Problem, Recorded, read_paths

__all__ = [
    "Example",
    "ExportOptions",
    "ExportReport",
    "Problem",
    "Recorded",
    "Unusable",
    "collect",
    "examples_of",
    "export",
    "is_transcript",
    "load",
]


def collect(sources: Iterable[Any]) -> tuple[list[Recorded], list[Problem]]:
    """Return the runs in ``sources`` (paths, ``Run`` objects, transcript dicts) and what was passed over."""
    found: list[Recorded] = []
    problems: list[Problem] = []
    paths: list[str | Path] = []
    for number, item in enumerate(sources, start=1):
        if isinstance(item, (str, Path)):
            paths.append(item)
        elif isinstance(item, dict):
            found.append(Recorded(item, f"transcript {number}"))
        elif hasattr(item, "steps") and hasattr(item, "goal"):
            from ..transcript import to_dict

            found.append(Recorded(to_dict(item), f"run {getattr(item, 'id', '') or number}"))
        else:
            problems.append(Problem(f"item {number}", f"not a run, transcript or path: {type(item).__name__}"))
    from_files, passed = read_paths(paths)
    return found + from_files, problems + passed


def export(path: str | Path, sources: Iterable[Any], *, only_finished: bool = False, min_steps: int = 0,
           validation: float = 0.1, train_on_errors: bool = False) -> ExportReport:
    """Write the runs of ``sources`` as fine-tuning JSONL at ``path``; return what was written.

    Parameters
    ----------
    path
        The training file (``.jsonl``); ``companions(path)`` gives the validation file and the manifest.
    sources
        Transcript files, folders, notebooks, ``Run`` objects or transcript dicts.
    only_finished, min_steps, validation, train_on_errors
        See ``ExportOptions``.

    Raises
    ------
    ConfigError
        When a path does not exist, nothing gives an example, or a file cannot be written.
    """
    options = ExportOptions(only_finished=only_finished, min_steps=min_steps, validation=validation,
                            train_on_errors=train_on_errors)
    runs, problems = collect(sources)
    return export_examples(path, runs, options, problems)


def load(path: str | Path, cache_dir: str | None = None) -> Any:
    """Return the exported dataset at ``path`` as a ``datasets.DatasetDict`` ("train", and "validation" if any).

    ``cache_dir`` is where ``datasets`` keeps its Arrow copy (default: its own cache folder).
    """
    try:
        import datasets
    except ImportError:
        from ..errors import ConfigError

        raise ConfigError('loading a dataset needs the datasets package: pip install "jupyter-autogpt[learn]"') from None
    validation, _ = companions(path)
    files = {"train": str(path)} | ({"validation": str(validation)} if validation.exists() else {})
    return datasets.load_dataset("json", data_files=files, cache_dir=cache_dir)
