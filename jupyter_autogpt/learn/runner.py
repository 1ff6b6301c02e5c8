"""Run generated tasks through the agent in throwaway kernels that hold a copy of the user's dataframes.

The user's own kernel is never touched: each worker starts a kernel of this Python, loads the frames from a
pickle under their own names (as in the user's notebook, with pandas as pd and numpy as np), and runs each
task as a real ``%%autogpt`` cell, then the teacher's check on fresh copies of the frames, then
``%autogpt export``. Between tasks the namespace is reset and the frames reloaded.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError

__all__ = ["Outcome", "TaskKernel"]

_MARK = "\x00jupyter-autogpt-learn\x00"
_LOAD = """\
import pandas as pd, numpy as np
import pickle as _pickle
with open({frames!r}, "rb") as _file:
    globals().update(_pickle.load(_file))
del _pickle, _file
"""
#: The task kernel's own cells (loading frames, the teacher's checks) are not a user's work: the model must not
#: read them as what the user did (``history = 0``), least of all the previous task's check and its answer.
_START = ("%load_ext jupyter_autogpt\n%config AutoGPTMagics.view = 'none'\n%config AutoGPTMagics.insert_cells = False\n"
          "%config AutoGPTMagics.history = 0")
_VERDICT = """\
def _learn_verdict():
    import json, pickle
    from jupyter_autogpt import last_run
    from jupyter_autogpt.learn.verify import agree
    run = last_run()
    with open({frames!r}, "rb") as file:
        namespace = {{"pd": pd, "np": np, **pickle.load(file)}}
    found = {{"status": run.status, "answer": run.answer_text()[:500]}}
    try:
        exec({check!r}, namespace)
        reference = namespace["answer"]
    except BaseException as exc:
        return {{**found, "verified": False, "reason": f"the check failed: {{type(exc).__name__}}: {{exc}}"}}
    ok, why = agree(run.answer, reference) if run.status == "finished" else (False, f"the run ended {{run.status}}")
    return {{**found, "verified": ok, "reason": why, "reference": repr(reference)[:500]}}
print({mark!r} + __import__("json").dumps(_learn_verdict()))
"""


@dataclass(frozen=True)
class Outcome:
    """What running one task gave: the run's status and answer, whether it was verified, and its transcript."""

    question: str
    status: str
    answer: str
    verified: bool
    reason: str
    transcript: str | None = None
    reference: str | None = None


class TaskKernel:
    """A kernel of this Python that holds a copy of the user's frames and runs tasks as ``%%autogpt`` cells."""

    def __init__(self, frames_file: Path, env: dict[str, str] | None = None, timeout: float = 600.0) -> None:
        from jupyter_client.manager import KernelManager

        self.frames_file, self.timeout = frames_file, timeout
        self.manager = KernelManager(kernel_name="python3")
        self.manager.start_kernel(env={**os.environ, "MPLBACKEND": "Agg", **(env or {})})
        self.client = self.manager.client()
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=60)
            self.execute(_START)
        except BaseException:
            self.close()
            raise

    def execute(self, code: str) -> str:
        """Run ``code``; return what it printed. Raises ``ConfigError`` when it fails."""
        printed: list[str] = []
        failure: list[str] = []

        def hook(msg: dict[str, Any]) -> None:
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])
            elif msg["msg_type"] == "error":
                failure.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        self.client.execute_interactive(code, timeout=self.timeout, output_hook=hook, allow_stdin=False)
        if failure:
            raise ConfigError(f"the task kernel failed: {failure[0]}")
        return "".join(printed)

    def run(self, goal: str, options: str, check: str, transcript: Path) -> Outcome:
        """Run ``goal`` as a ``%%autogpt`` cell with ``options``; verify it with ``check``; export its transcript."""
        self.execute("%reset -f\n" + _LOAD.format(frames=str(self.frames_file)))
        self.execute(f"%%autogpt {options}\n{goal}")
        printed = self.execute(_VERDICT.format(frames=str(self.frames_file), check=check, mark=_MARK))
        verdict = json.loads(printed.rpartition(_MARK)[2])
        self.execute(f"get_ipython().run_line_magic('autogpt', 'export ' + {str(transcript)!r})")
        return Outcome(goal, verdict["status"], verdict["answer"], bool(verdict.get("verified")),
                       verdict.get("reason", ""), str(transcript), verdict.get("reference"))

    def close(self) -> None:
        """Stop the kernel."""
        try:
            self.client.stop_channels()
        finally:
            self.manager.shutdown_kernel(now=True)

    def __enter__(self) -> TaskKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
