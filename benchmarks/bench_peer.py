"""Our agent loop against open-interpreter 0.4.3 on the same scripted task served by the same loopback server.

Both frameworks talk to one ``FakeOpenAIServer`` (tests/support) on 127.0.0.1 that streams the same replies
as token-like pieces: step 1 prints a variable the caller defined, steps 2-9 each run a small computation,
step 10 is a plain prose reply with no code (open-interpreter ends its turn on it; our loop takes it as the
answer). Ours runs in this process (``Agent`` + ``IPythonExecutor`` on an ``InteractiveShell`` +
``OpenAIModel``), as ``bench_loop.py`` does. open-interpreter needs conflicting dependencies, so it runs in its
own venv (``/tmp/oi-venv``, made by ``--setup``) through a small driver script written to a temp file; the
driver times ``interpreter.chat`` itself and refuses any socket connection that is not to 127.0.0.1.

Printed, with ratios open-interpreter / ours:
- wall time per step (whole task / steps) and the median gap between successive requests as the server
  saw them (one step's cycle: stream, parse, run, build the next request), medians over ``--repeat`` warm runs;
- the first (cold) run's total: for open-interpreter it includes starting its Jupyter kernel;
- prompt characters and tokens sent over the task, from the server's recorded request bodies (tokens with
  the server's own estimate, characters / 4), and the number of requests;
- time to import each framework in a fresh interpreter, alone and with the ``openai`` client (ours imports it
  lazily, at the first request; open-interpreter's import already loads it through LiteLLM), median of
  ``--imports``;
- whether the code the model wrote could see a variable defined by the caller (checked from step 1's output).

Run: ``python benchmarks/bench_peer.py [--setup] [--repeat 3] [--imports 3]``
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from IPython.core.interactiveshell import InteractiveShell

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.models.openai import OpenAIModel
from jupyter_autogpt.types import RunConfig
from support.openai_server import FakeOpenAIServer, Fault

OI_VENV = Path("/tmp/oi-venv")
OI_VERSION = "0.4.3"
STEPS = 10
CALLER_VALUE = 271828
TASK = "Show the caller's value, then compute eight partial sums, one per step, and say when you are done."
FINAL = "All done: the caller's value and the eight partial sums are printed above."

PROBE = (
    "try:\n"
    "    print('caller_value =', caller_value)\n"
    "except NameError:\n"
    "    print('caller_value is not defined here')"
)


def step_code(i: int) -> str:
    return f"values_{i} = [x * x for x in range(2000)]\nprint('partial sum', {i}, sum(values_{i}))"


def all_ran(outputs: Sequence[str]) -> bool:
    """Whether every code step printed what it should: the probe's line, then each partial sum."""
    expected = ["caller_value", *(f"partial sum {i} " for i in range(1, STEPS - 1))]
    return len(outputs) == len(expected) and all(e in o for e, o in zip(expected, outputs, strict=True))


def replies() -> list[str]:
    """Nine code steps (the first probes the caller's variable), then a plain prose reply."""
    codes = [PROBE, *(step_code(i) for i in range(1, STEPS - 1))]
    body = [f"Step {n + 1}: let me run this.\n```python\n{code}\n```" for n, code in enumerate(codes)]
    return [*body, FINAL]


class Script:
    """The server's reply source: one task's replies at a time, then a 500 saying the script is used up."""

    def __init__(self) -> None:
        self.pending: list[str] = []

    def load(self, items: Sequence[str]) -> None:
        self.pending = list(items)

    def __call__(self, body: dict[str, Any]) -> str | Fault:
        return self.pending.pop(0) if self.pending else Fault(500, "the benchmark's script is used up")


def content_chars(content: Any) -> int:
    if isinstance(content, list):  # content parts
        return sum(len(str(p.get("text", ""))) for p in content if isinstance(p, dict))
    return len(str(content or ""))


