"""Every ``%%autogpt`` option, declared once, and what is derived from that one declaration.

An ``Option`` says what the setting is called, what it means, what values it takes, its default, the flags that
set it for one run, whether ``%config AutoGPTMagics.<name>`` sets its default, and where the value goes: a
``RunConfig`` field (``"run"``), a model backend option like ``device`` (``"model"``) or a session setting like
the view (``"session"``). From ``OPTIONS`` come the magic's argparse arguments (its manual, ``%%autogpt?``), the
``AutoGPTMagics`` traits with their help, one validation for the command line and ``%config`` alike, the
settings of one invocation (``resolve``) and the README's options table (``readme_table``).

Adding an option is one more ``Option(...)`` in ``OPTIONS``, e.g.
``Option("history", "earlier runs shown to the model", Number(whole=True, minimum=0), 0, metavar="N")``;
a ``"run"`` option also needs the ``RunConfig`` field its consumer reads (a test checks that the two agree),
a ``"session"`` one the ``Session`` attribute.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import traitlets

from .limits import HISTORY_CELLS
from .option_kinds import Choice, Flag, Kind, Names, Number, RunRef, Text
from .risk import POLICIES
from .types import RunConfig

__all__ = [
    "DEFAULT_MODEL",
    "OPTIONS",
    "Choice",
    "Flag",
    "Names",
    "Number",
    "Option",
    "RunRef",
    "Settings",
    "Text",
    "arguments",
    "optional_values",
    "readme_table",
    "resolve",
    "takes_value",
    "traits",
]

DEFAULT_MODEL = "openai:gpt-4o-mini"

#: Where an option's value goes: a ``RunConfig`` field, a keyword of the model backend, a ``Session`` attribute.
Target = Literal["run", "model", "session"]


@dataclass(frozen=True)
class Option:
    """One setting of ``%%autogpt``: the only place it is declared.

    Parameters
    ----------
    name
        The ``RunConfig`` field, backend keyword or session attribute it sets; also its ``%config`` name.
    help
        What it means, in a lowercase phrase: the manual, the ``%config`` help and the README read it.
    kind
        Its values: how command-line text becomes one, and what is refused (``option_kinds``).
    default
        Its value when neither the command line nor ``%config`` sets it.
    flags
        The command-line flags; ``None`` derives ``--max-steps`` from ``max_steps``, ``()`` means none
        (a ``%config``-only setting).
    metavar
        How its value is written in the manual and the README (``N``, ``URL``).
    config
        Whether ``%config AutoGPTMagics.<name>`` sets its default.
    goes
        Where the value goes (``Target``). Session settings are set before every run, so a flag given once
        does not stick.
    note
        How its default reads when the value cannot say it (``"default: the backend's"``).
    env
        An environment variable that gives the ``%config`` default before ``default`` does.
    """

    name: str
    help: str
    kind: Kind
    default: Any = None
    flags: tuple[str, ...] | None = None
    metavar: str | None = None
    config: bool = True
    goes: Target = "run"
    note: str = ""
    env: str = ""

    @property
    def switches(self) -> tuple[str, ...]:
        """Return the command-line flags that set this option (none for a ``%config``-only one)."""
        return ("--" + self.name.replace("_", "-"),) if self.flags is None else self.flags

    @property
    def described(self) -> str:
        """Return the help with the default spelled out: ``"… (default 10)"``."""
        note = f"default ${self.env}, else {self.default}" if self.env else self.note or self.kind.describe(self.default)
        return f"{self.help} ({note})" if note else self.help

    @property
    def flag_help(self) -> str:
        """Return what giving the flag does: the help, or ``"do not …"`` for a flag that turns a default off."""
        if isinstance(self.kind, Flag) and self.default:
            return f"do not {self.help}"
        return self.described


OPTIONS: tuple[Option, ...] = (
    Option("model", "the model id provider:model, e.g. openai:gpt-4o-mini, transformers:/path, replay:run.json",
           Text(), DEFAULT_MODEL, flags=("-m", "--model"), metavar="ID", env="AUTOGPT_MODEL"),
    Option("max_steps", "hard limit on model replies in a run; reaching it ends the run with status max_steps",
           Number(whole=True, minimum=1), 10, metavar="N"),
    Option("timeout", "seconds one step may run before it is interrupted and the model told why",
           Number(minimum=0, zero_means_none=True), 300.0, metavar="S"),
    Option("max_time", "seconds the whole run may take, each step included",
           Number(minimum=0, zero_means_none=True), 0.0, metavar="S"),
    Option("max_tokens", "token budget of the run, prompt + completion",
           Number(whole=True, minimum=0, zero_means_none=True), 0, metavar="N"),
    Option("max_cost", "cost budget of the run in USD, estimated from list prices",
           Number(minimum=0, zero_means_none=True), 0.0, metavar="USD"),
    Option("base_url", "OpenAI-compatible server, e.g. http://localhost:11434/v1 for Ollama",
           Text(empty_means_none=True), "", metavar="URL", note="default $OPENAI_BASE_URL"),
    Option("temperature", "sampling temperature", Number(), metavar="T", config=False, note="default: the backend's"),
    Option("focus", "comma-separated variables to focus on: shown first in the prompt, with a larger budget",
           Names(), (), flags=("--df",), metavar="a,b", config=False),
    Option("context_chars", "budget of the namespace overview in the first prompt, in characters",
           Number(whole=True, minimum=1), 12_000, metavar="N"),
    Option("vision", "send plots to the model as images, for vision-capable models", Flag(), False),
    Option("explain", "teaching mode: the model explains each step in plain words", Flag(), False),
    Option("approve", "ask before running each step", Flag(), False),
    Option("policy", "when to ask: auto (never), ask-risky (before flagged steps), ask-all (before every step)",
           Choice(POLICIES), "auto"),
    Option("insert_cells", "insert the executed steps as notebook cells, with the JupyterLab extension", Flag(), True,
           flags=("--no-cells",)),
    Option("request_timeout", "seconds to wait for the model's next output (a server's bytes, a local model's next "
           "token) before the request fails; --max-time bounds the whole wait either way",
           Number(minimum=0, zero_means_none=True), 0.0, metavar="S", goes="model",
           note="default 0: 120 for servers, no limit for local models"),
    Option("device", "where a transformers: model runs: cuda, cuda:1, mps or cpu", Text(), metavar="DEVICE",
           config=False, goes="model", note="default: the best available"),
    Option("view", "how a run shows its progress: auto (widgets in a notebook, text in a terminal), widgets, text, "
           "static (only what the live view leaves at its end: deterministic saved outputs, e.g. for nbval) or none",
           Choice(("auto", "widgets", "text", "static", "none")), "auto", flags=(), goes="session", env="AUTOGPT_VIEW"),
    Option("continue_from", "follow up this kernel's latest run (or RUN_ID): the model sees the earlier goals, "
           "their steps compacted and their answers", RunRef(), None, flags=("-c", "--continue"),
           config=False, note="%autogpt history lists the runs"),
    Option("new", "start afresh, not as a follow-up, even when continue_runs is set", Flag(), False, config=False),
    Option("continue_runs", "make every run a follow-up of the latest one, as if -c were given (--new starts "
           "afresh)", Flag(), False, flags=()),
    Option("history", "how many of your own cells since the last run the model sees, with a short form of their "
           "results and the last error you hit (0: none)", Number(whole=True, minimum=0), HISTORY_CELLS, metavar="N"),
    Option("instructions", "standing instructions added to the system prompt of every run (with the instructions "
           "file), e.g. \"use polars; dates are UTC\"", Text(), "", flags=()),
    Option("instructions_file", "the file of standing instructions, looked up in the notebook's folder and the "
           "folders above it up to the repository root; empty: none", Text(), "AGENTS.md", flags=()),
    Option("plan_review", "stop after the model's plan for you to review: edit its items or give feedback, then "
           "Run or Stop", Flag(), False, flags=("--plan",)),
    Option("recordings", "folder where every run is recorded, for replays (off when empty)", Text(), "", flags=(),
           goes="session", metavar="DIR"),
    Option("reuse_recordings", "replay the recording of a cell whose goal, model and options match one, instead of "
           "asking the model (the code still runs here)", Flag(), False, flags=(), goes="session"),
    Option("fresh", "ask the model even when a recording matches (and record the new run)", Flag(), False,
           config=False, goes="session"),
)

_BY_NAME = {option.name: option for option in OPTIONS}


def arguments() -> list[tuple[tuple[str, ...], dict[str, Any]]]:
    """Return ``(flags, keywords)`` for ``argparse.add_argument`` of each option with flags, in declared order."""
    found = []
    for option in OPTIONS:
        if option.switches:
            keywords = option.kind.argparse(option.default)
            if option.kind.takes_value and option.metavar:
                keywords["metavar"] = option.metavar
            # argparse formats help with %: a literal one must be doubled.
            keywords.update(dest=option.name, help=_sentence(option.flag_help).replace("%", "%%"))
            found.append((option.switches, keywords))
    return found


def takes_value() -> dict[str, bool]:
    """Return each flag and whether a value follows it (``--model x``, not ``--vision``)."""
    return {flag: option.kind.takes_value for option in OPTIONS for flag in option.switches}


def optional_values() -> dict[str, Callable[[str], bool]]:
    """Return each flag whose value may be left out, with the test of whether a word after it is that value.

    In the line magic the goal follows the options: ``%autogpt -c and for 2024?`` continues the latest run with
    the goal "and for 2024?", while ``%autogpt -c 3f9a2b goal`` names run 3f9a2b.
    """
    return {flag: option.kind.accepts for option in OPTIONS if isinstance(option.kind, RunRef)
            for flag in option.switches}


def traits() -> dict[str, Any]:
    """Return the ``%config`` traits of the configurable options, for the body of the class that holds them.

    Each trait has the option's default and help; ``env`` defaults are read when an instance is made, and one
    validator refuses what the command line refuses (``TraitError`` naming the option).
    """
    found: dict[str, Any] = {}
    for option in OPTIONS:
        if option.config:
            help = _sentence(option.described)
            if option.switches:
                help += f" (per run: {'/'.join(option.switches)})"
            found[option.name] = option.kind.trait(option.default, help).tag(config=True)
            if option.env:
                found[f"_default_{option.name}"] = traitlets.default(option.name)(_from_environment(option))
    found["_check_option"] = traitlets.validate(*(o.name for o in OPTIONS if o.config))(_check_trait)
    return found


def _from_environment(option: Option) -> Callable[[Any], Any]:
    def read(owner: Any) -> Any:
        return os.environ.get(option.env) or option.default

    return read


def _check_trait(owner: Any, proposal: Mapping[str, Any]) -> Any:
    name = proposal["trait"].name
    try:
        return _BY_NAME[name].kind.check(proposal["value"])
    except ValueError as exc:
        raise traitlets.TraitError(f"{type(owner).__name__}.{name} {exc}") from None


@dataclass(frozen=True)
class Settings:
    """The settings of one invocation, sorted by where they go."""

    config: RunConfig
    model_options: Mapping[str, Any]
    session: Mapping[str, Any]


def resolve(args: argparse.Namespace, configured: Any) -> Settings:
    """Return one invocation's settings: each option from the command line, else ``%config``, else its default.

    Parameters
    ----------
    args
        The parsed command line; an option it leaves at ``None`` or ``""`` was not given.
    configured
        The object holding the ``%config`` traits (the magics instance).
    """
    chosen: dict[str, dict[str, Any]] = {"run": {}, "model": {}, "session": {}}
    for option in OPTIONS:
        value = getattr(args, option.name, None)
        if value is None or value == "":
            value = getattr(configured, option.name) if option.config else option.default
        value = option.kind.final(value)
        # A backend is given only the options set (a 0 meaning "the backend's default" is not set), so one that
        # does not take them is not bothered.
        if option.goes != "model" or value not in (None, ""):
            chosen[option.goes][option.name] = value
    return Settings(RunConfig(**chosen["run"]), chosen["model"], chosen["session"])


def readme_table() -> str:
    """Return the README's options table, one row per option, as Markdown."""
    rows = ["| option | `%config AutoGPTMagics.` | meaning |", "|--------|-------------------------|---------|"]
    for option in OPTIONS:
        usage = "/".join(option.switches)
        if usage and option.kind.takes_value:
            usage += " " + (option.metavar or option.kind.placeholder())
        shown = f"`{usage}`" if usage else "—"
        config = f"`{option.name}`" if option.config else "—"
        meaning = option.flag_help if option.switches else option.described
        rows.append(f"| {_cell(shown)} | {config} | {_cell(meaning)} |")
    return "\n".join(rows)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]
