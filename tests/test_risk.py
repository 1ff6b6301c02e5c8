"""The static risk assessment: refusals, flags, IPython syntax in generated code, hostile input."""

from __future__ import annotations

import pytest

from jupyter_autogpt import risk


def refused_action(code: str) -> str | None:
    """Return the action named in the refusal the model reads for ``code`` (between backticks), if refused."""
    refusal = risk.assess(code).refusal
    if refusal is None:
        return None
    assert refusal.startswith("Refused before running: `"), refusal
    return refusal.split("`")[1]


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("import os\nos._exit(0)", "os._exit(...)"),
        ("os.kill(os.getpid(), 9)", "os.kill(...)"),
        ("exit", "exit"),
        ("quit()", "quit(...)"),
        ("get_ipython().ask_exit()", "get_ipython.ask_exit(...)"),
        ("%reset -f", "%reset"),
        ("%reset_selective -f df", "%reset_selective"),
        ("for n in names:\n    %xdel n", "%xdel"),
        ("get_ipython().run_line_magic('reset', '-f')", "%reset"),
        ("get_ipython().magic('xdel df')", "%xdel"),
        ("get_ipython().reset()", "get_ipython.reset()"),
        ("globals().clear()", "globals.clear()"),
        ("%%autogpt --max-steps 2\nanother goal", "%autogpt"),
        ("get_ipython().run_cell_magic('autogpt', '', 'goal')", "%autogpt"),
        ("%unload_ext jupyter_autogpt", "%unload_ext jupyter_autogpt"),
        ("%debug", "%debug"),
        ("%pdb on", "%pdb"),
        ("%killbgscripts", "%killbgscripts"),
    ],
)
def test_session_enders_and_wipers_are_refused(code: str, what: str) -> None:
    assert refused_action(code) == what
    assert "kernel" in risk.assess(code).flags


@pytest.mark.parametrize(
    ("code", "what"),
    [
        ("from os import _exit\n_exit(0)", "os._exit(...)"),
        ("import os as o\no._exit(1)", "os._exit(...)"),
        ("ip = get_ipython()\nip.ask_exit()", "get_ipython.ask_exit(...)"),
        ("import os as o\no.kill(o.getpid(), 9)", "os.kill(...)"),
        ("from os import kill as k, getpid\nk(getpid(), 9)", "os.kill(...)"),
        ("import signal as s\ns.raise_signal(s.SIGTERM)", "signal.raise_signal(...)"),
        ("from signal import raise_signal\nraise_signal(15)", "signal.raise_signal(...)"),
        ("from sys import exit as bye\nbye(0)", "sys.exit(...)"),
        ("leave = exit\nleave()", "exit(...)"),
        ("k = get_ipython().kernel\nk.do_shutdown(False)", "get_ipython.kernel.do_shutdown(...)"),
        ("from IPython import get_ipython as g\ng().kernel.do_shutdown(True)", "IPython.get_ipython.kernel.do_shutdown(...)"),
        ("from os import *\nabort()", "abort(...)"),
        ("a = b\nb = a\na._exit(0)", "a._exit(...)"),  # an alias cycle ends; the tail name still refuses
        ("ns = get_ipython().user_ns\nns.clear()", "get_ipython.user_ns.clear()"),
        ("g = globals()\ng.clear()", "globals.clear()"),
        ("shell = get_ipython()\nshell.run_line_magic('reset', '-f')", "%reset"),
        ("x = 1\n%%autogpt goal", "%autogpt"),  # IPython runs a %% line below the first as a line magic
        ("import os, sys\nos.execv(sys.executable, ['python'])", "os.execv(...)"),  # replaces the kernel's process
        ("from os import execlp\nexeclp('sh', 'sh')", "os.execlp(...)"),
        ("import faulthandler as f\nf._sigsegv()", "faulthandler._sigsegv(...)"),
    ],
)
def test_kernel_killers_are_refused_under_any_alias(code: str, what: str) -> None:
    assert refused_action(code) == what
    assert "kernel" in risk.assess(code).flags


@pytest.mark.parametrize(
    "code",
    [
        "import subprocess\np = subprocess.Popen(['sleep', '9'])\np.kill()",  # its own child, no pid and signal
        "from pandas import DataFrame as D\nD().to_string()",
        "exit_code = 0\nprint(exit_code)",
    ],
)
def test_lookalikes_of_kernel_killers_are_not_refused(code: str) -> None:
    assert risk.assess(code).refusal is None


