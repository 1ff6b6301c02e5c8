"""Static risk assessment of a step's code (standard library ``ast`` only): may it run, and what is risky in it.

``assess(code, user_names)`` answers both from one parse, as an ``Assessment``. Its ``flags`` name what
a careful user wants to see before a step runs: file deletion or overwrite, subprocesses and shell
escapes, network access, package installs, and rebinding or deleting the user's own variables. Under
``--policy auto`` (the default) flagged steps run and are marked in the transcript and the observation;
under ``ask-risky`` they wait for approval; ``ask-all`` asks every step.

Its ``refusal`` is the text the model reads instead of an observation when the step must never run,
whatever the policy: because it would end, wipe or wedge the user's session (such a step is also flagged
"kernel"), or because it uses top-level ``await``, which a nested cell cannot run. Names are resolved
through the step's imports and simple assignments first (``from os import _exit``, ``import os as o``,
``ip = get_ipython()``, ``bye = sys.exit``), and the distinctive tail names ``_exit``, ``abort``,
``ask_exit``, ``do_shutdown``, ``raise_signal`` (and ``kill``/``killpg``/``pthread_kill`` given a pid and
a signal) are refused under any spelling.
Decisions on IPython syntax in generated code (``%magics`` and ``!shell`` lines are read in the same
form IPython runs them, ``get_ipython().run_line_magic(...)`` etc., so spelling a magic as a call
changes nothing; see ``risk.syntax``):

- ``!cmd``, ``x = !cmd``, ``%sx``, ``%system``, ``%%bash``, ``%%sh``, ``%%script``, ``%run``: allowed,
  flagged "subprocess" (a shell command may hang; ``--timeout`` interrupts it like any step).
- ``%pip`` / ``%conda`` / ``%mamba`` / ``%uv``: allowed, flagged "install" and "subprocess".
- ``%%writefile``, ``%save``, ``%logstart``: allowed, flagged "overwrite".
- ``%autogpt`` / ``%%autogpt``, ``%reload_ext``/``%unload_ext`` of this package: refused (an agent
  inside an agent's step, or the agent unloading itself mid-run).
- ``%reset``, ``%reset_selective``, ``%xdel``, ``get_ipython().reset()``, ``globals().clear()``,
  ``user_ns.clear()``: refused (they wipe the user's namespace; no undo could bring it back).
- ``%exit``/``%quit``/``exit``/``quit``, ``%kill_embedded``, ``%killbgscripts``, ``ask_exit()``,
  ``os._exit``, ``os.kill``, ``sys.exit`` ...: refused (they end the kernel or the user's processes); so are
  ``os.exec*`` (they replace the kernel's process) and ``faulthandler``'s crash helpers (``_sigsegv`` ...).

What static analysis cannot see (a computed name, ``exec``, a shell command) the run-time guard refuses while
the step runs (``execution.killers``, ``execution.shell_routes``), in the words of ``runtime_refusal_text``.
- ``%debug`` and ``%pdb``: refused (they wait for interactive input no one can type during a run).
- Every other magic (``%time``, ``%timeit``, ``%matplotlib``, ``%who``, ``%env`` ...): allowed.

Code that does not parse (or is too deeply nested to analyse) gets no flags and no refusal: it cannot
run either, and the step reports the error.

The agent assesses each step's code once, before asking for approval, and never sends a refused step to
the executor (``agent.Agent._act``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass

from .flags import FLAGS, flags_in
from .names import Names, rebound_names
from .refusals import AWAIT_REFUSAL, find_refusal, refusal_text, top_level_await
from .syntax import REFUSED_MAGICS, python_source

__all__ = [
    "AWAIT_REFUSAL",
    "FLAGS",
    "POLICIES",
    "REFUSED_MAGICS",
    "Assessment",
    "assess",
    "python_source",
    "rebound_names",
    "refused_action",
]

#: When to ask before a step runs (``--policy``): never, only for flagged steps, or always.
POLICIES = ("auto", "ask-risky", "ask-all")


@dataclass(frozen=True)
class Assessment:
    """What static analysis found in a step's code.

    Attributes
    ----------
    flags
        Keys of ``FLAGS``, in that order: the risks a careful user wants to see before the step runs.
    refusal
        The text the model reads instead of an observation when the step must not run, else ``None``.
    """

    flags: tuple[str, ...] = ()
    refusal: str | None = None


def assess(code: str, user_names: Iterable[str] = ()) -> Assessment:
    """Return the risk flags of ``code`` and, when it must not run, the refusal the model reads.

    Parameters
    ----------
    code
        The step's code, IPython syntax (``%magic``, ``!shell``) included.
    user_names
        The user's variable names: a step that rebinds or deletes one is flagged ``"rebind"``.

    Examples
    --------
    >>> assess("df = df.dropna()", ["df"]).flags
    ('rebind',)
    >>> assess("from os import _exit as leave\\nleave(0)").flags
    ('kernel',)
    >>> assess("%reset -f").refusal.split(". ")[0]
    "Refused before running: `%reset` would wipe the user's namespace"
    """
    tree = _parse(code)
    if tree is None:
        return Assessment()
    nodes = list(ast.walk(tree))  # walked once, read by every check
    names = Names(nodes)
    flags = flags_in(tree, nodes, names, set(user_names))
    found = find_refusal(nodes, names)
    if found is not None:
        flags.add("kernel")
        refusal: str | None = refusal_text(*found)
    else:
        refusal = AWAIT_REFUSAL if top_level_await(tree) else None
    return Assessment(tuple(f for f in FLAGS if f in flags), refusal)


def refused_action(code: str) -> tuple[str, str] | None:
    """Return ``(what, why)`` for the first action in ``code`` that must never run, else ``None``.

    What the run-time guard asks of text a step hands to the shell (``get_ipython().run_cell(text)``), which the
    assessment of the step itself could not read.
    """
    tree = _parse(code)
    if tree is None:
        return None
    nodes = list(ast.walk(tree))
    return find_refusal(nodes, Names(nodes))


def _parse(code: str) -> ast.Module | None:
    try:
        return ast.parse(python_source(code))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        # the parser reports nesting past its limits as MemoryError/RecursionError; the kernel cannot run it either
        return None
