"""Fault injection in a real kernel: nothing the model or its code does may hang, kill or corrupt the session.

One kernel serves the whole module (a fresh loopback model server per test, reached through
``--base-url``). Every test runs ``%%autogpt`` from inside a cell of the user's own code through
``_probe``, which also compares every hook the executor touches before and after the run, and then asserts:
the kernel is alive, the user's variables are intact, the run ended with a clear status, and the model
saw a useful observation (read from the NEXT request the server received).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest

from conftest import SECRET_KEY
from support.kernels import code, execute, interrupt_until_replied, running_kernel
from support.openai_server import Drop, FakeOpenAIServer, Fault

pytestmark = pytest.mark.kernel

PROBE = r'''
import builtins as _b, getpass as _g, json as _j, signal as _s, sys as _sys
def _hooks():
    ip = get_ipython()
    return (_sys.displayhook, _b.input, _b.print, _g.getpass, _s.getsignal(_s.SIGINT),
            vars(ip).get("_showtraceback"), ip.display_trap.hook)
def _probe(line, goal):
    _check(lambda: get_ipython().run_cell_magic("autogpt", line, goal))
def _check(start):
    before = _hooks()
    run = start()
    after = _hooks()
    print("@@" + _j.dumps({
        "status": run.status, "error": run.error, "answer": run.answer_text(), "steps": len(run.steps),
        "outputs": [s.output for s in run.steps], "flags": [list(s.flags) for s in run.steps],
        "hooks_restored": [a is b for a, b in zip(before, after)], "final_answer_gone": "final_answer" not in globals(),
        "mine": mine, "frame_ok": frame.shape == (3, 2) and list(frame.a) == [1, 2, 3],
    }))
'''
SETUP = "import pandas as pd\nmine = [1, 2, 3]\nframe = pd.DataFrame({'a': [1, 2, 3], 'b': list('xyz')})"


@pytest.fixture(scope="module")
def kernel() -> Iterator[tuple[object, object]]:
    with running_kernel(OPENAI_API_KEY=SECRET_KEY, OPENAI_BASE_URL=None) as (km, kc):
        execute(kc, PROBE + "\n" + SETUP)
        execute(kc, "%load_ext jupyter_autogpt")
        yield km, kc


def probe(kc, server: FakeOpenAIServer, goal: str, options: str = "", timeout: float = 60) -> dict:
    """Run ``goal`` through ``_probe`` in the kernel and return its report; assert the session survived."""
    line = f"--model openai:gpt-4o-mini --base-url {server.base_url} --max-steps 6 {options}"
    return checked(kc, execute(kc, f"_probe({line!r}, {goal!r})", timeout=timeout))


def checked(kc, printed: str) -> dict:
    """Return the report ``_check`` printed in the kernel; assert the session survived the run."""
    report = next((json.loads(x[2:]) for x in printed.splitlines() if x.startswith("@@")), None)
    assert report is not None, printed
    assert all(report["hooks_restored"]), report["hooks_restored"]
    assert report["final_answer_gone"] and report["mine"] == [1, 2, 3] and report["frame_ok"]
    assert execute(kc, "print(40 + 2)").strip() == "42"  # the kernel is alive and answers
    return report


def seen(server: FakeOpenAIServer, request: int) -> str:
    """Return the text of the last message of one request (what the model read last)."""
    content = server.requests[request].body["messages"][-1]["content"]
    return content if isinstance(content, str) else json.dumps(content)


# -- generated code that misbehaves ---------------------------------------------------------------------


def test_python_loops_sleeps_and_swallowed_interrupts_are_timed_out(kernel, openai_server) -> None:
    _, kc = kernel
    swallow = "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except KeyboardInterrupt:\n        pass"
    openai_server.queue(code("while True:\n    pass"), code("import time\ntime.sleep(60)"), code(swallow),
                        code("final_answer('recovered')"))
    report = probe(kc, openai_server, "loop forever", "--timeout 0.5")  # how fast: benchmarks/bench_faults.py
    assert report["status"] == "finished" and report["answer"] == "recovered"
    for request in (1, 2):
        assert "StepTimeout" in seen(openai_server, request) and "0.5s timeout" in seen(openai_server, request)
    assert "caught the interrupt" in seen(openai_server, 3)


def test_a_native_call_that_ignores_interrupts_is_reported_as_an_overrun(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(code("import re\nre.match(r'(a+)+$', 'a' * 26 + 'b')"), code("final_answer('done')"))
    report = probe(kc, openai_server, "match", "--timeout 0.3")
    assert report["status"] == "finished"
    observation = seen(openai_server, 1)
    # the timer thread needs the interpreter the native call holds, so which wording lands is a race
    assert "native call" in observation
    assert "only be stopped when that call returned" in observation or "it finished on its own" in observation
    assert "line 2" in observation  # where it was stuck, from the watchdog


def test_kernel_killers_and_session_wipers_are_refused(kernel, openai_server) -> None:
    _, kc = kernel
    steps = ["import os\nos._exit(1)", "%reset -f", "get_ipython().run_line_magic('xdel', 'frame')",
             "%%autogpt\nrecurse", "exit", "globals().clear()"]
    openai_server.queue(*[code(s) for s in steps], code("final_answer('alive')"))
    report = probe(kc, openai_server, "try to break things", "--max-steps 8")
    assert report["status"] == "finished" and report["answer"] == "alive"
    for request, what in enumerate(("os._exit", "%reset", "%xdel", "%autogpt", "exit", "globals.clear"), start=1):
        assert "Refused before running" in seen(openai_server, request) and what in seen(openai_server, request)
    assert all("kernel" in flags for flags in report["flags"][:6])


def test_aliased_kernel_killers_are_refused_too(kernel, openai_server) -> None:
    _, kc = kernel
    steps = ["from os import _exit\n_exit(0)", "import os as o\no.kill(o.getpid(), 9)", "ip = get_ipython()\nip.ask_exit()",
             "from sys import exit as bye\nbye(0)", "import signal as s\ns.raise_signal(s.SIGTERM)",
             "k = get_ipython().kernel\nk.do_shutdown(False)"]
    openai_server.queue(*[code(s) for s in steps], code("final_answer('alive')"))
    report = probe(kc, openai_server, "try to break things", "--max-steps 8")
    assert report["status"] == "finished" and report["answer"] == "alive" and report["steps"] == 7
    for request, what in enumerate(("os._exit", "os.kill", "ask_exit", "sys.exit", "raise_signal", "do_shutdown"),
                                   start=1):
        assert "Refused before running" in seen(openai_server, request) and what in seen(openai_server, request)
    assert all(flags == ["kernel"] for flags in report["flags"][:6])


def test_widget_views_and_huge_rich_outputs_stay_out_of_the_export(kernel, openai_server, tmp_path) -> None:
    _, kc = kernel
    openai_server.queue(
        code("import ipywidgets\nslider = ipywidgets.IntSlider(value=3)\ndisplay(slider)\n"
             "from IPython.display import HTML\ndisplay({'text/html': '<i>' + 'y' * 300_000 + '</i>'}, raw=True)"),
        code("final_answer('shown')"),
    )
    report = probe(kc, openai_server, "show a slider")
    assert report["status"] == "finished"
    target = tmp_path / "run.ipynb"
    execute(kc, f"get_ipython().run_line_magic('autogpt', 'export {target}')")
    saved = target.read_text()
    assert "widget-view+json" not in saved and "IntSlider(value=3)" in saved
    assert "y" * 1000 not in saved and "not kept: larger than" in saved
    execute(kc, "del slider")


def test_input_and_top_level_await_get_an_error_not_a_hang(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(code("name = input('name? ')"), code("import asyncio\nawait asyncio.sleep(0)"),
                        code("final_answer('ok')"))
    report = probe(kc, openai_server, "ask me")
    assert report["status"] == "finished"
    assert "no interactive input" in seen(openai_server, 1)
    assert "top-level `await`" in seen(openai_server, 2)


def test_huge_output_is_bounded_in_what_the_model_reads(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(code("print('x' * 2_000_000)"), code("final_answer('ok')"))
    report = probe(kc, openai_server, "print a lot")
    assert report["status"] == "finished"
    assert len(seen(openai_server, 1)) < 6_000 and "characters" in seen(openai_server, 1)


def test_shell_lines_run_and_are_flagged_and_marked(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(code("listing = !echo shell-ran\nprint(listing)"), code("final_answer('ok')"))
    report = probe(kc, openai_server, "use the shell")
    assert report["flags"][0] == ["subprocess"]
    assert "shell-ran" in seen(openai_server, 1) and "Flagged by the risk policy" in seen(openai_server, 1)


def test_undo_restores_rebound_and_deleted_variables(kernel, openai_server) -> None:
    _, kc = kernel
    execute(kc, "keep_me = {'v': 1}\nalso = 'original'")
    openai_server.queue(code("keep_me = None\ndel also\nglobals()['mine'] = 'clobbered'"), code("final_answer(1)"))
    line = f"--model openai:gpt-4o-mini --base-url {openai_server.base_url}"
    execute(kc, f"_r = get_ipython().run_cell_magic('autogpt', {line!r}, 'clobber things')")
    message = execute(kc, "print(get_ipython().run_line_magic('autogpt', 'undo'))")
    assert "restored 3 variable(s)" in message and "also (deleted)" in message and "keep_me (rebound)" in message
    assert "In-place changes" in message
    printed = execute(kc, "print(keep_me, also, mine)")
    assert printed.strip() == "{'v': 1} original [1, 2, 3]"
    assert "nothing to undo" in execute(kc, "print(get_ipython().run_line_magic('autogpt', 'undo'))")


# -- model-side faults ------------------------------------------------------------------------------------


def test_malformed_replies_are_handled_with_notes_and_bounded_re_asks(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(
        "",  # empty: re-asked
        "Looking.\n```python\nfirst = 1\n```\nand\n```python\nsecond = 2\n```",  # two blocks: the first runs
        "Cut:\n```python\nthird = 3\n",  # never closed: runs as received
        "Which column do you want me to use?",  # a question: one re-ask
        code("final_answer(first + third)"),
    )
    report = probe(kc, openai_server, "add things")
    assert report["status"] == "finished" and report["answer"] == "4"
    assert "empty" in seen(openai_server, 1)
    assert "only the first ran" in seen(openai_server, 2)
    assert "not closed" in seen(openai_server, 3)
    assert "Nobody can answer questions" in seen(openai_server, 4)
    assert "second" not in execute(kc, "print(dir())")


def test_a_premature_answer_about_a_dataframe_gets_one_re_ask(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue("The sum is 6.", "Still 6.")  # the second prose reply is accepted as the answer
    report = probe(kc, openai_server, "What is the sum of column a in frame?")
    assert report["status"] == "finished" and report["answer"] == "Still 6."
    assert "before running any code" in seen(openai_server, 1) and "frame" in seen(openai_server, 1)


def test_re_asks_count_toward_max_steps(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue("", "", code("x_step = 1"))
    report = probe(kc, openai_server, "g", "--max-steps 2")
    assert report["status"] == "max_steps" and len(openai_server.requests) == 2


def test_the_repeat_detector_stops_a_model_stuck_on_failing_code(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.default = code("1 / 0")
    report = probe(kc, openai_server, "divide")
    assert report["status"] == "failed" and "same failing code" in report["error"]
    assert "failed again" in seen(openai_server, 2)


def test_token_and_cost_budgets_stop_the_run(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.default = code("y_step = 1")
    report = probe(kc, openai_server, "g", "--max-tokens 20")
    assert report["status"] == "max_steps" and "token budget" in report["error"]
    count = len(openai_server.requests)
    report = probe(kc, openai_server, "g", "--max-cost 0.00001")
    assert report["status"] == "max_steps" and "cost budget" in report["error"] and "$" in report["error"]
    assert len(openai_server.requests) == count + 1


def test_auth_errors_end_the_run_with_a_one_line_fix(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(Fault(401, f"Incorrect API key provided: {SECRET_KEY}"))
    report = probe(kc, openai_server, "g")
    assert report["status"] == "failed" and "OPENAI_API_KEY" in report["error"]
    assert "\n" not in report["error"] and SECRET_KEY not in report["error"]
    assert len(openai_server.requests) == 1  # a refused key is not retried


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(Fault(429, retry_after=1), Fault(503), code("final_answer('through')"))
    report = probe(kc, openai_server, "g")  # the wait Retry-After asks for: benchmarks/bench_faults.py
    assert report["status"] == "finished" and report["steps"] == 1  # HTTP retries are not steps
    assert len(openai_server.requests) == 3


def test_request_timeouts_end_the_run_clearly(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.default = lambda body: (time.sleep(1.0), "too late")[1]
    src = (
        "from jupyter_autogpt.models.openai import OpenAIModel\nfrom jupyter_autogpt.types import RunConfig\n"
        "magics = get_ipython().magics_manager.registry['AutoGPTMagics']\n"
        f"_m = OpenAIModel('gpt-4o-mini', base_url={openai_server.base_url!r}, request_timeout=0.3, max_retries=1)\n"
        "_t = magics.session.run('g', RunConfig(model=_m.id), model=_m)\n"
        "print('@@', _t.status, '|', _t.error, '|', 'final_answer' in globals(), mine)"
    )
    printed = execute(kc, src)
    assert "@@ failed | cannot reach" in printed and "Timeout" in printed and "False [1, 2, 3]" in printed
    assert len(openai_server.requests) == 2  # one request and one retry by the client


def test_a_context_overflow_compacts_the_history_and_retries_once(kernel, openai_server) -> None:
    _, kc = kernel
    overflow = Fault(400, "This model's maximum context length is 8192 tokens", "context_length_exceeded")
    openai_server.queue(code("print('y' * 3000)"), overflow, code("final_answer('fits')"))
    report = probe(kc, openai_server, "g", "--context-chars 4000")
    assert report["status"] == "finished" and report["answer"] == "fits"
    sizes = [len(json.dumps(r.body["messages"])) for r in openai_server.requests]
    assert sizes[2] < sizes[1]
    openai_server.queue(overflow, overflow)
    report = probe(kc, openai_server, "g")
    assert report["status"] == "failed" and "even after compacting" in report["error"]


def test_a_content_filter_ends_the_run_with_the_servers_reason(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(Fault(400, "The response was filtered due to the content management policy", "content_filter"))
    report = probe(kc, openai_server, "g")
    assert report["status"] == "failed" and "filtered" in report["error"]


def test_a_stream_dropped_mid_reply_is_asked_again_once(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(Drop(code("partial = 1"), after=4), code("final_answer('whole')"))
    line = f"--model openai:gpt-4o-mini --base-url {openai_server.base_url}"
    src = (
        "from jupyter_autogpt.events import Noticed\n_seen = []\n"
        "_ms = get_ipython().magics_manager.registry['AutoGPTMagics'].session\n"
        "_ms.renderer_factories.append(lambda config: type('R', (), {'handle': lambda s, e: _seen.append(e), "
        "'close': lambda s: None})())\n"
        f"_probe({line!r}, 'g')\n_ms.renderer_factories.clear()\n"
        "print('@@levels', [e.level for e in _seen if isinstance(e, Noticed)])"
    )
    printed = execute(kc, src)
    assert '"status": "finished"' in printed and "@@levels ['retry']" in printed
    assert len(openai_server.requests) == 2


# -- faults in our own code, runs in a row, secrets ------------------------------------------------------


def test_a_failure_inside_our_own_code_restores_every_hook(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(code("touched = 1"))
    execute(kc, "from jupyter_autogpt.agent import Agent, run_to_completion\n"
                "from jupyter_autogpt.execution.deadline import Deadline\n"
                "from jupyter_autogpt.execution.ipython import IPythonExecutor\n"
                "from jupyter_autogpt.models.openai import OpenAIModel\n"
                "from jupyter_autogpt.types import RunConfig\n"
                "class _Broken(Deadline):\n    def __enter__(self): raise RuntimeError('injected fault in our code')\n"
                f"_model = OpenAIModel('gpt-4o-mini', base_url={openai_server.base_url!r})\n"
                "_broken_run = lambda: run_to_completion(Agent(_model, IPythonExecutor(get_ipython(), deadline=_Broken), "
                "RunConfig(model=_model.id, max_steps=6)), 'g')")
    report = checked(kc, execute(kc, "_check(_broken_run)"))
    assert report["status"] == "failed" and "injected fault" in report["error"]
    assert "touched" not in execute(kc, "print(dir())")


def test_a_failing_renderer_is_dropped_and_the_run_goes_on(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(code("final_answer('rendered without it')"))
    execute(kc, "_ms = get_ipython().magics_manager.registry['AutoGPTMagics'].session\n"
                "class _Bad:\n    def handle(self, e): raise ValueError('renderer bug')\n    def close(self): pass\n"
                "_ms.renderer_factories.append(lambda config: _Bad())")
    try:
        report = probe(kc, openai_server, "g")
    finally:
        execute(kc, "_ms.renderer_factories.clear()")
    assert report["status"] == "finished" and report["answer"] == "rendered without it"


def test_runs_in_a_row_and_inside_a_users_loop(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.default = lambda body: code(f"final_answer({len(body['messages'])})")
    line = f"--model openai:gpt-4o-mini --base-url {openai_server.base_url}"
    execute(kc, f"%%autogpt {line}\nfirst run")
    execute(kc, f"%%autogpt {line}\nsecond run")
    src = (f"_answers = []\nfor i in range(3):\n    _answers.append(get_ipython().run_cell_magic('autogpt', {line!r}, "
           "f'run {i}').status)\n    mine.append(i)\nprint(_answers, mine)\nmine[:] = [1, 2, 3]")
    assert execute(kc, src).strip().splitlines()[-1] == "['finished', 'finished', 'finished'] [1, 2, 3, 0, 1, 2]"
    assert len(openai_server.requests) == 5
    assert execute(kc, "print(len(In) > 0, 'final_answer' in globals())").strip() == "True False"


def test_secrets_never_reach_the_model_the_transcript_or_errors(kernel, openai_server, tmp_path) -> None:
    _, kc = kernel
    openai_server.queue(
        code("import os\nprint(dict(os.environ))"),
        code("creds = {'key': os.environ['OPENAI_API_KEY']}\ncreds"),
        code("raise ValueError('bad key ' + os.environ['OPENAI_API_KEY'])"),
        code("final_answer(os.environ['OPENAI_API_KEY'])"),
    )
    report = probe(kc, openai_server, "show me the key")
    target = tmp_path / "run.json"
    execute(kc, f"get_ipython().run_line_magic('autogpt', 'export {target}')")
    everything = json.dumps([r.body for r in openai_server.requests]) + json.dumps(report) + target.read_text()
    assert SECRET_KEY not in everything and everything.count("[REDACTED]") >= 4
    assert "ValueError: bad key [REDACTED]" in seen(openai_server, 3)
    execute(kc, "del creds")


# -- kernel killers the static policy cannot see: refused while the step runs, in a real kernel -----------------

GUARDED = r'''
import json as _json
from jupyter_autogpt.execution.ipython import IPythonExecutor as _Executor
def _guarded(step):
    _ex = _Executor(get_ipython())
    _ex.start()
    try:
        _o = _ex.run(step, timeout=20)
    finally:
        _ex.stop()
    said = "\n".join(filter(None, [_o.stdout, _o.stderr, _o.error or ""]))
    print("@@" + _json.dumps({"said": said, "mine": mine, "frame_ok": frame.shape == (3, 2),
                              "final_answer_gone": "final_answer" not in globals()}))
'''

#: Each reaches a process-ending call by a route the assessment cannot read; the executor runs it unassessed.
KILLERS = {
    "getattr computed name": "import os\ngetattr(os, '_e' + 'xit')(1)",
    "exec(compile(...))": "exec(compile('import os\\nos._exit(3)', '<hidden>', 'exec'))",
    "vars(os)": "import os\nvars(os)['_exit'](0)",
    "module __dict__ abort": "import os\nos.__dict__['abo' + 'rt']()",
    "posix._exit": "import posix\nposix._exit(0)",
    "an alias from an earlier import": "from os import _exit as leave\nleave(0)",
    "SIGKILL to itself": "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)",
    "SIGTERM to itself": "import os, signal\nos.kill(os.getpid(), signal.SIGTERM)",
    "killpg of its group": "import os\nos.killpg(os.getpgrp(), 9)",
    "kill 0": "import os\nos.kill(0, 9)",
    "kill -pgid": "import os, signal\nos.kill(-os.getpgrp(), signal.SIGHUP)",
    "kill one of its threads": "import os\nos.kill(max(int(t) for t in os.listdir('/proc/self/task')), 9)",
    "raise_signal": "import signal\nsignal.raise_signal(signal.SIGQUIT)",
    "pthread_kill": "import signal, threading\nsignal.pthread_kill(threading.main_thread().ident, signal.SIGKILL)",
    "pidfd": "import os, signal\nsignal.pidfd_send_signal(os.pidfd_open(os.getpid()), signal.SIGKILL)",
    "a timer thread holding _exit": "import os, threading\nt = threading.Timer(0.01, os._exit, (0,))\nt.start()\nt.join()",
    "execv": "import os, sys\nos.execv(sys.executable, [sys.executable, '-c', 'pass'])",
    "execlp": "import os\nos.execlp('sh', 'sh', '-c', 'exit 0')",
    "faulthandler segfault": "import faulthandler\nfaulthandler._sigsegv()",
    "faulthandler null read": "import faulthandler\nfaulthandler._read_null()",
    "alarm without a handler": "import signal, time\nsignal.alarm(1)\ntime.sleep(2)",
    "setitimer without a handler": "import signal, time\nsignal.setitimer(signal.ITIMER_REAL, 0.2)\ntime.sleep(1)",
    "SIG_DFL for SIGINT": "import signal\nsignal.signal(signal.SIGINT, signal.SIG_DFL)",
    "recursion past the C stack": "import sys\nsys.setrecursionlimit(10**6)\nx = []\nfor _ in range(300_000):\n"
                                  "    x = [x]\nrepr(x)",
    "RLIMIT_CPU": "import resource\nresource.setrlimit(resource.RLIMIT_CPU, (1, 1))",
    "RLIMIT_NOFILE lowered": "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (8, 8))",
    "exit_now": "setattr(get_ipython(), 'exit' + '_now', True)",
    "ask_exit": "getattr(get_ipython(), 'ask_' + 'exit')()",
    "do_shutdown": "getattr(get_ipython().kernel, 'do_' + 'shutdown')(False)",
    # processes the step starts: the seccomp filter answers EPERM
    "os.system kill -9 pid": ("import os\nstatus = os.system(f'kill -9 {os.getpid()}')  # its words go to the kernel's fd 2\n"
                              "print('not permitted: kill failed' if os.waitstatus_to_exitcode(status) == 1 else status)"),
    "os.system kill $PPID": "import os\nprint(os.popen('kill -9 $PPID 2>&1').read())",
    "subprocess kill": ("import os, subprocess\n"
                        "print(subprocess.run(['kill', '-KILL', str(os.getpid())], capture_output=True, text=True))"),
    "shell kill 0": "import subprocess\nprint(subprocess.run('kill -9 0', shell=True, capture_output=True, text=True))",
    "/bin/kill -- -pgid": ("import os, subprocess\n"
                           "print(subprocess.run(['/bin/kill', '-TERM', '--', f'-{os.getpgrp()}'], capture_output=True))"),
    "!kill $PPID": "print(get_ipython().getoutput('kill -9 $PPID'))",
    "!pkill -f its connection file": ("import os\nfrom ipykernel import get_connection_file\n"
                                      "mark = os.path.basename(get_connection_file())\n"
                                      "print(get_ipython().getoutput('pkill -9 -f ' + mark))"),
    "a python child": ("import os, subprocess, sys\nkill = f'import os; os.kill({os.getpid()}, 9)'\n"
                       "print(subprocess.run([sys.executable, '-c', kill], capture_output=True, text=True).stderr)"),
    "a forked child": ("import os\npid = os.fork()\nif pid == 0:\n    try:\n        os.kill(os.getppid(), 9)\n"
                       "    except OSError as e:\n        os.write(2, str(e).encode())\n    os._exit(0)\nos.waitpid(pid, 0)\n"
                       "print('Operation not permitted: the child could not')"),
    "os.spawnlp": "import os\nprint(os.spawnlp(os.P_WAIT, 'kill', 'kill', '-9', str(os.getpid())), 'not permitted')",
    "multiprocessing fork": ("import multiprocessing as mp, os\n"
                             "p = mp.get_context('fork').Process(target=os.kill, args=(os.getpid(), 9))\n"
                             "p.start()\np.join()\nprint('not permitted' if p.exitcode else 'ran', p.exitcode)"),
}


@pytest.fixture(scope="module")
def guarded_kernel(kernel) -> tuple[object, object]:
    km, kc = kernel
    # A kernel started from a terminal has every signal at its default; one started under nohup or from a
    # background job inherits SIGHUP or SIGQUIT ignored, which the guard rightly lets through as harmless.
    execute(kc, "import signal as _s\nfor _n in (_s.SIGHUP, _s.SIGQUIT):\n    _s.signal(_n, _s.SIG_DFL)")
    execute(kc, GUARDED)
    return km, kc


@pytest.mark.parametrize("step", KILLERS.values(), ids=KILLERS.keys())
def test_a_kernel_killer_the_assessment_cannot_see_is_refused_and_the_kernel_answers(guarded_kernel, step: str) -> None:
    km, kc = guarded_kernel
    printed = execute(kc, f"_guarded({step!r})", timeout=60)
    report = next((json.loads(x[2:]) for x in printed.splitlines() if x.startswith("@@")), None)
    assert report is not None and km.is_alive(), printed
    assert report["mine"] == [1, 2, 3] and report["frame_ok"] and report["final_answer_gone"]
    said = report["said"]
    assert "Refused while running" in said or "not permitted" in said.lower(), said
    assert execute(kc, "print(40 + 2)").strip() == "42"


def test_a_step_that_swallows_the_timeout_while_threads_come_and_go_leaves_the_kernel_alive(guarded_kernel) -> None:
    """The deadline's watchdog dump crashed the kernel (a segfault, within a few such steps) when threads started
    and ended meanwhile; it is now cancelled once the deadline's timer shows nothing holds the interpreter."""
    km, kc = guarded_kernel
    src = (
        "import threading as _th\n_stop = []\n"
        "def _churn():\n    while not _stop:\n        _t = _th.Thread(target=len, args=((),))\n"
        "        _t.start()\n        _t.join()\n"
        "_churners = [_th.Thread(target=_churn, daemon=True) for _ in range(2)]\n[c.start() for c in _churners]\n"
        "_ex = _Executor(get_ipython())\n_swallow = 'import time\\nwhile True:\\n    try:\\n        time.sleep(0.05)\\n"
        "    except KeyboardInterrupt:\\n        pass'\n"
        "_names = [_ex.run(_swallow, timeout=0.1).error_name for _ in range(8)]\n_stop.append(1)\nprint(set(_names))"
    )
    assert execute(kc, src, timeout=120).strip() == "{'StepTimeout'}" and km.is_alive()
    assert execute(kc, "print(40 + 2)").strip() == "42"


