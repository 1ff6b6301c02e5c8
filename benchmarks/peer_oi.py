"""open-interpreter 0.4.3 on the pandas task: its own venv (made once by ``--setup``, cached), driven in a subprocess.

The venv lives in ``$XDG_CACHE_HOME/jupyter-autogpt/oi-venv-0.4.3`` (``~/.cache/...``), or where ``--oi-venv``
says; ``setup`` creates it when missing (about 2 minutes; open-interpreter's dependencies conflict with ours, so it
never shares our venv). The driver (``oi_driver.py``) times ``interpreter.chat`` itself and refuses any
connection that is not to 127.0.0.1; it uses the text route (fenced code), streamed by our server as token-like
pieces so its fence parser, which loses a chunk ending in a backtick, sees every code block whole.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from pandas_task import CODES, FINAL, GOAL, STEPS, replies
from realpath import Script, TaskRun

__all__ = ["OIDriver", "default_venv", "setup"]

OI_VERSION = "0.4.3"


def default_venv() -> Path:
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "jupyter-autogpt" / f"oi-venv-{OI_VERSION}"


def setup(venv: Path) -> None:
    """Create ``venv`` with open-interpreter and pandas unless it already has them."""
    python = venv / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-m", "pip", "show", "open-interpreter"], capture_output=True, text=True)
        if f"Version: {OI_VERSION}" in check.stdout:
            return
    else:
        subprocess.run(["python3", "-m", "venv", str(venv)], check=True)
    print(f"installing open-interpreter=={OI_VERSION} into {venv} (about 2 minutes, once)...", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"open-interpreter=={OI_VERSION}", "pandas"],
                   check=True)


class OIDriver:
    """open-interpreter in ``venv``, one task per ``run()``, in one long-lived subprocess working in ``folder``."""

    def __init__(self, venv: Path, base_url: str, folder: Path) -> None:
        driver = Path(__file__).with_name("oi_driver.py")
        self.logpath = folder / "oi_driver.log"
        self.log = self.logpath.open("w")
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENAI_API_KEY": "bench-key"}
        env.pop("OPENAI_BASE_URL", None)
        self.proc = subprocess.Popen(
            [str(venv / "bin" / "python"), str(driver), base_url, GOAL],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env, cwd=folder,
        )

    def run(self, server: Any, script: Script, code_seconds: float) -> TaskRun:
        """Run the task once; ``code_seconds`` is the code's own time, measured by the bare run."""
        script.load(replies())
        before = len(server.requests)
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write("run\n")
        self.proc.stdin.flush()
        for line in self.proc.stdout:
            if line.startswith("@@RESULT "):
                result = json.loads(line[len("@@RESULT "):])
                break
        else:
            raise RuntimeError(f"the open-interpreter driver died; see {self.logpath}:\n"
                               + self.logpath.read_text()[-3000:])
        records = server.requests[before:]
        served = sum((r.done or r.at) - r.at for r in records)
        chars = sum(len(str(m.get("content") or "")) for r in records for m in r.body.get("messages", []))
        outputs = result["outputs"]
        completed = (not result["error"] and len(records) == STEPS and not script.pending and len(outputs) == len(CODES)
                     and not any("Traceback" in o or "Error" in o for o in outputs)
                     and result["final"].strip() == FINAL)
        return TaskRun(result["seconds"], served, code_seconds, len(records), chars, float("nan"), completed)

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()
