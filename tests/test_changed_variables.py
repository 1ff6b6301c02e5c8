"""What the model is told about the variables a step changed: no rows it has just printed, no local file paths."""

from __future__ import annotations

import pandas as pd

from jupyter_autogpt import summarize
from jupyter_autogpt.agent import Agent, run_to_completion
from jupyter_autogpt.execution.ipython import IPythonExecutor
from jupyter_autogpt.execution.variables import printed_names
from jupyter_autogpt.testing import ScriptedModel
from jupyter_autogpt.types import RunConfig

STEP = ('```python\ntotals = frame.groupby("k")["v"].sum()\nprint(totals.round(1))\n'
        'ranked = frame.sort_values("v")\nprint(ranked["v"].max())\n```')


def test_a_printed_variable_gets_one_line_and_an_unprinted_one_its_rows(ip) -> None:
    ip.user_ns["frame"] = pd.DataFrame({"k": list("abcab"), "v": [1.5, 2.5, 3.5, 4.5, 5.5]})
    model = ScriptedModel([STEP, "```python\nfinal_answer(1)\n```"])
    run = run_to_completion(Agent(model, IPythonExecutor(ip), RunConfig(model="scripted")), "sum v by k")
    assert run.status == "finished"
    told = run.steps[0].output.split("Changed variables:", 1)[1]
    totals = next(line for line in told.splitlines() if line.startswith("totals:"))
    assert "pandas.Series" in totals and "first values" not in told.split("ranked:")[0]  # its rows are printed above
    assert "first rows:" in told.split("ranked:", 1)[1]  # only its maximum was printed: the model sees its rows
    assert told.count("totals") == 1 and "variables changed:" not in run.steps[0].output  # named once


def test_printed_names_follow_method_chains_not_columns() -> None:
    code = "print(a)\nprint(b.round(2).head())\nprint(c['x'].sum())\ndisplay(d)\nprint(len(e))\nf.describe()"
    assert printed_names(code) == {"a", "b", "d", "f"}
    assert printed_names("print(") == set()  # code that does not parse shows nothing


def test_a_module_is_summarized_without_the_path_it_was_loaded_from() -> None:
    text = summarize(pd)
    assert text.startswith(f"module pandas {pd.__version__}")
    assert pd.__file__ not in text and "site-packages" not in text
