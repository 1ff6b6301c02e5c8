"""The clean code of a run: the statements its answer depends on, re-run for real in a fresh kernel."""

from __future__ import annotations

import json

import pytest

from jupyter_autogpt.clean import of_transcript
from support.kernels import execute, running_kernel


def clean(*codes: str | tuple[str, str], goal: str = "g"):
    """Return the clean code of a run whose steps ran ``codes`` (a ``(code, error)`` pair for a failed one)."""
    steps = []
    for index, item in enumerate(codes, start=1):
        code, error = item if isinstance(item, tuple) else (item, None)
        steps.append({"index": index, "reply": "", "code": code, "error": error, "skipped": False})
    return of_transcript({"goal": goal, "model": "m", "id": "r", "steps": steps})


def body(result) -> list[str]:
    return [line for line in result.code.splitlines() if line and not line.startswith("#")]


def test_failed_and_exploratory_steps_are_dropped_and_the_answer_comes_last() -> None:
    result = clean(
        "print(df.shape)\ndf.head()",
        ("total = df.x.sum(\n", "SyntaxError"),
        "total = df.x.sum()\nunused = 3",
        "df.describe()",
        "final_answer(total * 2)",
    )
    assert body(result) == ["total = df.x.sum()", "answer = total * 2", "print(answer)"]
    assert result.expects == ("df",) and result.kept == (3, 5)
    assert result.dropped == ((1, "exploratory"), (2, "failed"), (4, "exploratory"))
    assert (result.lines, result.all_lines) == (3, 7)
    assert "# Expects from your namespace: df" in result.code


def test_changes_to_an_object_keep_the_statements_that_made_them() -> None:
    result = clean(
        "df['y'] = df.x * 2\nrows = []\nrows.append(1)\ndf.dropna(inplace=True)\ndf.fillna(0)\ncopy = df.copy()",
        "final_answer((df.y.sum(), rows))",
    )
    assert body(result) == ["df['y'] = df.x * 2", "rows = []", "rows.append(1)", "df.dropna(inplace=True)",
                            "answer = (df.y.sum(), rows)", "print(answer)"]


def test_a_fresh_binding_ends_the_search_for_older_ones() -> None:
    result = clean("x = 1\ny = 5", "x = 2", "final_answer(x)")
    assert body(result) == ["x = 2", "answer = x", "print(answer)"]
    assert result.kept == (2, 3) and (1, "exploratory") in result.dropped


def test_names_local_to_comprehensions_lambdas_and_functions_are_not_expected() -> None:
    result = clean(
        "import math\ndef scale(v, k=2):\n    total = v * k\n    return math.sqrt(total)",
        "values = [scale(v) for v in data]\nkey = lambda item: -item\nfinal_answer(sorted(values, key=key))",
    )
    assert result.expects == ("data",)
    assert "def scale(v, k=2):" in result.code and "import math" in result.code


def test_the_answer_step_keeps_its_plot_and_drops_its_displays() -> None:
    result = clean(
        "import matplotlib.pyplot as plt\nplt.figure()\nplt.plot([1, 2])",  # an exploratory figure
        "print(df.head())\nax = df.plot()\nax.set_title('x')\nplt.show()\ndf.tail()\nfinal_answer(len(df))",
    )
    assert body(result) == ["import matplotlib.pyplot as plt", "ax = df.plot()", "ax.set_title('x')", "plt.show()",
                            "answer = len(df)", "print(answer)"]


def test_an_answer_over_several_lines_stays_one_expression() -> None:
    result = clean("n = 2", "final_answer(f'{n} items'\n             f' in all')")
    namespace: dict = {}
    exec(result.code, namespace)
    assert namespace["answer"] == "2 items in all"


def test_an_answer_given_inside_a_block_is_kept_there() -> None:
    result = clean("n = len(df)", "if n > 2:\n    final_answer('big')\nelse:\n    final_answer('small')")
    assert "    (answer := ('big'))" in result.code and result.code.rstrip().endswith("print(answer)")