def traffic(server: FakeOpenAIServer, before: int) -> dict[str, Any]:
    """Requests, prompt characters and estimated tokens (the server's formula), and request gaps since ``before``."""
    recs = server.requests[before:]
    chars = [sum(content_chars(m.get("content")) for m in r.body.get("messages", [])) for r in recs]
    gaps = [b.at - a.at for a, b in itertools.pairwise(recs)]
    return {
        "requests": len(recs),
        "chars": sum(chars),
        "tokens": sum(c // 4 + 1 for c in chars),
        "gap": statistics.median(gaps) if gaps else float("nan"),
    }


# ---------------------------------------------------------------------------------------------- ours


def run_ours(shell: InteractiveShell, server: FakeOpenAIServer, script: Script) -> dict[str, Any]:
    for name in [n for n in shell.user_ns if n.startswith("values_")]:  # each run starts from the same namespace
        del shell.user_ns[name]
    script.load(replies())
    before = len(server.requests)
    model = OpenAIModel("bench", base_url=server.base_url, api_key="bench-key")
    agent = Agent(model, IPythonExecutor(shell), RunConfig(model=model.id, max_steps=STEPS))
    started = time.perf_counter()
    run = run_to_completion(agent, TASK)
    elapsed = time.perf_counter() - started
    first = run.steps[0].output if run.steps else ""
    return {
        "seconds": elapsed,
        "completed": (run.status == "finished" and len(run.steps) == STEPS and not script.pending
                      and all_ran([s.output for s in run.steps if s.code])),
        "status": run.summary(),
        "probe": first,
        **traffic(server, before),
    }


# ------------------------------------------------------------------------------------ open-interpreter

DRIVER = r'''
import json, os, socket, sys, time

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
BLOCKED = []
_connect = socket.socket.connect


def _loopback_only(self, address):  # keep every connection on this machine
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        BLOCKED.append(str(host))
        raise OSError(f"bench_peer: connection to {host} refused (loopback only)")
    return _connect(self, address)


socket.socket.connect = _loopback_only
api_base, task, caller = sys.argv[1], sys.argv[2], int(sys.argv[3])
caller_value = caller  # the caller's variable: is it visible to the code the model writes?
out = sys.stdout
sys.stdout = sys.stderr  # keep the framework's prints off the result channel

started = time.perf_counter()
from interpreter import interpreter
import_seconds = time.perf_counter() - started

interpreter.llm.model = "openai/fake-model"
interpreter.llm.api_base = api_base
interpreter.llm.api_key = "bench-key"
interpreter.llm.context_window = 128000
interpreter.llm.max_tokens = 4096
interpreter.auto_run = True
interpreter.offline = True
interpreter.disable_telemetry = True
interpreter.verbose = False

for line in sys.stdin:
    if line.strip() != "run":
        break
    interpreter.messages = []
    error = None
    started = time.perf_counter()
    try:
        messages = interpreter.chat(task, display=False)
    except Exception as exc:  # report it rather than die: the parent prints it
        messages, error = list(interpreter.messages), f"{type(exc).__name__}: {exc}"
    seconds = time.perf_counter() - started
    outputs = [m.get("content", "") for m in messages if m.get("role") == "computer"]
    said = [m.get("content", "") for m in messages if m.get("role") == "assistant" and m.get("type") == "message"]
    out.write("@@RESULT " + json.dumps({
        "seconds": seconds, "import_seconds": import_seconds, "error": error, "outputs": outputs,
        "final": said[-1] if said else "", "blocked": BLOCKED, "messages": len(messages),
    }) + "\n")
    out.flush()
interpreter.computer.terminate()
'''


class OIDriver:
    """open-interpreter in its own venv, one task per ``run()``, in one long-lived subprocess."""

    def __init__(self, server: FakeOpenAIServer, workdir: Path) -> None:
        driver = workdir / "oi_driver.py"
        driver.write_text(DRIVER)
        self.log = (workdir / "oi_driver.log").open("w")
        env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "OPENAI_API_KEY": "bench-key"}
        env.pop("OPENAI_BASE_URL", None)
        self.proc = subprocess.Popen(
            [str(OI_VENV / "bin" / "python"), str(driver), server.base_url, TASK, str(CALLER_VALUE)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, text=True, env=env, cwd=workdir,
        )
        self.logpath = workdir / "oi_driver.log"

    def run(self, server: FakeOpenAIServer, script: Script) -> dict[str, Any]:
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
        result.update(traffic(server, before))
        result["probe"] = result["outputs"][0] if result["outputs"] else ""
        result["completed"] = (not result["error"] and result["requests"] == STEPS and not script.pending
                               and result["final"].strip() == FINAL and all_ran(result["outputs"]))
        result["status"] = (f"error={result['error']} requests={result['requests']} "
                            f"outputs={len(result['outputs'])} final={result['final'][:60]!r}")
        return result

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# ------------------------------------------------------------------------------------------- imports

OURS_IMPORT = (
    "import time; t = time.perf_counter()\n"
    "from jupyter_autogpt.agent import Agent\n"
    "from jupyter_autogpt.execution.ipython import IPythonExecutor\n"
    "from jupyter_autogpt.models.openai import OpenAIModel\n"
    "print(time.perf_counter() - t)\n"
    "import openai\n"
    "print(time.perf_counter() - t)"
)
OI_IMPORT = (
    "import os, time; os.environ['LITELLM_LOCAL_MODEL_COST_MAP'] = 'True'; t = time.perf_counter()\n"
    "from interpreter import interpreter\n"
    "print(time.perf_counter() - t)\n"
    "import openai\n"
    "print(time.perf_counter() - t)"
)


def import_seconds(python: str, code: str, times: int) -> tuple[float, float]:
    """Median seconds to import the framework, and to import it plus the ``openai`` client it needs to run."""
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    bare, full = [], []
    for _ in range(times):
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, check=True)
        first, second = done.stdout.split()[-2:]
        bare.append(float(first))
        full.append(float(second))
    return statistics.median(bare), statistics.median(full)


