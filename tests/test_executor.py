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


