"""Guards around a step on a real InteractiveShell: hooks and builtins restored, deadlines, cleanup under interrupts."""

from __future__ import annotations

import builtins
import getpass
import os
import signal
import sys
import threading
from types import FrameType
from typing import Any

import pytest

from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution import children, deadline, guards, killers, leftovers, patches, refusing, shell_routes, signals
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import RunConfig
from support.replies import code


def hooks(ip) -> tuple:
    """Return everything a step's guard replaces or restores, to compare before and after a step."""
    import _signal
    import posix
    import subprocess
    import warnings

    return (sys.displayhook, builtins.input, builtins.print, getpass.getpass, signal.getsignal(signal.SIGINT),
            vars(ip).get("_showtraceback"), ip.display_trap.hook, vars(ip).get("run_cell"), vars(ip).get("reset"),
            ip.magics_manager.magics["line"].get("reset"), ip.magics_manager.magics["cell"].get("autogpt"),
            ip._trait_validators.get("exit_now"), os._exit, posix._exit, os.kill, os.system, os.fork, signal.signal,
            _signal.signal, signal.alarm, sys.setrecursionlimit, subprocess.Popen.__init__, warnings.filterwarnings,
            warnings.simplefilter, os.getcwd(), sys.getrecursionlimit(), sys.gettrace(),
            signal.getitimer(signal.ITIMER_REAL)[0] > 0, tuple(warnings.filters), guards.step_running())


def test_a_step_that_breaks_builtins_and_the_interrupt_handler_is_repaired(ip) -> None:
    before = hooks(ip)
    executor = IPythonExecutor(ip)
    obs = executor.run("import builtins, signal\nbuiltins.print = None\nsignal.signal(signal.SIGINT, signal.SIG_IGN)")
    assert hooks(ip) == before
    assert "replaced builtins print" in obs.stderr and "SIGINT handler" in obs.stderr


class BrokenDeadline(deadline.Deadline):
    """A deadline that fails as it starts, inside the guarded region: a fault in our own code."""

    def __enter__(self) -> deadline.Deadline:
        raise RuntimeError("injected")


def test_a_failure_inside_the_guarded_region_restores_every_hook(ip) -> None:
    before = hooks(ip)
    model = ScriptedModel([code("never = 1")])
    agent = Agent(model, IPythonExecutor(ip, deadline=BrokenDeadline), RunConfig(model="scripted"))
    run = run_to_completion(agent, "g")
    assert run.status == "failed" and "injected" in (run.error or "")
    assert hooks(ip) == before and "final_answer" not in ip.user_ns and "never" not in ip.user_ns


def test_deadline_interrupts_loops_and_escalates_past_swallowed_interrupts(ip) -> None:
    executor = IPythonExecutor(ip)
    swallow = "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass"
    obs = executor.run(swallow, timeout=0.3)
    assert obs.error_name == "StepTimeout" and "caught the interrupt" in (obs.error or "")
    assert executor.run("print('still fine')").stdout == "still fine\n"


def test_the_watchdogs_dump_is_cancelled_when_nothing_holds_the_interpreter(ip) -> None:
    """Its dump walks every thread unlocked and crashed the process while threads came and went: only a native
    call that holds the interpreter (the deadline's timer then runs late) may leave it armed."""
    made: list[deadline.Deadline] = []

    def recording(timeout: float | None) -> deadline.Deadline:
        made.append(deadline.Deadline(timeout))
        return made[-1]

    swallow = "import time\nwhile True:\n    try:\n        time.sleep(0.05)\n    except KeyboardInterrupt:\n        pass"
    obs = IPythonExecutor(ip, deadline=recording).run(swallow, timeout=0.2)
    assert obs.error_name == "StepTimeout" and made[0].escalated and made[0].stuck_at == ""
    native = IPythonExecutor(ip, deadline=recording).run("import re\nre.match(r'(a+)+$', 'a' * 25 + 'b')", timeout=0.2)
    assert "native call" in (native.error or "") + native.stderr and "line 2" in made[1].stuck_at


#: The modules of the step's guards: the hook guard and its parts, the deadline, and the cleanup they share.
CLEANUP_FILES = frozenset(m.__file__ for m in (guards, deadline, patches, signals, leftovers, killers, shell_routes, children,
                                               refusing))


