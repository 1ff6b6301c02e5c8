"""While a recording replays: tell the user where a live observation differs from the recorded one.

The replies come from the recording, the code runs live, so a step whose data changed shows something else
than it did when the run was recorded. ``watch`` passes the loop's events through and adds a warning
(``Noticed``) after each step whose output differs, naming the first line that does. Standard library only.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from typing import Any

from ..events import Event, Noticed, RunStarted, StepFinished
from ..limits import clip
from ..redaction import redact
from ..transcript import observation_outputs

__all__ = ["first_difference", "observed_text", "watch"]

#: How much of a differing line a notice quotes.
QUOTED_CHARS = 120


def first_difference(recorded: str, live: str) -> str | None:
    """Return a phrase naming the first line where ``live`` differs from ``recorded``, or ``None`` when equal."""
    old, new = recorded.rstrip().splitlines(), live.rstrip().splitlines()
    if old == new:
        return None
    for was, now in zip(old, new, strict=False):
        if was.rstrip() != now.rstrip():
            return f"recorded {_quote(was)}, now {_quote(now)}"
    if len(old) > len(new):
        return f"it ends after {len(new)} line(s); the recording went on with {_quote(old[len(new)])}"
    return f"it goes on after the recorded {len(old)} line(s) with {_quote(new[len(old)])}"


def observed_text(outputs: list[dict[str, Any]]) -> str:
    """Return what a step showed, as text: streams, the plain text of displays and values, the error's line.

    Built from nbformat outputs (a transcript step's ``outputs``), so a recorded step and a live one are read
    the same way. The loop's own notes to the model (risk flags, changed variables) are left out: they depend
    on what the kernel held before the cell, not on what the code computed.
    """
    parts = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(str(output.get("text", "")))
        elif kind in ("display_data", "execute_result"):
            data = output.get("data") or {}
            images = [m for m in data if m.startswith("image/")]
            parts.append(f"<{images[0]}>" if images else str(data.get("text/plain", "")))
        elif kind == "error":
            parts.append(f"{output.get('ename')}: {output.get('evalue')}")
    return redact("\n".join(p.rstrip("\n") for p in parts))


def _quote(line: str) -> str:
    return repr(clip(redact(line.strip()), QUOTED_CHARS))


def watch(events: Generator[Event, None, None], outputs: Mapping[int, str], opening: str) -> Generator[Event, None, None]:
    """Yield ``events`` with the replay's notices added: ``opening`` after the start, a warning per differing step.

    Whatever the caller throws in (an interrupt, a Stop) or closing this generator reaches the loop itself, so
    ``interrupts.drive`` stops a replayed run exactly as a live one.
    """
    try:
        event = next(events)
    except StopIteration:
        return
    while True:
        for shown in _with_notices(event, outputs, opening):
            try:
                yield shown
            except GeneratorExit:
                events.close()
                raise
            except BaseException as exc:  # thrown in by drive: the loop decides what happens next
                try:
                    event = events.throw(exc)
                except StopIteration:
                    return
                break
        else:
            try:
                event = next(events)
            except StopIteration:
                return


def _with_notices(event: Event, outputs: Mapping[int, str], opening: str) -> Iterator[Event]:
    yield event
    if isinstance(event, RunStarted):
        yield Noticed(0, opening, "info")
    elif isinstance(event, StepFinished) and event.step.code is not None and not event.step.skipped:
        index = event.step.index
        if index not in outputs:
            yield Noticed(index, f"step {index} was not in the recording: the live run went another way", "warning")
            return
        difference = first_difference(outputs[index], observed_text(observation_outputs(event.step.observation)))
        if difference is not None:
            yield Noticed(index, f"step {index} shows something else than when it was recorded (did the data "
                                 f"change?): {difference}", "warning")
