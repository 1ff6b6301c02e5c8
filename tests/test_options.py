"""The options, declared once: the manual, ``%config`` defaults, validation, the run's settings, the README table."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
from IPython.core.error import UsageError
from IPython.core.magic_arguments import parse_argstring
from traitlets import TraitError
from traitlets.config import Config

from jupyter_autogpt import options
from jupyter_autogpt.magic import AutoGPTMagics
from jupyter_autogpt.types import RunConfig

README = Path(__file__).resolve().parent.parent / "README.md"


def magics_of(ip):
    return ip.magics_manager.registry["AutoGPTMagics"]


def settings_of(magics, line: str) -> options.Settings:
    return options.resolve(parse_argstring(magics.autogpt, line), magics)


def config_of(magics, line: str) -> RunConfig:
    return settings_of(magics, line).config


# -- defaults: %config, the environment, the command line ---------------------------------------------------


def test_model_default_comes_from_config_then_environment(ip, replies_file, monkeypatch) -> None:
    path = replies_file("configured")
    monkeypatch.setenv("AUTOGPT_MODEL", f"replay:{path}")

    fresh = AutoGPTMagics(shell=ip)
    assert fresh.model == f"replay:{path}"
    fresh.model = "replay:/elsewhere.json"
    assert config_of(fresh, "").model == "replay:/elsewhere.json"


def test_steps_time_out_by_default_and_zero_turns_it_off(ip) -> None:
    magics = AutoGPTMagics(shell=ip)
    assert config_of(magics, "").timeout == 300
    assert config_of(magics, "--timeout 0").timeout is None
    assert config_of(magics, "--timeout 2.5").timeout == 2.5


def test_config_sets_defaults_and_the_command_line_overrides_them(ip) -> None:
    configured = Config({"AutoGPTMagics": {"max_steps": 3, "policy": "ask-all", "insert_cells": False, "view": "text"}})
    magics = AutoGPTMagics(shell=ip, config=configured)
    config = config_of(magics, "")
    assert (config.max_steps, config.policy, config.insert_cells) == (3, "ask-all", False)
    assert config_of(magics, "--max-steps 5 --policy ask-risky").max_steps == 5
    assert config_of(magics, "--max-steps 5 --policy ask-risky").policy == "ask-risky"
    assert settings_of(magics, "").session == {"view": "text", "recordings": "", "reuse_recordings": False, "fresh": False}
    assert settings_of(magics, "--fresh").session["fresh"] is True


def test_percent_config_reaches_the_next_run(ip, replies_file) -> None:
    path = replies_file("Done.", "Done.")
    try:
        ip.run_line_magic("config", "AutoGPTMagics.max_steps = 3")
        assert ip.run_cell_magic("autogpt", f"--model replay:{path}", "g").config.max_steps == 3
    finally:
        ip.run_line_magic("config", "AutoGPTMagics.max_steps = 10")
    assert ip.run_cell_magic("autogpt", f"--model replay:{path}", "g").config.max_steps == 10


def test_flags_set_the_opposite_of_their_default(ip) -> None:
    magics = AutoGPTMagics(shell=ip)
    plain, flagged = config_of(magics, ""), config_of(magics, "--vision --explain --approve --no-cells")
    assert (plain.vision, plain.explain, plain.approve, plain.insert_cells) == (False, False, False, True)
    assert (flagged.vision, flagged.explain, flagged.approve, flagged.insert_cells) == (True, True, True, False)


def test_focus_names_are_split_on_commas_without_blanks(ip) -> None:
    magics = AutoGPTMagics(shell=ip)
    assert config_of(magics, "--df sales,,costs,").focus == ("sales", "costs")
    assert config_of(magics, "").focus == ()


def test_backend_options_are_passed_only_when_given(ip) -> None:
    magics = AutoGPTMagics(shell=ip)
    assert settings_of(magics, "--device cpu").model_options == {"device": "cpu"}
    assert settings_of(magics, "").model_options == {}
    assert settings_of(magics, "--base-url=").config.base_url is None


def test_the_request_timeout_reaches_the_backend_and_zero_leaves_the_backends_default(ip, openai_server) -> None:
    magics = AutoGPTMagics(shell=ip)
    assert settings_of(magics, "--request-timeout 2.5").model_options == {"request_timeout": 2.5}
    assert settings_of(magics, "--request-timeout 0").model_options == {}
    with pytest.raises(UsageError, match="must be 0"):
        ip.run_cell_magic("autogpt", "--request-timeout -1", "g")
    try:
        ip.run_line_magic("config", "AutoGPTMagics.request_timeout = 7")
        assert settings_of(magics, "").model_options == {"request_timeout": 7.0}
        line = f"--model openai:m --base-url {openai_server.base_url}"
        settings = settings_of(magics, line)
        assert magics.session.build_model(settings.config, **settings.model_options).request_timeout == 7.0
        openai_server.queue("Done.")
        assert ip.run_cell_magic("autogpt", line, "g").status == "finished"
    finally:
        ip.run_line_magic("config", "AutoGPTMagics.request_timeout = 0")


def test_a_flag_without_a_value_is_not_mistaken_for_the_goal(ip, replies_file) -> None:
    path = replies_file("Done.")
    run = ip.run_line_magic("autogpt", f"--model replay:{path} --vision --no-cells what is x")
    assert run.goal == "what is x" and run.config.vision is True and run.config.insert_cells is False


# -- validation: one family for the command line and %config ------------------------------------------------


def test_zero_means_no_limit_for_every_budget_and_negatives_are_refused(ip) -> None:
    magics = magics_of(ip)
    config = config_of(magics, "--max-cost 0 --max-time 0 --max-tokens 0 --timeout 0")
    assert (config.max_cost, config.max_time, config.max_tokens, config.timeout) == (None, None, None, None)
    for option in ("--max-cost -1", "--max-time -5", "--max-tokens -2", "--timeout -1"):
        with pytest.raises(UsageError, match="0 \\(no limit\\) or more") as err:
            ip.run_cell_magic("autogpt", option, "g")
        assert type(err.value) is UsageError and "\n" not in str(err.value)
    for name, value in (("max_cost", -1.0), ("max_time", -1.0), ("max_tokens", -1), ("timeout", -1.0),
                        ("max_steps", 0)):
        with pytest.raises(TraitError):
            setattr(magics, name, value)


@pytest.mark.parametrize(
    "option", ["--timeout nan", "--timeout inf", "--max-time=-inf", "--max-cost inf", "--temperature nan"]
)
def test_non_finite_numbers_are_refused_on_the_command_line(ip, option) -> None:
    with pytest.raises(UsageError, match="must be a finite number") as err:
        ip.run_cell_magic("autogpt", option, "g")
    assert type(err.value) is UsageError and "\n" not in str(err.value)


@pytest.mark.parametrize(("name", "value"), [("timeout", float("nan")), ("max_cost", float("inf")),
                                             ("max_time", "inf")])
def test_non_finite_numbers_are_refused_as_config_defaults(ip, name, value) -> None:
    magics = AutoGPTMagics(shell=ip)
    with pytest.raises(TraitError, match=f"AutoGPTMagics.{name} must be a finite number"):
        setattr(magics, name, value)
    with pytest.raises(TraitError):
        AutoGPTMagics(shell=ip, config=Config({"AutoGPTMagics": {name: value}}))


@pytest.mark.parametrize(("option", "expected"), [("--max-tokens 1.5", "'1.5' is not a whole number"),
                                                  ("--max-cost lots", "'lots' is not a number"),
                                                  ("--context-chars 0", "must be 1 or more, not 0")])
def test_a_bad_number_says_what_is_wrong_with_it(ip, option, expected) -> None:
    with pytest.raises(UsageError, match=expected):
        ip.run_cell_magic("autogpt", option, "g")


# -- one declaration, everything derived from it ------------------------------------------------------------


def test_each_option_and_flag_is_declared_once() -> None:
    names = [option.name for option in options.OPTIONS]
    flags = [flag for option in options.OPTIONS for flag in option.switches]
    assert len(names) == len(set(names)) and len(flags) == len(set(flags))


def test_the_run_options_are_exactly_the_run_configs_fields() -> None:
    declared = sorted(option.name for option in options.OPTIONS if option.goes == "run")
    assert declared == sorted(field.name for field in dataclasses.fields(RunConfig))


def squeezed(text: str) -> str:
    """Return ``text`` without whitespace: help is wrapped, at hyphens too, and starts with a capital."""
    return "".join(text.split())


def test_the_manual_shows_every_flag_with_its_help(ip) -> None:
    manual = ip.find_cell_magic("autogpt").__doc__
    for option in options.OPTIONS:
        for flag in option.switches:
            assert flag in manual
        if option.switches:
            assert squeezed(option.flag_help)[1:] in squeezed(manual)


def test_config_help_shows_every_configurable_option(ip) -> None:
    shown = AutoGPTMagics.class_get_help()
    for option in options.OPTIONS:
        assert (f"--AutoGPTMagics.{option.name}=" in shown) is option.config
        if option.config:
            assert squeezed(option.described)[1:] in squeezed(shown)


def test_the_readme_holds_exactly_the_rendered_options_table() -> None:
    section = README.read_text(encoding="utf-8").split("\n## Options\n", 1)[1]
    lines = itertools.dropwhile(lambda line: not line.startswith("|"), section.splitlines())
    table = "\n".join(itertools.takewhile(lambda line: line.startswith("|"), lines))
    assert table == options.readme_table(), (
        "README.md's options table is stale: paste the output of\n"
        "python -c 'from jupyter_autogpt.options import readme_table; print(readme_table())'"
    )