def cleaning_up(frame: FrameType | None) -> bool:
    """Return whether ``frame`` runs inside a guard's ``__exit__`` or ``close`` (directly or in what they call)."""
    while frame is not None:
        if frame.f_code.co_filename in CLEANUP_FILES and frame.f_code.co_name in {"__exit__", "close"}:
            return True
        frame = frame.f_back
    return False


class InterruptAt:
    """A real trace function that raises ``exc`` at the ``at``-th line the guards run while cleaning up.

    Every line of ``CLEANUP_FILES`` that runs inside a guard's ``__exit__`` or ``close`` counts (the deadline's,
    the hook guard's and the executor's second-chance ``close`` calls), so stepping ``at`` from 0 lands the
    interrupt on each of them in turn, as a SIGINT or an asynchronous ``StepTimeout`` could. (The timeout's
    wording, also in ``deadline.py``, runs after the deadline has closed, where no ``StepTimeout`` can land.)
    """

    def __init__(self, at: int, exc: type[BaseException]) -> None:
        self.at, self.exc = at, exc
        self.lines, self.fired = 0, False

    def __call__(self, frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in CLEANUP_FILES:
            return None
        return self.line if cleaning_up(frame) else None

    def line(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            self.lines += 1
            if self.lines - 1 == self.at:
                self.fired = True
                raise self.exc()
        return self.line


def live_deadline_timers() -> list[threading.Timer]:
    """Return the deadline timers that could still fire (not cancelled, not done)."""
    return [
        t for t in threading.enumerate()
        if isinstance(t, threading.Timer) and isinstance(getattr(t.function, "__self__", None), deadline.Deadline)
        and not t.finished.is_set()
    ]


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, deadline.StepTimeout])
def test_an_interrupt_landing_anywhere_in_the_cleanup_still_restores_every_hook_and_stops_the_deadline(
    ip, interrupt: type[BaseException]
) -> None:
    before = hooks(ip)
    executor = IPythonExecutor(ip)
    at = 0
    while True:
        inject = InterruptAt(at, interrupt)
        sys.settrace(inject)
        try:
            obs = executor.run(f"cleaned_up = {at}", timeout=60)
        except KeyboardInterrupt:
            assert interrupt is KeyboardInterrupt and inject.fired  # the user's interrupt still ends the run
        else:
            # a StepTimeout is never the agent's to catch: wherever it lands, it is this step's observation
            assert not inject.fired or (interrupt is deadline.StepTimeout and obs.error_name == "StepTimeout"), at
        finally:
            sys.settrace(None)
        assert hooks(ip) == before, f"a hook stayed ours after an interrupt at cleanup line {at}"
        assert live_deadline_timers() == [], f"the deadline kept a timer after an interrupt at cleanup line {at}"
        if not inject.fired:
            break
        at += 1
    assert at > 20 and ip.user_ns["cleaned_up"] == at  # every line was hit; the last run had no interrupt
    assert executor.run("1 / 0").error_name == "ZeroDivisionError"




# -- global state a step leaves behind: restored, and the model told -----------------------------------------------


LEFTOVERS = {
    "working directory": ("import os\nos.chdir(os.path.expanduser('~'))", "working directory"),
    "%cd": ("%cd /", "working directory"),
    "warnings ignored": ("import warnings\nwarnings.simplefilter('ignore')", "warning filters"),
    "warnings as errors": ("import warnings\nwarnings.filterwarnings('error', category=UserWarning)", "warning filters"),
    "warnings reset": ("import warnings\nwarnings.resetwarnings()", "warning filters"),
    "showwarning": ("import warnings\nwarnings.showwarning = lambda *a, **k: None", "how warnings are shown"),
    "trace function": ("import sys\nsys.settrace(lambda *a: None)", "trace or profile function"),
    "profile function": ("import threading\nthreading.setprofile(lambda *a: None)", "trace or profile function"),
    "pandas option": ("import pandas as pd\npd.set_option('display.max_columns', 2)", "pandas option display.max_columns"),
    "numpy print": ("import numpy as np\nnp.set_printoptions(precision=1)", "numpy print options"),
    "numpy errors": ("import numpy as np\nnp.seterr(all='raise')", "np.seterr"),
    "recursion limit": ("import sys\nsys.setrecursionlimit(3000)", "recursion limit to 3,000"),
    "signal handler": ("import signal\nsignal.signal(signal.SIGTERM, lambda *a: None)", "handlers of SIGTERM"),
    "timer": ("import signal\nsignal.signal(signal.SIGALRM, lambda *a: None)\nsignal.setitimer(signal.ITIMER_REAL, 30)",
              "set a timer"),
    "blocked signals": ("import signal\nsignal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})", "blocked signals"),
    "final_answer redefined": ("def final_answer(value):\n    return value", "rebound or deleted `final_answer`"),
    "final_answer deleted": ("del final_answer", "rebound or deleted `final_answer`"),
    "guarded function replaced": ("import os\nos.kill = print", "replaced process functions kill"),
}


