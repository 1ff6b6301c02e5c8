"""The IPython executor on a real shell: what the model reads of the namespace and of a step."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pandas as pd
import pytest

from jupyter_autogpt.execution.ipython import IPythonExecutor


@pytest.fixture
def shell() -> Iterator[Any]:
    from IPython.core.interactiveshell import InteractiveShell

    shell = InteractiveShell.instance()
    before = set(shell.user_ns)
    yield shell
    for name in set(shell.user_ns) - before:
        del shell.user_ns[name]


def test_executor_overview_shows_user_variables_dataframes_first_bounded(shell: Any) -> None:
    from jupyter_autogpt.execution.ipython import IPythonExecutor

    shell.run_cell("import pandas as pd, numpy as np", store_history=True)
    shell.run_cell("wide = pd.DataFrame(np.ones((30, 400)), columns=[f'f{i}' for i in range(400)])", store_history=True)
    shell.run_cell("text = 'abc ' * 1_310_720\nthreshold = 0.5", store_history=True)
    shell.run_cell("orders = pd.DataFrame({'qty': [1, 2, None], 'sku': ['a', 'b', 'a']})", store_history=True)
    text = IPythonExecutor(shell).overview(3000)
    assert len(text) <= 3000
    assert text.startswith("orders: pandas.DataFrame, 3 rows × 2 columns")  # assigned last: first frame
    assert text.index("wide: pandas.DataFrame, 30 rows × 400 columns") < text.index("threshold: ")
    assert "text: str, 5,242,880 chars" in text
    for hidden in ("In: ", "Out: ", "pd: ", "np: ", "get_ipython", "_i1", "exit: "):
        assert f"\n{hidden}" not in text and not text.startswith(hidden)


def test_displayed_wide_frame_reaches_the_model_as_bounded_text(shell: Any) -> None:
    from jupyter_autogpt.execution.ipython import IPythonExecutor
    from jupyter_autogpt.prompts import DISPLAY_CHARS, render_observation

    shell.user_ns["wide"] = pd.DataFrame(np.ones((3000, 400)), columns=[f"f{i}" for i in range(400)])
    obs = IPythonExecutor(shell).run("from IPython.display import display\ndisplay(wide)\nwide")
    text = render_observation(obs)
    assert "<table" not in text and "[3000 rows x 400 columns]" in text
    for section in text.split("\n\n"):
        assert len(section) <= DISPLAY_CHARS + 100  # each display and the result are cut on their own


def test_every_part_of_an_observation_and_the_overview_is_redacted(shell: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import SECRET_KEY

    monkeypatch.setenv("OPENAI_API_KEY", SECRET_KEY)
    executor = IPythonExecutor(shell)
    executor.start()
    try:
        obs = executor.run(
            "import os, sys\nkey = os.environ['OPENAI_API_KEY']\nprint(key)\nprint(key, file=sys.stderr)\n"
            "display({'text/markdown': key, 'application/json': {'k': key}}, raw=True)\nfinal_answer(key)\nkey"
        )
        failed = executor.run("raise ValueError(key)")
        overview = executor.overview(2000)
    finally:
        executor.stop()
    assert SECRET_KEY not in repr(obs) and SECRET_KEY not in repr(failed) and SECRET_KEY not in overview
    assert all("[REDACTED]" in text for text in (obs.stdout, obs.stderr, obs.result, obs.answer, failed.error))
    assert obs.displays == ({"text/markdown": "[REDACTED]", "application/json": {"k": "[REDACTED]"}},)
    assert "key: str" in overview and "[REDACTED]" in overview


def test_displays_keep_only_types_a_saved_notebook_renders_and_are_bounded(ip) -> None:
    from jupyter_autogpt.execution.outputs import RICH_CHARS

    widget = {"model_id": "abc123", "version_major": 2, "version_minor": 0}
    obs = IPythonExecutor(ip).run(
        "from IPython.display import publish_display_data as show\n"
        f"show({{'text/plain': 'IntSlider(value=1)', 'application/vnd.jupyter.widget-view+json': {widget!r}}})\n"
        f"show({{'text/plain': 'Figure()', 'application/vnd.plotly.v1+json': {{'y': list(range({RICH_CHARS}))}}}})\n"
        f"show({{'text/html': '<b>' + 'x' * {RICH_CHARS} + '</b>'}})\n"
        "show({'application/vnd.custom+json': {'k': 1}, 'application/json': [1, 2], 'image/svg+xml': '<svg/>',"
        " 'application/javascript': 'alert(1)', 'text/markdown': '**hi**'})\n"
    )
    slider, figure, html, small = obs.displays
    assert slider == {"text/plain": "IntSlider(value=1)"}  # the widget's view needs this kernel: dropped
    assert set(figure) == {"text/plain"} and figure["text/plain"].startswith("Figure()\n[application/vnd.plotly")
    assert set(html) == {"text/plain"} and "text/html output of" in html["text/plain"]
    assert set(small) == {"application/vnd.custom+json", "application/json", "image/svg+xml", "text/markdown"}
    assert sum(len(str(d)) for d in obs.displays) < 2_000




# -- whose interrupt: the user's stops the run, the step's own KeyboardInterrupt is its error ---------------------

#: Sends SIGINT to the kernel from another thread, as ipykernel's control thread does for the Interrupt button.
USER_INTERRUPT = (
    "import os, signal, threading, time\n"
    "_t = threading.Thread(target=os.kill, args=(os.getpid(), signal.SIGINT))\n_t.start()\n_t.join()\n"
)


def test_a_library_traceback_names_its_files_inside_the_installation_not_where_python_lives(ip) -> None:
    import sys
    import sysconfig

    ip.user_ns["frame"] = pd.DataFrame({"a": [1]})
    obs = IPythonExecutor(ip).run("frame['no such column']")
    assert obs.error_name == "KeyError" and "pandas/core/frame.py" in (obs.error or "")
    for folder in {sys.prefix, sys.base_prefix, sysconfig.get_paths()["purelib"], sysconfig.get_paths()["stdlib"]}:
        assert folder not in (obs.error or ""), folder  # the same text on any machine, no local layout


def test_code_that_raises_keyboard_interrupt_itself_is_an_error_of_the_step(ip) -> None:
    executor = IPythonExecutor(ip)
    for step in ("raise KeyboardInterrupt", "raise KeyboardInterrupt('my own')",
                 "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time\ntime.sleep(5)",
                 "import signal\nsignal.raise_signal(signal.SIGINT)", "def f():\n    raise KeyboardInterrupt\nf()"):
        obs = executor.run(step)
        assert obs.error_name == "KeyboardInterrupt" and "raised KeyboardInterrupt itself" in obs.stderr, step
    assert executor.run("print('still here')").stdout == "still here\n"


def test_the_users_interrupt_stops_the_step_and_carries_what_it_did(ip) -> None:
    from jupyter_autogpt.execution.base import StepInterrupted

    executor = IPythonExecutor(ip)
    executor.start()
    try:
        with pytest.raises(StepInterrupted) as caught:
            executor.run("print('working')\nfinal_answer({'rows': 3})\n" + USER_INTERRUPT + "time.sleep(30)")
    finally:
        executor.stop()
    obs = caught.value.observation
    assert isinstance(caught.value, KeyboardInterrupt) and obs.answered and obs.answer == {"rows": 3}
    assert obs.stdout == "working\n"


def test_the_users_interrupt_stops_the_run_even_when_the_step_swallowed_it(ip) -> None:
    from jupyter_autogpt.execution.base import StepInterrupted

    with pytest.raises(StepInterrupted) as caught:
        IPythonExecutor(ip).run("try:\n" + "".join("    " + line + "\n" for line in USER_INTERRUPT.splitlines())
                                + "    time.sleep(30)\nexcept KeyboardInterrupt:\n    print('swallowed')")
    assert caught.value.observation.stdout == "swallowed\n"


def test_the_deadlines_interrupts_are_not_the_users(ip) -> None:
    obs = IPythonExecutor(ip).run("import time\nwhile True:\n    try:\n        time.sleep(1)\n    except KeyboardInterrupt:\n"
                                  "        pass", timeout=0.2)
    assert obs.error_name == "StepTimeout"


# -- an agent inside a step, by any route --------------------------------------------------------------------------


def test_no_executor_can_be_made_while_a_step_runs(ip) -> None:
    obs = IPythonExecutor(ip).run(
        "from jupyter_autogpt.execution.ipython import IPythonExecutor\nIPythonExecutor(get_ipython())")
    assert obs.error_name == "ConfigError" and "would start an agent inside this agent's step" in (obs.error or "")
    IPythonExecutor(ip)  # and after the step, one can


# -- text that is not valid Unicode, at the door of the observation and the summaries ----------------------------


def test_lone_surrogates_never_reach_the_model(ip) -> None:
    import json

    ip.user_ns["name"] = "report_\udcff.csv"
    ip.user_ns["names"] = pd.Series(["ok", "bad \udc80 name", "\ud83d"], dtype=object)
    executor = IPythonExecutor(ip)
    executor.start()
    try:
        obs = executor.run(
            "import sys\nprint(name)\nprint('half an emoji \\ud83d', file=sys.stderr)\n"
            "display({'text/markdown': 'x \\udcfe'}, raw=True)\nfinal_answer(name)\nraise ValueError(name)")
        texts = [obs.stdout, obs.stderr, obs.error, obs.answer, executor.overview(4000), executor.describe(["names"], 500)]
    finally:
        executor.stop()
    for text in [*texts, json.dumps(obs.displays, ensure_ascii=False)]:
        text.encode("utf-8")  # raises on a lone surrogate
    assert "report_\ufffd.csv" in obs.stdout and obs.answer == "report_\ufffd.csv"
