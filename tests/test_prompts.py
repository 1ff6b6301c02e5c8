"""What the model reads: the first message, observations, and a history that stays within its budget."""

from __future__ import annotations

from jupyter_autogpt.limits import COMPACT_STEPS, DISPLAY_CHARS, FULL_STEPS, STEP_OUTPUT_CHARS
from jupyter_autogpt.prompts import (
    build_messages,
    first_message,
    render_observation,
    render_step,
    reply_notes,
    system_prompt,
    with_repeat_note,
)
from jupyter_autogpt.protocol import parse_reply
from jupyter_autogpt.types import ImageData, Message, Observation, Step

PNG = ImageData("image/png", "iVBORw0KGgo=")


def step(i: int, output: str = "ok", error: str | None = None, changed: tuple[str, ...] = ()) -> Step:
    obs = Observation(stdout=output, error=error, changed=changed, images=(PNG,))
    return Step(i, f"Step {i}.\n```python\nv{i} = {i}\n```", f"v{i} = {i}", output, error, obs)


def test_the_first_message_holds_the_goal_and_says_when_the_namespace_is_empty() -> None:
    assert first_message("  Plot it  ", "").content == "Goal:\nPlot it\n\nThe kernel's namespace:\n" \
        "(the namespace holds no user variables yet)"
    assert "df: pandas.DataFrame" in first_message("g", "df: pandas.DataFrame").content


def test_teaching_mode_adds_to_the_system_prompt() -> None:
    assert system_prompt(explain=True).startswith(system_prompt()) and len(system_prompt(True)) > len(system_prompt())


def test_an_observation_names_each_part_and_stays_within_its_limit() -> None:
    obs = Observation(stdout="printed", stderr="warned", result="'value'", error="Traceback...\nNameError: x",
                      displays=({"text/plain": "t" * 10 * DISPLAY_CHARS},), images=(PNG,), changed=("x",))
    text = render_observation(obs, notes=["Note: a note."])
    for part in ("stdout:\nprinted", "stderr:\nwarned", "result:\n'value'", "NameError: x", "[1 image(s)",
                 "variables changed: x", "Note: a note."):
        assert part in text
    assert len(text) <= STEP_OUTPUT_CHARS
    assert render_observation(Observation()) == "(the code ran and printed nothing)"
    assert "the run ends" in render_observation(Observation(answered=True))


def test_a_compacted_step_keeps_its_code_and_the_last_line_of_its_error() -> None:
    failed = step(1, output="x" * 5_000, error="Traceback (most recent call last):\n  ...\nZeroDivisionError: boom")
    full, compact = render_step(failed), render_step(failed, compact=True)
    assert full[1].images == (PNG,) and compact[1].images == ()
    assert "v1 = 1" in compact[0].content and "error: ZeroDivisionError: boom" in compact[1].content
    assert sum(len(m.content) for m in compact) < 600 < sum(len(m.content) for m in full)


def test_the_history_keeps_system_and_goal_and_turns_old_steps_into_a_note() -> None:
    first = Message("user", "Goal:\nthe goal")
    steps = [step(i, changed=(f"v{i}",)) for i in range(1, 13)]
    messages = build_messages("system", first, steps, 100_000)
    assert messages[:2] == [Message("system", "system"), first]
    note, omitted = messages[2].content, 12 - FULL_STEPS - COMPACT_STEPS
    assert note.startswith(f"[{omitted} earlier step(s) omitted")
    assert ", ".join(f"v{i}" for i in range(1, omitted + 1)) + "]" in note
    kept = [m.content for m in messages if m.role == "assistant"]
    assert len(kept) == FULL_STEPS + COMPACT_STEPS and "v12 = 12" in kept[-1]


def test_a_small_budget_drops_older_steps_but_never_the_newest() -> None:
    first = Message("user", "Goal:\nthe goal")
    steps = [step(i, output="y" * 3_000) for i in range(1, 6)]
    messages = build_messages("system", first, steps, 4_000)
    assert "v5 = 5" in messages[-2].content and "omitted" in messages[2].content


def test_images_reach_only_a_vision_model() -> None:
    first = Message("user", "Goal")
    assert all(not m.images for m in build_messages("s", first, [step(1)], 100_000))
    assert any(m.images for m in build_messages("s", first, [step(1)], 100_000, vision=True))


def test_a_repeated_failure_tells_the_model_to_change_approach() -> None:
    failed = step(1, error="ZeroDivisionError")
    again = Step(2, failed.reply, failed.code, "out", "ZeroDivisionError", failed.observation)
    assert "Change the approach" in with_repeat_note([failed], again).output
    assert with_repeat_note([failed], step(2)).output == "ok"


def test_malformed_replies_get_notes() -> None:
    notes = reply_notes(parse_reply("```python\na = 1\n```\n```python\nb = 2"))
    assert any("2 code blocks" in n for n in notes)
    assert reply_notes(parse_reply("```python\na = 1")) and reply_notes(parse_reply("```python\na = 1\n```")) == []


def test_prompt_history_is_flat_once_the_compaction_window_is_full() -> None:
    steps = [
        Step(i, f"```python\npart_{i} = f({i})\n```", f"part_{i} = f({i})", "x" * 4_000, None,
             Observation(changed=(f"part_{i}",)))
        for i in range(1, 21)
    ]  # fmt: skip
    first = Message("user", "Goal: explore")
    sizes = [sum(len(m.content) for m in build_messages("system", first, steps[:n], 100_000)) for n in range(1, 21)]
    window = FULL_STEPS + COMPACT_STEPS
    assert sizes[window - 1] > sizes[FULL_STEPS - 1]  # compacted steps still add their code
    assert max(sizes[window:]) - min(sizes[window:]) < 200  # then only the omitted note's names grow
    last = build_messages("system", first, steps, 100_000)
    assert f"{20 - window} earlier step(s) omitted" in last[2].content and "part_1, part_2" in last[2].content
    assert last[-1].content.endswith("x" * 100)  # the newest step is in full


def test_an_earlier_reply_is_re_sent_without_its_thinking_and_bounded() -> None:
    from jupyter_autogpt.limits import REPLY_CHARS
    from jupyter_autogpt.prompts import past_reply

    assert past_reply("<think>secret plan</think>\nDo it.\n```python\nx = 1\n```") == "Do it.\n```python\nx = 1\n```"
    assert past_reply("I was thinking\n</think>\nAnswer: 3") == "Answer: 3"
    assert past_reply("plain reply") == "plain reply"
    huge = "head " + "y" * 300_000 + " tail"
    cut = past_reply(huge)
    assert len(cut) <= REPLY_CHARS and cut.startswith("head") and cut.endswith("tail") and "characters" in cut
    step = Step(1, "<think>" + "t" * 50_000 + "</think>ok\n```python\n" + "z = 1\n" * 20_000 + "```",
                "z = 1\n" * 20_000, "out")
    for compact in (False, True):
        assert all(len(m.content) <= REPLY_CHARS + 200 for m in render_step(step, compact=compact))