@pytest.mark.parametrize(("step", "note"), LEFTOVERS.values(), ids=LEFTOVERS.keys())
def test_global_state_a_step_changes_is_restored_and_noted(ip, step: str, note: str) -> None:
    import numpy  # imported before the step: its options are the user's
    import pandas

    before = hooks(ip)
    options = (pandas.get_option("display.max_columns"), numpy.get_printoptions(), numpy.geterr())
    executor = IPythonExecutor(ip)
    executor.start()
    try:
        obs = executor.run(step)
        bound = ip.user_ns.get("final_answer")
        executor.run("final_answer(42)")
    finally:
        executor.stop()
    assert obs.error is None and note in obs.stderr, obs.stderr
    assert hooks(ip) == before and "final_answer" not in ip.user_ns
    assert options == (pandas.get_option("display.max_columns"), numpy.get_printoptions(), numpy.geterr())
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL and signal.pthread_sigmask(signal.SIG_BLOCK, []) == set()
    assert bound is executor.answer._bound and executor.answer.last == 42  # the run's own final_answer works again


def test_filters_a_module_installs_as_it_is_imported_are_kept(ip, tmp_path) -> None:
    import warnings

    (tmp_path / "noisy_lib.py").write_text("import warnings\nwarnings.filterwarnings('ignore', message='noisy_lib says')\n")
    sys.path.insert(0, str(tmp_path))
    try:
        obs = IPythonExecutor(ip).run("import noisy_lib")
        assert any(f[1] is not None and f[1].pattern == "noisy_lib says" for f in warnings.filters)
        assert "warning filters" not in obs.stderr
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("noisy_lib", None)
        warnings.filters[:] = [f for f in warnings.filters if not (f[1] is not None and f[1].pattern == "noisy_lib says")]


WIPES = {
    "globals().clear by a computed name": "getattr(globals(), 'cl' + 'ear')()",
    "user_ns.clear through getattr": "ns = getattr(get_ipython(), 'user' + '_ns')\nns.clear()",
    "vars().clear": "vars().clear()",
    "a loop of del": "for _name in list(globals()):\n    del globals()[_name]",
    "popitem until empty": "list(map(lambda _, g=globals(): g.popitem(), range(len(globals()))))",
    "namespace object replaced": "get_ipython().user_ns = {}",
}


@pytest.mark.parametrize("step", WIPES.values(), ids=WIPES.keys())
def test_a_wiped_namespace_is_put_back(ip, step: str) -> None:
    ip.user_ns["mine"] = marker = object()
    ns = ip.user_ns
    obs = IPythonExecutor(ip).run(step)
    assert ip.user_ns is ns and ip.user_ns["mine"] is marker and "In" in ip.user_ns and "get_ipython" in ip.user_ns
    assert "wiped the user's namespace" in obs.stderr or "replaced the user's namespace" in obs.stderr
    assert IPythonExecutor(ip).run("print(mine is not None)").stdout == "True\n"


# -- the shell's routes to refused actions ------------------------------------------------------------------------