def test_a_prose_answer_keeps_the_last_step_the_model_read() -> None:
    steps = [{"index": 1, "reply": "", "code": "m = df.x.mean()\nprint(m)", "error": None, "skipped": False},
             {"index": 2, "reply": "The mean is 2.", "code": None, "error": None, "skipped": False}]
    result = of_transcript({"goal": "g", "model": "m", "id": "r", "steps": steps})
    assert not result.answered and body(result) == ["m = df.x.mean()", "print(m)"]
    assert "The answer was the model's text" in result.code


def test_ipython_lines_and_skipped_steps_never_make_the_answer_need_them() -> None:
    steps = [{"index": 1, "reply": "", "code": "%matplotlib inline\n!pip list\nx = 3", "error": None, "skipped": False},
             {"index": 2, "reply": "", "code": "x = 100", "error": None, "skipped": True},
             {"index": 3, "reply": "", "code": "final_answer(x)", "error": None, "skipped": False}]
    result = of_transcript({"goal": "g", "model": "m", "id": "r", "steps": steps})
    assert body(result) == ["x = 3", "answer = x", "print(answer)"] and (2, "skipped") in result.dropped


def test_a_follow_up_starts_with_what_it_needs_of_the_runs_it_continues() -> None:
    first = {"id": "aaaa11112222", "goal": "Load it.", "steps": [
        {"index": 1, "code": "import math\nrows = load()\nprint(len(rows))", "error": None},
        {"index": 2, "code": "total = sum(rows)\nfinal_answer(total)", "error": None}]}
    second = {"id": "bbbb33334444", "goal": "And the square root?", "model": "m", "steps": [
        {"index": 1, "code": "final_answer(math.sqrt(total))", "error": None}]}
    alone, chained = of_transcript(second), of_transcript(second, [first])
    assert alone.expects == ("math", "total")
    assert chained.expects == ("load",) and chained.kept == (1,)
    assert body(chained) == ["import math", "rows = load()", "total = sum(rows)", "answer = math.sqrt(total)",
                             "print(answer)"]
    assert "# run aaaa11112222 (Load it.), step 1" in chained.code and chained.all_lines == 6


def test_code_too_deep_to_analyse_is_dropped_as_unreadable_not_an_error() -> None:
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    result = clean("y = 2", deep, "final_answer(y)")
    assert (2, "unreadable") in result.dropped and body(result) == ["y = 2", "answer = y", "print(answer)"]


REPLIES = [
    "Look at the data.\n```python\nprint(sales.dtypes)\nsales.describe()\n```",
    "Revenue per region.\n```python\nsales['revenue'] = sales.units * sales.price\n"
    "rev = sales.groupby('region').revenue.sum()\n```",
    "Oops.\n```python\nbest = rev.idxmax(\n```",
    "```python\nbest = rev.sort_values(ascending=False)\nfinal_answer(f'{best.index[0]}: {best.iloc[0]:.1f}')\n```",
]
SETUP = ("import pandas as pd\nsales = pd.DataFrame({'region': list('abcab'), 'units': [3, 1, 4, 1, 5], "
         "'price': [2.5, 1.0, 3.0, 7.0, 1.5]})")


@pytest.mark.kernel
def test_the_exported_clean_code_re_runs_in_a_fresh_kernel_to_the_same_answer(tmp_path) -> None:
    (tmp_path / "replies.json").write_text(json.dumps(REPLIES))
    with running_kernel() as (_, kc):
        execute(kc, f"import os; os.chdir({str(tmp_path)!r})\n%load_ext jupyter_autogpt\n{SETUP}")
        out = execute(kc, "run = get_ipython().run_cell_magic('autogpt', '--model replay:replies.json', 'Best region?')\n"
                          "print(run.status, repr(run.answer))\n%autogpt export analysis.py")
    assert "finished 'a: 14.5'" in out
    script = (tmp_path / "analysis.py").read_text()
    assert "describe" not in script and "idxmax" not in script and "# Expects from your namespace: sales" in script
    with running_kernel() as (_, kc):  # a fresh kernel, given the same inputs
        assert "a: 14.5" in execute(kc, SETUP + "\n" + script)