def test_computed_kernel_killers_in_a_real_run_are_refused_and_the_run_goes_on(kernel, openai_server) -> None:
    _, kc = kernel
    steps = ["import os\ngetattr(os, '_e' + 'xit')(0)", "get_ipython().run_cell('%reset -f')",
             "get_ipython().run_cell('%%autogpt\\nstart another agent')", "getattr(globals(), 'cl' + 'ear')()",
             "import os\nos.system(f'kill -9 {os.getpid()}')\nprint('after the kill')"]
    openai_server.queue(*[code(s) for s in steps], code("final_answer('alive')"))
    report = probe(kc, openai_server, "try to break things", "--max-steps 8")
    assert report["status"] == "finished" and report["answer"] == "alive" and report["steps"] == 6
    for request, what in enumerate(("os._exit", "%reset", "%autogpt", "wiped the user's namespace"), start=1):
        assert what in seen(openai_server, request), seen(openai_server, request)
    assert "after the kill" in seen(openai_server, 5)


# -- whose interrupt, in a real kernel ------------------------------------------------------------------------


def test_a_step_raising_keyboard_interrupt_itself_does_not_stop_the_run(kernel, openai_server) -> None:
    _, kc = kernel
    openai_server.queue(code("raise KeyboardInterrupt"), code("final_answer('went on')"))
    report = probe(kc, openai_server, "g")
    assert report["status"] == "finished" and report["answer"] == "went on"
    assert "raised KeyboardInterrupt itself" in seen(openai_server, 1)


