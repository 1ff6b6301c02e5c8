"""Cost of ``%load_ext jupyter_autogpt`` in fresh kernels, against IPython's own ``%load_ext autoreload``.

Run: ``python benchmarks/bench_load.py [--kernels 5]``
"""

from __future__ import annotations

import argparse
import statistics

from jupyter_client.manager import start_new_kernel

PROBE = (
    "import sys, time\n"
    "t = time.perf_counter(); get_ipython().run_line_magic('load_ext', {ext!r}); dt = time.perf_counter() - t\n"
    "print(dt, ','.join(m for m in ('openai', 'torch', 'transformers', 'ipywidgets', 'pandas') if m in sys.modules))"
)


def measure(ext: str) -> tuple[float, str]:
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        msg_id = kc.execute(PROBE.format(ext=ext))
        out = ""
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            if msg["msg_type"] == "stream":
                out += msg["content"]["text"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        seconds, _, heavy = out.strip().partition(" ")
        return float(seconds), heavy
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", type=int, default=5)
    args = parser.parse_args()
    ours = [measure("jupyter_autogpt") for _ in range(args.kernels)]
    base = [measure("autoreload")[0] for _ in range(args.kernels)]
    mine = statistics.median(t for t, _ in ours)
    theirs = statistics.median(base)
    print(f"%load_ext jupyter_autogpt  median {mine * 1000:7.1f} ms over {args.kernels} fresh kernels")
    print(f"%load_ext autoreload       median {theirs * 1000:7.1f} ms")
    print(f"ratio                      {mine / theirs:7.2f}x")
    print(f"heavy modules after load   {ours[0][1] or 'none'}")


if __name__ == "__main__":
    main()