SHELL_ROUTES = {
    "run_cell %reset": ("get_ipython().run_cell('%reset -f')", "%reset"),
    "run_cell %%autogpt": ("get_ipython().run_cell('%%autogpt\\nanalyse everything')", "%autogpt"),
    "run_cell globals().clear()": ("get_ipython().run_cell('globals().clear()')", "globals.clear"),
    "run_line_magic, computed name": ("get_ipython().run_line_magic('auto' + 'gpt', 'go on')", "%autogpt"),
    "run_cell_magic": ("getattr(get_ipython(), 'run_cell_magic')('autogpt', '', 'go')", "%%autogpt"),
    "find_cell_magic": ("get_ipython().find_cell_magic('autogpt')('', 'go')", "%%autogpt"),
    "find_line_magic reset": ("get_ipython().find_line_magic('re' + 'set')('-f')", "%reset"),
    "magics table xdel": ("get_ipython().magics_manager.magics['line']['xdel']('mine')", "%xdel"),
    "%%capture body": ("get_ipython().run_cell_magic('capture', '', '%reset -f')", "%reset"),
    "reset through getattr": ("getattr(get_ipython(), 're' + 'set')(new_session=False)", "reset()"),
    "reset_selective": ("get_ipython().reset_selective('.*')", "reset_selective()"),
    "exit_now": ("setattr(get_ipython(), 'exit' + '_now', True)", "exit"),
    "unload this package": ("get_ipython().run_line_magic('unload_ext', 'jupyter_' + 'autogpt')", "%unload_ext"),
    "an agent through the magics' class": (
        "get_ipython().magics_manager.registry['AutoGPTMagics'].autogpt('--base-url http://127.0.0.1:9 go now')",
        "%autogpt",
    ),
}


@pytest.mark.parametrize(("step", "what"), SHELL_ROUTES.values(), ids=SHELL_ROUTES.keys())
def test_shell_routes_cannot_bypass_the_refusals(ip, monkeypatch: pytest.MonkeyPatch, step: str, what: str) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-for-the-route-test-only")
    ip.user_ns["mine"] = [1, 2, 3]
    history = len(ip.user_ns["In"])
    before = hooks(ip)
    obs = IPythonExecutor(ip).run(step)
    assert "Refused while running" in (obs.error or "") + obs.stdout and what in (obs.error or "") + obs.stderr, obs
    assert ip.user_ns["mine"] == [1, 2, 3] and "jupyter_autogpt" in ip.extension_manager.loaded
    assert not ip.exit_now and hooks(ip) == before and len(ip.user_ns["In"]) == history


def test_a_nested_cell_runs_but_never_enters_the_users_history(ip) -> None:
    history, count = len(ip.user_ns["In"]), ip.execution_count
    obs = IPythonExecutor(ip).run("get_ipython().run_cell('nested = 6 * 7', store_history=True)\nprint(nested)")
    assert obs.stdout == "42\n" and len(ip.user_ns["In"]) == history and ip.execution_count == count


# -- processes a step starts cannot signal the kernel -------------------------------------------------------------


def run_filter(program: tuple, arch: int, nr: int, *args: int) -> int:
    """Return what a seccomp ``program`` answers to one system call (a classic-BPF interpreter, for the test)."""
    import struct

    data = struct.pack("<iIQ6Q", nr, arch, 0, *[(a & 0xFFFFFFFFFFFFFFFF) for a in (*args, 0, 0, 0, 0, 0, 0)[:6]])
    acc, pc = 0, 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:
            acc, pc = struct.unpack_from("<I", data, k)[0], pc + 1
        elif code in (0x15, 0x35):
            pc += 1 + (jt if (acc == k if code == 0x15 else acc >= k) else jf)
        else:
            assert code == 0x06
            return k


X86_64, I386, AARCH64 = 0xC000003E, 0x40000003, 0xC00000B7
KERNEL, THREAD, SERVER, GROUP, OTHER = 4321, 4325, 77, 4321, 999
#: (arch, syscall, args) -> denied? Pids: the kernel 4321 (also its group), a thread of it 4325, its server 77.
DECISIONS = [
    ((X86_64, 62, KERNEL, 9), True), ((X86_64, 62, THREAD, 15), True), ((X86_64, 62, SERVER, 9), True),
    ((X86_64, 62, 0, 9), True), ((X86_64, 62, -1, 9), True), ((X86_64, 62, -GROUP, 9), True),
    ((X86_64, 62, KERNEL, 0), False), ((X86_64, 62, OTHER, 9), False), ((X86_64, 62, -OTHER, 9), False),
    ((X86_64, 200, THREAD, 9), True), ((X86_64, 200, OTHER, 9), False), ((X86_64, 234, KERNEL, THREAD, 9), True),
    ((X86_64, 234, OTHER, OTHER, 9), False), ((X86_64, 129, KERNEL, 9, 0), True), ((X86_64, 297, KERNEL, 1, 9, 0), True),
    ((X86_64, 434, KERNEL, 0), True), ((X86_64, 434, OTHER, 0), False), ((X86_64, 424, 3, 9, 0, 0), True),
    ((X86_64, 0x40000000 | 62, KERNEL, 9), True), ((X86_64, 1, 1, 0), False), ((X86_64, 59, 0, 0), False),
    ((I386, 37, KERNEL, 9), True), ((I386, 37, OTHER, 9), False), ((I386, 270, KERNEL, 1, 9), True),
    ((AARCH64, 129, KERNEL, 9), False),  # another machine's numbering: this filter is for x86-64
]


