"""Run open-interpreter on one task per "run" line of stdin; print each result as one ``@@RESULT`` JSON line.

Runs in open-interpreter's own venv (``peer_oi.py`` starts it): ``python oi_driver.py API_BASE TASK``.
It times ``interpreter.chat`` itself and refuses every connection that is not to this machine.
"""

import json
import os
import socket
import sys
import time

os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"  # or LiteLLM fetches its cost map at import
BLOCKED = []
_connect = socket.socket.connect


def _loopback_only(self, address):  # keep every connection on this machine
    host = address[0] if isinstance(address, tuple) else address
    if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "::1", "localhost"):
        BLOCKED.append(str(host))
        raise OSError(f"oi_driver: connection to {host} refused (loopback only)")
    return _connect(self, address)


def main():
    socket.socket.connect = _loopback_only
    api_base, task = sys.argv[1], sys.argv[2]
    out = sys.stdout
    sys.stdout = sys.stderr  # keep the framework's prints off the result channel
    started = time.perf_counter()
    from interpreter import interpreter

    import_seconds = time.perf_counter() - started
    interpreter.llm.model = "openai/fake-model"  # the text route: fenced code blocks, as our loop reads them
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


if __name__ == "__main__":
    main()