def test_the_interrupt_button_during_a_step_stops_it_and_keeps_the_answer_it_gave(guarded_kernel, openai_server) -> None:
    km, kc = guarded_kernel
    step = (  # tells the test it runs with a request the loopback server records, then waits for the interrupt
        "final_answer(42)\nimport time, urllib.request\ntry:\n"
        f"    urllib.request.urlopen(urllib.request.Request({openai_server.base_url + '/marker'!r}, data=b'{{}}'))\n"
        "except Exception:\n    pass\ntime.sleep(60)"
    )
    msg_id = kc.execute(
        "from jupyter_autogpt.execution.base import StepInterrupted\n_ex = _Executor(get_ipython())\n_ex.start()\n"
        f"try:\n    _ex.run({step!r})\nexcept StepInterrupted as _e:\n"
        "    print('@@interrupted', _e.observation.answered, _e.observation.answer)\nfinally:\n    _ex.stop()"
    )
    assert openai_server.wait_for_requests(1, timeout=60)
    reply = interrupt_until_replied(km, kc, msg_id)  # a press landing in the closed response's finalizer is lost
    text = ""
    while True:
        msg = kc.get_iopub_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text += msg["content"]["text"]
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    assert reply["content"]["status"] == "ok" and "@@interrupted True 42" in text, text
    assert execute(kc, "print(40 + 2, 'final_answer' in globals())").strip() == "42 False"


