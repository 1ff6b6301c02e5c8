"""The static view: one display when the run ends, the static transcript with the run's notices kept."""

from __future__ import annotations

from jupyter_autogpt.events import Noticed, RunFinished
from jupyter_autogpt.transcript import MIME_TYPE
from jupyter_autogpt.ui.static_view import StaticView
from support.runs import a_run, one_step


def test_the_static_view_shows_only_the_end_with_its_notices() -> None:
    shown: list[object] = []
    view = StaticView(display=shown.append)
    for event in one_step():
        if isinstance(event, RunFinished):
            view.handle(Noticed(2, "step 2 shows something else <b>than</b> recorded", "warning"))
            view.handle(Noticed(2, "asking again", "retry"))
        view.handle(event)
        if not isinstance(event, RunFinished):
            assert shown == []
    view.close()
    [static] = shown
    bundle = static._repr_mimebundle_()  # type: ignore[attr-defined]
    assert bundle["text/plain"] == "<autogpt run: finished, 1 step: The sum is **2**.>"
    assert "[warning] step 2 shows something else &lt;b&gt;than&lt;/b&gt; recorded" in bundle["text/html"]
    assert "[warning] step 2 shows something else" in bundle["text/markdown"]
    assert "asking again" not in bundle["text/html"] + bundle["text/markdown"]
    assert bundle[MIME_TYPE]["steps"][0]["code"] == a_run().steps[0].code