@pytest.mark.parametrize(("call", "denied"), DECISIONS)
def test_the_child_filter_denies_exactly_the_signals_aimed_at_the_kernel(call: tuple, denied: bool) -> None:
    from jupyter_autogpt.execution import seccomp

    program = seccomp.build({KERNEL, THREAD, SERVER}, GROUP, machine="x86_64").program
    assert run_filter(program, *call) == (seccomp.DENY if denied else seccomp.ALLOW)


def test_the_arm64_filter_uses_arm64_numbers() -> None:
    from jupyter_autogpt.execution import seccomp

    program = seccomp.build({KERNEL}, GROUP, machine="aarch64").program
    assert run_filter(program, AARCH64, 129, KERNEL, 9) == seccomp.DENY
    assert run_filter(program, AARCH64, 62, KERNEL, 9) == seccomp.ALLOW  # 62 is lseek there


needs_seccomp = pytest.mark.skipif(not __import__("jupyter_autogpt.execution.seccomp").execution.seccomp.available(),
                                   reason="child filters need Linux with seccomp on x86-64 or arm64")


@needs_seccomp
def test_a_filtered_child_cannot_signal_a_protected_process_and_can_signal_others() -> None:
    import subprocess

    from jupyter_autogpt.execution import seccomp

    protected = subprocess.Popen(["sleep", "60"])
    other = subprocess.Popen(["sleep", "60"])
    try:
        shield = seccomp.build({protected.pid}, protected.pid).prepare()
        for target in (protected, other):
            done = subprocess.run(["kill", "-9", str(target.pid)], preexec_fn=shield.install, capture_output=True, text=True)
            assert (done.returncode != 0) == (target is protected), done
        assert "Operation not permitted" in subprocess.run(
            ["kill", "-9", str(protected.pid)], preexec_fn=shield.install, capture_output=True, text=True).stderr
        assert other.wait(timeout=10) == -9 and protected.poll() is None
    finally:
        for proc in (protected, other):
            proc.kill()
            proc.wait()


@needs_seccomp
def test_every_route_to_a_child_process_gets_the_filter(ip) -> None:
    received: list[int] = []
    previous = signal.signal(signal.SIGUSR2, lambda signum, frame: received.append(signum))
    try:  # a harmless signal: were a route unfiltered, the test process would only record it
        obs = IPythonExecutor(ip).run(
            "import os, subprocess, sys\nme = os.getpid()\n"
            "print(subprocess.run(['kill', '-USR2', str(me)], capture_output=True, text=True).stderr.strip())\n"
            "print(os.system(f'kill -USR2 {me} 2>/dev/null'))\n"
            "print(os.popen(f'kill -USR2 {me} 2>&1').read().strip())\n"
            "print(subprocess.run(f'kill -USR2 -- -{os.getpgrp()}', shell=True, capture_output=True, text=True).returncode)\n"
            "print(subprocess.run([sys.executable, '-c', f'import os, signal; os.kill({me}, signal.SIGUSR2)']).returncode)\n"
            "listing = !kill -USR2 $PPID\nprint(listing)\n"
            "pid = os.fork()\nif pid == 0:\n    try:\n        os.kill(os.getppid(), 12)\n    finally:\n        os._exit(0)\n"
            "os.waitpid(pid, 0)\nprint('done')"
        )
    finally:
        signal.signal(signal.SIGUSR2, previous)
    assert received == [] and obs.error is None, obs
    assert obs.stdout.count("Operation not permitted") >= 3 and obs.stdout.rstrip().endswith("done")