# ---------------------------------------------------------------------------------------------- main


def setup() -> None:
    python = OI_VENV / "bin" / "python"
    if python.exists():
        check = subprocess.run([str(python), "-m", "pip", "show", "open-interpreter"], capture_output=True, text=True)
        if f"Version: {OI_VERSION}" in check.stdout:
            print(f"{OI_VENV} already has open-interpreter {OI_VERSION}")
            return
    else:
        subprocess.run(["python3", "-m", "venv", str(OI_VENV)], check=True)
    print(f"installing open-interpreter=={OI_VERSION} into {OI_VENV} (about 2 minutes)...", flush=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", f"open-interpreter=={OI_VERSION}", "pandas"],
                   check=True)


def row(name: str, ours: float, oi: float, fmt: str) -> str:
    ratio = f"{oi / ours:8.2f}x" if ours else "       -"
    return f"| {name:<40} | {format(ours, fmt):>10} | {format(oi, fmt):>10} | {ratio} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help=f"create {OI_VENV} with open-interpreter if missing")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs of the task per framework")
    parser.add_argument("--imports", type=int, default=3, help="fresh-interpreter imports per framework")
    args = parser.parse_args()
    if args.setup:
        setup()
    if not (OI_VENV / "bin" / "python").exists():
        sys.exit(f"{OI_VENV} is missing: run with --setup first")

    script = Script()
    shell = InteractiveShell.instance()
    shell.user_ns["caller_value"] = CALLER_VALUE  # the caller's variable, in the user namespace
    ours_runs: list[dict[str, Any]] = []
    oi_runs: list[dict[str, Any]] = []
    with FakeOpenAIServer(default=script) as server, tempfile.TemporaryDirectory(prefix="bench-peer-") as tmp:
        oi = OIDriver(server, Path(tmp))
        try:
            # Interleave the frameworks so background load falls on both alike; run 0 of each is cold.
            for _ in range(args.repeat + 1):
                ours_runs.append(run_ours(shell, server, script))
                oi_runs.append(oi.run(server, script))
        finally:
            oi.close()
    ours_import = import_seconds(sys.executable, OURS_IMPORT, args.imports)
    oi_import = import_seconds(str(OI_VENV / "bin" / "python"), OI_IMPORT, args.imports)

    def med(runs: list[dict[str, Any]], key: str) -> float:
        return statistics.median(r[key] for r in runs[1:])

    def sees(r: dict[str, Any]) -> str:
        return "yes" if f"caller_value = {CALLER_VALUE}" in r["probe"] else "no"

    ours_last, oi_last = ours_runs[-1], oi_runs[-1]
    print(f"scripted task: {STEPS} steps (9 code + 1 prose reply), same loopback server, token-like stream pieces")
    print(f"warm runs: {args.repeat} per framework (medians), after one cold run; imports: median of {args.imports}")
    print()
    print(f"| {'measure':<40} | {'ours':>10} | {'OI 0.4.3':>10} | OI / ours |")
    print(f"| {'-' * 40} | {'-' * 10} | {'-' * 10} | {'-' * 9} |")
    print(row("wall time per step, ms (total / steps)", med(ours_runs, "seconds") * 1000 / STEPS,
              med(oi_runs, "seconds") * 1000 / STEPS, ".1f"))
    print(row("request-to-request gap, ms (median)", med(ours_runs, "gap") * 1000, med(oi_runs, "gap") * 1000, ".1f"))
    print(row("task total, s (warm)", med(ours_runs, "seconds"), med(oi_runs, "seconds"), ".2f"))
    print(row("task total, s (first run, cold)", ours_runs[0]["seconds"], oi_runs[0]["seconds"], ".2f"))
    print(row("requests sent", ours_last["requests"], oi_last["requests"], "d"))
    print(row("prompt chars sent over the task", ours_last["chars"], oi_last["chars"], ",d"))
    print(row("prompt tokens (server est.: chars / 4)", ours_last["tokens"], oi_last["tokens"], ",d"))
    print(row("import framework, s (fresh interpreter)", ours_import[0], oi_import[0], ".2f"))
    print(row("import + openai client, s", ours_import[1], oi_import[1], ".2f"))
    print(f"| {'caller variables visible to the code':<40} | {sees(ours_last):>10} | {sees(oi_last):>10} | {'':>9} |")
    print()
    for name, runs in (("ours", ours_runs), ("open-interpreter", oi_runs)):
        bad = [i for i, r in enumerate(runs) if not r["completed"]]
        if bad:
            print(f"WARNING: {name} did not complete the task in run(s) {bad}: {runs[bad[0]]['status']}")
        else:
            print(f"{name}: completed all {len(runs)} runs; step 1 printed {runs[-1]['probe'].strip()!r}")
    blocked = sorted({h for r in oi_runs for h in r.get("blocked", [])})
    if blocked:
        print(f"note: open-interpreter tried non-loopback hosts (refused): {', '.join(blocked)}")


if __name__ == "__main__":
    main()
