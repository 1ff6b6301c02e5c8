"""Every cut of text obeys its limit and says how much it removed."""

from __future__ import annotations

import pytest

from jupyter_autogpt.limits import clip, clip_lines, cut_middle, history_chars, short_repr


@pytest.mark.parametrize("limit", [10, 119, 120, 500, 4_000])
def test_a_middle_cut_never_exceeds_its_limit(limit: int) -> None:
    text = "\n".join(f"line {i}" for i in range(5_000))
    assert len(cut_middle(text, limit)) <= limit


def test_a_middle_cut_keeps_both_ends_and_counts_what_went() -> None:
    text = "HEAD " + "x" * 10_000 + " TAIL"
    cut = cut_middle(text, 1_000)
    assert cut.startswith("HEAD") and cut.endswith("TAIL")
    removed = len(text) - len(cut.split("\n... [")[0]) - len(cut.rsplit("] ...\n", 1)[1])
    assert f"[{removed:,} characters" in cut


def test_short_text_passes_every_helper_unchanged() -> None:
    assert cut_middle("short", 100) == clip("short", 100) == "short"
    assert clip_lines("a\nb", 5) == "a\nb"


def test_an_end_cut_marks_itself() -> None:
    assert clip("abcdefgh", 5) == "abcd…" and len(clip("x" * 50, 5)) == 5


def test_a_line_cut_keeps_first_and_last_lines() -> None:
    text = "\n".join(str(i) for i in range(100))
    lines = clip_lines(text, 10).splitlines()
    assert lines[:5] == ["0", "1", "2", "3", "4"] and lines[-5:] == ["95", "96", "97", "98", "99"]
    assert lines[5] == "... (90 lines)"


def test_a_repr_that_raises_still_gives_a_short_line() -> None:
    class Hostile:
        def __repr__(self) -> str:
            raise ValueError("no")

    text = short_repr([Hostile()] * 100, 60)
    assert len(text) <= 60 and "Hostile" in text


def test_the_history_budget_grows_with_the_context_budget_above_a_floor() -> None:
    assert history_chars(1_000) == history_chars(10) > 0
    assert history_chars(100_000) > history_chars(1_000)