# -- hostile namespace objects, secrets in pieces, broken Unicode: in a real kernel -------------------------------

HOSTILE_OBJECTS = r'''
import time as _time
class _RaisingClass:
    @property
    def __class__(self):
        raise RuntimeError("no class")
class _ExitingRepr:
    def __repr__(self):
        raise SystemExit("bye")
class _SleepingRepr:
    def __repr__(self):
        _time.sleep(120)
        return "late"
class _KillingRepr:
    def __repr__(self):
        import os
        getattr(os, "_e" + "xit")(0)
hostile_class, hostile_exit, hostile_sleep, hostile_kill = _RaisingClass(), _ExitingRepr(), _SleepingRepr(), _KillingRepr()
'''


def test_hostile_namespace_objects_neither_stop_nor_hold_a_run(kernel, openai_server) -> None:
    _, kc = kernel
    execute(kc, HOSTILE_OBJECTS)
    try:
        openai_server.queue(code("final_answer('started')"))
        report = probe(kc, openai_server, "look around")
        assert report["status"] == "finished" and report["answer"] == "started"
        first = seen(openai_server, 0)
        assert "hostile_sleep: " in first and "took longer than" in first
        assert all(f"{n}: " in first for n in ("hostile_class", "hostile_exit", "hostile_kill", "mine", "frame"))
        assert execute(kc, "import jupyter_autogpt\nprint(jupyter_autogpt.last_run().status)").strip() == "finished"
    finally:
        execute(kc, "del hostile_class, hostile_exit, hostile_sleep, hostile_kill")


