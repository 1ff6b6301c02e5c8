"""One table of what jupyter-autogpt costs, each figure against a baseline measured in the same run.

Rows (see benchmarks/README.md for how each is measured):

1. framework overhead per step of the real path (a kernel, ``%%autogpt`` with its widget view and cells channel):
   wall time minus the model server's time minus the code's own time, on the scripted 10-step pandas task, against
   open-interpreter 0.4.3 on the same task and server, and against a bare client + ``run_cell`` in a kernel;
2. prompt characters sent over that task (a fresh kernel's first run), against open-interpreter;
3. ``%load_ext jupyter_autogpt`` against ``%load_ext autoreload``, and the first run's first request after its cell
   started, against a bare stdlib client's in a fresh kernel;
4. ``summarize`` against ``describe(include="all")`` on a 5M-row mixed frame;
5. local generation: tokens/s and time to first token of the transformers backend against bare ``model.generate``
   (a tiny random Llama on CPU; on a CUDA GPU also ``--config 1b``: the fast path, bare generate, the roofline).

Run: ``python benchmarks/run.py --quick`` (under 3 minutes on 2 cores) or ``python benchmarks/run.py`` (more
repeats); ``--setup`` first creates open-interpreter's venv (cached, see ``peer_oi.py``); ``--no-peer`` skips it.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "tests")]

from pandas_task import STEPS, write_data  # noqa: E402
from table import Row, render  # noqa: E402

TARGETS = {"overhead": 10.0, "first_request": 300.0, "prompt": 0.6}


def real_path(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    """Measure rows 1-3: ours and the bare baseline in two kernels, open-interpreter in its venv."""
    from peer_oi import OIDriver, default_venv
    from realpath import Script, bare_task, kernel, load_ext_seconds, our_task

    from support.openai_server import FakeOpenAIServer

    script, found = Script(), {}
    with FakeOpenAIServer(default=script, keep_alive=True) as server:
        env = {"OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "bench-key"}
        with kernel(folder, env) as ours, kernel(folder, env) as bare:
            found["load_ext"] = load_ext_seconds(ours, "jupyter_autogpt")
            found["load_ext_base"] = load_ext_seconds(bare, "autoreload")
            bare_runs = [bare_task(bare, server, script)]  # each kernel's first run is cold: rows 2 and 3
            code = bare_runs[0].code
            our_runs = [our_task(ours, server, script, code)]
            for _ in range(args.repeat):  # warm runs, interleaved so background load falls on both alike
                bare_runs.append(bare_task(bare, server, script))
                our_runs.append(our_task(ours, server, script, bare_runs[-1].code))
        found["ours"], found["bare"] = our_runs, bare_runs
        code = statistics.median(r.code for r in bare_runs[1:])
        if args.peer:
            oi = OIDriver(args.oi_venv or default_venv(), server.base_url, folder)
            try:
                found["oi"] = [oi.run(server, script, code) for _ in range(args.peer_repeat + 1)]
            finally:
                oi.close()
    return found


def context_rows(rows: int, repeat: int) -> list[Row]:
    """Row 4: ``summarize`` against ``describe(include="all")`` on the same frame, same process."""
    from bench_context import mixed_frame, timed

    from jupyter_autogpt.execution.summaries import summarize

    df = mixed_frame(rows)
    ours = timed(lambda: summarize(df), repeat)
    theirs = timed(lambda: df.describe(include="all"), repeat)
    return [Row(f"summarize, {rows / 1e6:g}M-row frame (s)", ours, "describe(include='all')", theirs, "≤ 0.05×",
                ours / theirs <= 0.05, ".4f")]


def generation_rows(args: argparse.Namespace) -> list[Row]:
    """Row 5: the transformers backend against bare ``generate``, tiny on CPU; 1B on a GPU when there is one."""
    import contextlib
    import io

    import bench_transformers

    def bench(*extra: str) -> dict[str, Any]:
        with contextlib.redirect_stdout(io.StringIO()):
            return bench_transformers.main([*extra, "--repeats", str(args.gen_repeats), "--threads", "2"])

    tiny = bench("--config", "tiny", "--device", "cpu")
    ttft, bare_ttft = tiny["stream_ttft_ms"], tiny["bare_ttft_ms"]
    rows = [Row("local tokens/s, tiny Llama, CPU", tiny["stream_tok_s"], "bare generate", tiny["bare_tok_s"],
                "≥ 0.95×", tiny["stream_tok_s"] >= 0.95 * tiny["bare_tok_s"], ".0f"),
            Row("local time to first token, CPU (ms)", ttft, "bare generate", bare_ttft, "< +20 ms",
                ttft - bare_ttft < 20, ".1f")]
    import torch

    if not torch.cuda.is_available():
        return [*rows, Row.note("local generation, ~1B Llama bf16, GPU", "no GPU lent")]
    big = bench("--config", "1b", "--device", "cuda")
    return [*rows,
            Row("fast path tokens/s, 1B bf16, GPU", big["fast_tok_s"], "bare generate", big["bare_tok_s"], "", None,
                ".0f"),
            Row("fast path, share of the bandwidth roofline", big["fast_roofline"], "roofline", 1.0, "", None, ".2f")]


def real_path_rows(found: dict[str, Any]) -> list[Row]:
    ours, bare = found["ours"], found["bare"]
    ms = statistics.median(r.overhead_per_step for r in ours[1:]) * 1000
    bare_ms = statistics.median(r.overhead_per_step for r in bare[1:]) * 1000
    rows = []
    if "oi" in found:
        oi_ms = statistics.median(r.overhead_per_step for r in found["oi"][1:]) * 1000
        rows.append(Row("overhead per step, ms (median, warm)", ms, "open-interpreter 0.4.3", oi_ms,
                        f"≤ {TARGETS['overhead']:g} ms", ms <= TARGETS["overhead"], ".1f"))
    rows.append(Row("overhead per step, ms (median, warm)", ms, "bare client + run_cell", bare_ms,
                    f"≤ {TARGETS['overhead']:g} ms", ms <= TARGETS["overhead"], ".1f"))
    if "oi" in found:
        chars, oi_chars = ours[0].chars, found["oi"][-1].chars
        rows.append(Row("prompt characters over the task", chars, "open-interpreter 0.4.3", oi_chars,
                        f"≤ {TARGETS['prompt']:g}×", chars <= TARGETS["prompt"] * oi_chars, ",d"))
    rows.append(Row("%load_ext, ms", found["load_ext"] * 1000, "%load_ext autoreload", found["load_ext_base"] * 1000,
                    "", None, ".1f"))
    first, bare_first = ours[0].first_request * 1000, bare[0].first_request * 1000
    rows.append(Row("first request after the cell starts, ms", first, "bare stdlib client", bare_first,
                    f"≤ {TARGETS['first_request']:g} ms", first <= TARGETS["first_request"], ".0f"))
    return rows


def incomplete(found: dict[str, Any]) -> list[str]:
    """Return a warning for each framework that did not complete every run of the task."""
    return [f"WARNING: {name} did not complete run(s) {[i for i, r in enumerate(runs) if not r.completed]}"
            for name, runs in found.items() if isinstance(runs, list) and not all(r.completed for r in runs)]


def headline(found: dict[str, Any], rows: list[Row]) -> str:
    ms = statistics.median(r.overhead_per_step for r in found["ours"][1:]) * 1000
    text = f"headline: {ms:.1f} ms framework overhead per step of the real path"
    if "oi" in found:
        oi_ms = statistics.median(r.overhead_per_step for r in found["oi"][1:]) * 1000
        text += f", {oi_ms / ms:.0f}× less than open-interpreter's {oi_ms:.0f} ms"
        text += f", with {found['ours'][0].chars / found['oi'][-1].chars:.2f}× its prompt characters"
    text += f"; first request {found['ours'][0].first_request * 1000:.0f} ms after the cell starts"
    met = {r.measure: r.met for r in rows if r.met is not None}  # the overhead row is one target, two baselines
    return text + f"; targets met {sum(met.values())}/{len(met)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats: under 3 minutes on 2 cores")
    parser.add_argument("--setup", action="store_true", help="create open-interpreter's venv if missing (once)")
    parser.add_argument("--oi-venv", type=Path, default=None, help="open-interpreter's venv (default: the cache)")
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="skip open-interpreter")
    parser.add_argument("--rows", type=int, default=5_000_000, help="rows of the frame of row 4")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    parser.add_argument("--verbose", action="store_true", help="print each run's overhead too")
    args = parser.parse_args(argv)
    args.repeat, args.peer_repeat, args.gen_repeats = (11, 2, 5) if args.quick else (31, 5, 10)
    from peer_oi import default_venv, setup

    venv = args.oi_venv or default_venv()
    if args.setup:
        setup(venv)
    if args.peer and not (venv / "bin" / "python").exists():
        sys.exit(f"open-interpreter's venv {venv} is missing: run with --setup once (or --no-peer)")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="autogpt-bench-") as tmp:
        write_data(Path(tmp))
        found = real_path(args, Path(tmp))
    rows = real_path_rows(found)
    if args.verbose:
        for name in ("ours", "bare", "oi"):
            per_step = [f"{r.overhead_per_step * 1000:.1f}" for r in found.get(name, [])]
            print(f"{name}: overhead per step of each run, ms (the first cold): {' '.join(per_step)}")
    rows += context_rows(args.rows, 1 if args.quick else 3)
    rows += generation_rows(args)
    print(f"scripted {STEPS}-step pandas task, one loopback server; warm medians of {args.repeat} runs "
          f"({args.peer_repeat} for open-interpreter) after a cold one; {time.perf_counter() - started:.0f} s")
    print(render(rows))
    for warning in incomplete(found):
        print(warning)
    print(headline(found, rows))
    if args.json:
        args.json.write_text(json.dumps({"rows": [r.as_dict() for r in rows]}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