HOSTILE = [
    "print('unbalanced",
    "x = \"\"\"never closed\nprint(1)",
    "x = 1\n%%time\ny = 2\n%%bash\nrm -rf /",
    "%%time\n" * 3000 + "x = 1",  # nested cell magics
    "%%\n%\n!\n%%%\n!!\nx = !",
    "-" * 200_000 + "1",  # deeper than the parser goes
    "(" * 500 + ")" * 500,
    "x = 1 + " + " + ".join(["1"] * 50_000),  # a long but legal expression
    "s = '\udcff\udcfe'\n%time s",  # lone surrogates, as undecodable bytes read with surrogateescape
    "a\x00b = 1",
    "\n".join(f"v{i} = {i}\n%time v{i}\n!echo {i}" for i in range(3_400)),  # ~10k lines
]


@pytest.mark.parametrize("code", HOSTILE, ids=range(len(HOSTILE)))
def test_the_assessment_never_raises_on_hostile_code(code: str) -> None:
    assessment = risk.assess(code, ["x", "v1"])
    assert set(assessment.flags) <= set(risk.FLAGS)
    assert assessment.refusal in {None, risk.AWAIT_REFUSAL} or "kernel" in assessment.flags
    assert isinstance(risk.python_source(code), str)


@pytest.mark.parametrize(
    ("code", "flags"),
    [
        ("files = !ls", ["subprocess"]),
        ("!pip install requests", ["subprocess", "install"]),
        ("%pip install polars", ["subprocess", "install"]),
        ("%%bash\nrm -rf build", ["delete", "subprocess"]),
        ("%%writefile out.txt\nhello", ["overwrite"]),
        ("%run other.py", ["subprocess"]),
        ("%%time\ndf = df.dropna()", ["rebind"]),
        ("%timeit sum(range(10))", []),
        ("%matplotlib inline\nimport matplotlib.pyplot as plt", []),
        ("del df", ["rebind"]),
        ("df.to_csv('out.csv')", ["overwrite"]),
        ("import requests\nrequests.get('http://x')", ["network"]),
    ],
)
def test_ipython_syntax_is_analysed_in_the_form_ipython_runs(code: str, flags: list[str]) -> None:
    assert risk.assess(code, ["df"]) == risk.Assessment(flags=tuple(flags), refusal=None)


def test_harmless_code_is_neither_flagged_nor_refused() -> None:
    code = "summary = df.groupby('region').sum()\nprint(summary)\nexit_code = 0"
    assert risk.assess(code, ["df"]) == risk.Assessment(flags=(), refusal=None)


def test_top_level_await_is_refused_even_though_ast_parse_accepts_it() -> None:
    for code in ("import asyncio\nawait asyncio.sleep(0)", "[x async for x in source()]"):
        assert risk.assess(code) == risk.Assessment(flags=(), refusal=risk.AWAIT_REFUSAL)
    assert "top-level `await`" in risk.AWAIT_REFUSAL
    assert risk.assess("async def f():\n    await g()").refusal is None


def test_one_assessment_carries_the_flags_and_the_refusal_together() -> None:
    code = "import os\nos.remove('out.csv')\ndf = None\nos._exit(0)"
    assessment = risk.assess(code, ["df"])
    assert assessment.flags == ("delete", "rebind", "kernel")
    assert refused_action(code) == "os._exit(...)" and "Nothing in this step ran" in (assessment.refusal or "")
    with pytest.raises(AttributeError):
        assessment.flags = ()  # type: ignore[misc]  # a value: frozen


def test_the_run_time_guard_reads_text_handed_to_the_shell_as_the_assessment_reads_a_step() -> None:
    assert risk.refused_action("%reset -f") == ("%reset", risk.REFUSED_MAGICS["reset"])
    assert risk.refused_action("x = 1\nglobals().clear()") == ("globals.clear()", "wipes the user's namespace")
    assert risk.refused_action("print('fine')") is None and risk.refused_action("print('unbalanced") is None


def test_refusals_before_and_while_running_share_their_words() -> None:
    from jupyter_autogpt.risk.refusals import KERNEL, refusal_text, runtime_refusal_text

    before, during = refusal_text("os._exit(...)", KERNEL), runtime_refusal_text("os._exit(...)", KERNEL)
    assert before.startswith("Refused before running: `os._exit(...)` would stop the user's kernel.")
    assert during.startswith("Refused while running: `os._exit(...)` would stop the user's kernel.")
    assert before.split(". ")[-1] == during.split(". ")[-1]  # the same advice ends both
