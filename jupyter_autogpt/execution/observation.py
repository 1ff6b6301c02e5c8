"""What the model reads of a step: the ``Observation`` built from what the step left behind.

The one boundary between the kernel and the model in ``execution/``: every text an observation carries is
made valid Unicode (a file name printed raw arrives with lone surrogates, which no JSON writer accepts),
stripped of terminal codes, redacted, then cut to its bound (redacting before cutting, so a cut can never
leave half a secret behind; ``redact`` also removes any piece of a known secret another cut left); display
bundles are bounded by ``outputs`` and made valid and redacted here; so are the answer (when it is text) and
the namespace summaries the executor hands out (``summary``). Tracebacks name library files by their path
inside the installation (``pandas/core/frame.py``), not where Python is installed: shorter, the same on every
machine, and the user's directory layout stays theirs (``traceback_text``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..encoding import valid_data, valid_text
from ..limits import cut_middle
from ..redaction import redact, redact_data
from ..types import ImageData, Observation
from . import outputs

__all__ = ["StepRecord", "clean", "observe", "summary", "traceback_text"]

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True)
class StepRecord:
    """What one step left behind, before redaction and bounds.

    Attributes
    ----------
    stdout, stderr
        The captured streams.
    outputs
        The captured display outputs (objects with ``data``), in the order shown.
    results
        The formatted value of the step's last expression (none, or one).
    error
        What the nested cell raised, if anything.
    tracebacks
        The tracebacks the cell showed (they replace ``error``'s one line when present).
    timeout
        What the model reads when the deadline stopped the step, else ``None``.
    notes
        Notes for the model (hooks the step broke and we restored, a native-call overrun).
    figures
        Figures the step opened and left unshown, as images.
    """

    stdout: str = ""
    stderr: str = ""
    outputs: tuple[Any, ...] = ()
    results: tuple[Any, ...] = ()
    error: BaseException | None = None
    tracebacks: tuple[str, ...] = ()
    timeout: str | None = None
    notes: tuple[str, ...] = ()
    figures: tuple[ImageData, ...] = ()
    duration: float = 0.0
    answered: bool = False
    answer: Any = None
    changed: tuple[str, ...] = ()


def observe(record: StepRecord, chars: int) -> Observation:
    """Return the observation the model reads of ``record``: each text redacted, then cut to ``chars``."""
    displays, images = outputs.displays(record.outputs, chars)
    result_displays, result_images = outputs.displays(record.results, chars)
    result = result_displays[0].get("text/plain") if result_displays else None
    error, error_name = _error(record)
    return Observation(
        stdout=clean(record.stdout, chars),
        stderr=clean("\n".join([record.stderr.rstrip("\n"), *record.notes]).strip("\n"), chars),
        result=clean(str(result), chars) if result is not None else None,
        displays=tuple(redact_data(valid_data(bundle)) for bundle in displays),
        images=result_images + images + record.figures,
        error=traceback_text(error, chars) if error is not None else None,
        error_name=error_name,
        duration=record.duration,
        answered=record.answered,
        answer=_answer(record.answer),
        changed=record.changed,
    )


def _error(record: StepRecord) -> tuple[str | None, str | None]:
    """Return the error text and name of a step (the deadline's wording when it stopped the step)."""
    if record.timeout is not None:
        return record.timeout, "StepTimeout"
    exc = record.error
    if exc is None and not record.tracebacks:
        return None, None
    text = "\n".join(record.tracebacks) if record.tracebacks else f"{type(exc).__name__}: {_text_of(exc)}"
    return text, type(exc).__name__ if exc else "Error"


def _text_of(exc: BaseException | None) -> str:
    """Return ``str(exc)``, or a placeholder when the exception's own ``__str__`` fails."""
    try:
        return str(exc)
    except KeyboardInterrupt:
        raise
    except BaseException:  # a hostile __str__ (raising SystemExit, say) must not break the observation
        return "<str() of the exception failed>"


def _answer(value: Any) -> Any:
    """Return the answer as the run keeps it: text made valid and redacted; any other object as it is."""
    if issubclass(type(value), str):  # type(), not isinstance: an answer's __class__ may be a raising property
        return redact(valid_text(str.__str__(value)))
    return value


def clean(text: str, chars: int) -> str:
    """Return ``text`` as valid Unicode without terminal codes, redacted, then cut to ``chars``."""
    return cut_middle(redact(_ANSI.sub("", valid_text(text or ""))), chars)


def traceback_text(text: str, chars: int) -> str:
    """Return a traceback as ``clean`` does, library files named from their installation folder."""
    text = _ANSI.sub("", valid_text(text or ""))
    for folder in _install_folders():
        text = text.replace(folder, "")
    return clean(text, chars)


@lru_cache(maxsize=1)
def _install_folders() -> tuple[str, ...]:
    """Return the folders Python and its packages are installed in, longest first, each ending in a separator."""
    import os
    import site
    import sysconfig

    found = {sysconfig.get_paths().get(k, "") for k in ("purelib", "platlib", "stdlib", "platstdlib")}
    found.update(site.getsitepackages() if hasattr(site, "getsitepackages") else ())
    found.add(site.getusersitepackages() if hasattr(site, "getusersitepackages") else "")
    return tuple(sorted({os.path.join(f, "") for f in found if f}, key=len, reverse=True))


def summary(text: str) -> str:
    """Return a namespace summary as the model may read it: valid Unicode, redacted (summaries bound themselves)."""
    return redact(valid_text(text))