def test_a_secret_held_in_a_frame_reaches_the_model_in_no_piece(kernel, openai_server) -> None:
    _, kc = kernel
    execute(kc, "import os\ncreds = pd.DataFrame({'service': ['llm', 'db'], 'key': [os.environ['OPENAI_API_KEY'], 'x']})\n"
                "notes = 'rotate ' + os.environ['OPENAI_API_KEY'] + ' monthly ' * 400")
    try:
        openai_server.queue(code("print(creds)\nprint(creds.key.str[:20])\ncreds"), code("final_answer('checked')"))
        probe(kc, openai_server, "check the creds frame")
        sent = json.dumps([r.body for r in openai_server.requests])
        assert not [SECRET_KEY[i : i + 8] for i in range(len(SECRET_KEY) - 7) if SECRET_KEY[i : i + 8] in sent]
        assert "creds: pandas.DataFrame" in sent
    finally:
        execute(kc, "del creds, notes")


def test_text_that_is_not_valid_unicode_never_breaks_a_run_or_its_export(kernel, openai_server, tmp_path) -> None:
    _, kc = kernel
    execute(kc, "odd_name = 'report_\\udcff.csv'")
    try:
        openai_server.queue(code("import sys\nprint(odd_name)\nprint('half \\ud83d', file=sys.stderr)\nodd_name"),
                            code("final_answer(odd_name)"))
        report = probe(kc, openai_server, "show the odd name")
        assert report["status"] == "finished" and report["answer"] == "report_\ufffd.csv"
        target = tmp_path / "run.json"
        execute(kc, f"get_ipython().run_line_magic('autogpt', 'export {target}')")
        assert "report_\ufffd.csv" in target.read_text(encoding="utf-8")
    finally:
        execute(kc, "del odd_name")
