"""The kinds of value an option takes: how command-line text becomes one, what is refused, its trait.

One validator family serves the command line and ``%config`` alike: ``check`` raises ``ValueError`` with the
reason (``"must be 1 or more, not 0"``); ``options.py`` turns it into argparse's one-line error or a
``TraitError``. Numbers must be finite everywhere.
"""

from __future__ import annotations

import argparse
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

import traitlets

__all__ = ["LATEST", "Choice", "Flag", "Kind", "Names", "Number", "RunRef", "Text"]

#: What ``-c``/``--continue`` given without a run id means: this kernel's latest run.
LATEST = "latest"
_RUN_ID = re.compile(r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{4,12}")


class Kind(Protocol):
    """What an option's values are (see the module docstring)."""

    #: Whether a value follows the flag on the command line (``--model x``, not ``--vision``).
    takes_value: ClassVar[bool]

    def check(self, value: Any) -> Any:
        """Return ``value`` when allowed; raise ``ValueError`` saying why not."""
        ...

    def final(self, value: Any) -> Any:
        """Return the value its destination receives (``0`` as ``None`` for "no limit")."""
        ...

    def trait(self, default: Any, help: str) -> traitlets.TraitType[Any, Any]:
        """Return the ``%config`` trait holding the default."""
        ...

    def argparse(self, default: Any) -> dict[str, Any]:
        """Return the ``argparse.add_argument`` keywords that read the value (type, action, choices)."""
        ...

    def describe(self, default: Any) -> str:
        """Return how the default reads in help (``"default 10"``), or ``""`` when there is nothing to say."""
        ...

    def placeholder(self) -> str:
        """Return how a value is written when the option names no ``metavar`` (``N``, ``auto|ask-all``)."""
        ...


def _reading(parse: Callable[[str], Any]) -> Callable[[str], Any]:
    """Return an argparse ``type`` that reports ``parse``'s ``ValueError`` as its one-line message."""

    def read(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    return read


def _shown(value: float) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


@dataclass(frozen=True)
class Number:
    """A finite number, whole or not, at least ``minimum``; with ``zero_means_none`` 0 means "no limit"."""

    whole: bool = False
    minimum: float | None = None
    zero_means_none: bool = False
    takes_value: ClassVar[bool] = True

    def parse(self, text: str) -> float:
        """Return the number ``text`` writes, checked; raise ``ValueError`` saying what is wrong."""
        try:
            value = int(text) if self.whole else float(text)
        except ValueError:
            raise ValueError(f"{text!r} is not {'a whole number' if self.whole else 'a number'}") from None
        return self.check(value)

    def check(self, value: Any) -> Any:
        """Return ``value`` when finite and at least ``minimum``; raise ``ValueError`` otherwise."""
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"must be a finite number, not {value}")
        if self.minimum is not None and value < self.minimum:
            least = "0 (no limit)" if self.zero_means_none and self.minimum == 0 else _shown(self.minimum)
            raise ValueError(f"must be {least} or more, not {_shown(value)}")
        return value

    def final(self, value: Any) -> Any:
        """Return ``value``, or ``None`` for a 0 that means "no limit"."""
        return None if self.zero_means_none and value == 0 else value

    def trait(self, default: Any, help: str) -> traitlets.TraitType[Any, Any]:
        """Return a casting trait (``"5"`` reads as 5); ``options.traits`` adds the check."""
        return traitlets.CInt(default, help=help) if self.whole else traitlets.CFloat(default, help=help)

    def argparse(self, default: Any) -> dict[str, Any]:
        """Return a ``type`` that parses and checks the number."""
        return {"type": _reading(self.parse)}

    def describe(self, default: Any) -> str:
        """Return ``"default 300; 0: no limit"``, or ``""`` without a default."""
        if default is None:
            return ""
        if self.zero_means_none:
            return "default 0: no limit" if default == 0 else f"default {default:,g}; 0: no limit"
        return f"default {default:,g}"

    def placeholder(self) -> str:
        """Return ``N``."""
        return "N"


@dataclass(frozen=True)
class Text:
    """Free text; with ``empty_means_none`` an empty value reaches its destination as ``None``."""

    empty_means_none: bool = False
    takes_value: ClassVar[bool] = True

    def check(self, value: Any) -> Any:
        """Return ``value``: any text is allowed."""
        return value

    def final(self, value: Any) -> Any:
        """Return ``value``, or ``None`` for an empty one that means "not set"."""
        return value or None if self.empty_means_none else value

    def trait(self, default: Any, help: str) -> traitlets.TraitType[Any, Any]:
        """Return a text trait (``""`` when the option has no default)."""
        return traitlets.Unicode(default or "", help=help)

    def argparse(self, default: Any) -> dict[str, Any]:
        """Return no keywords: argparse reads text by itself."""
        return {}

    def describe(self, default: Any) -> str:
        """Return ``"default …"`` for a non-empty default."""
        return f"default {default}" if default else ""

    def placeholder(self) -> str:
        """Return ``TEXT``."""
        return "TEXT"


@dataclass(frozen=True)
class Names:
    """Comma-separated names, read as a tuple without blanks (``"a, b"`` is ``("a", "b")``)."""

    takes_value: ClassVar[bool] = True

    def parse(self, text: str) -> tuple[str, ...]:
        """Return the names in ``text``."""
        return tuple(name.strip() for name in text.split(",") if name.strip())

    def check(self, value: Any) -> Any:
        """Return ``value``: any names are allowed."""
        return value

    def final(self, value: Any) -> Any:
        """Return the names as a tuple."""
        return tuple(value)

    def trait(self, default: Any, help: str) -> traitlets.TraitType[Any, Any]:
        """Return a list-of-text trait."""
        return traitlets.List(traitlets.Unicode(), list(default or ()), help=help)

    def argparse(self, default: Any) -> dict[str, Any]:
        """Return a ``type`` that splits the names."""
        return {"type": _reading(self.parse)}

    def describe(self, default: Any) -> str:
        """Return ``"default a,b"`` for a non-empty default."""
        return f"default {','.join(default)}" if default else ""

    def placeholder(self) -> str:
        """Return ``a,b``."""
        return "a,b"


@dataclass(frozen=True)
class Choice:
    """One of a few words."""

    values: Sequence[str]
    takes_value: ClassVar[bool] = True

    def check(self, value: Any) -> Any:
        """Return ``value`` when it is one of ``values``; raise ``ValueError`` naming them otherwise."""
        if value not in self.values:
            raise ValueError(f"must be one of {', '.join(self.values)}, not {value!r}")
        return value

    def final(self, value: Any) -> Any:
        """Return ``value``."""
        return value

    def trait(self, default: Any, help: str) -> traitlets.TraitType[Any, Any]:
        """Return an enum trait (``%config AutoGPTMagics`` lists the choices)."""
        return traitlets.Enum(tuple(self.values), default, help=help)

    def argparse(self, default: Any) -> dict[str, Any]:
        """Return ``choices``: argparse names them in its error."""
        return {"choices": tuple(self.values)}

    def describe(self, default: Any) -> str:
        """Return ``"default …"``."""
        return f"default {default}" if default else ""

    def placeholder(self) -> str:
        """Return the choices: ``auto|ask-risky|ask-all``."""
        return "|".join(self.values)


@dataclass(frozen=True)
class Flag:
    """On or off; the flag sets the opposite of the default (``--vision`` turns on, ``--no-cells`` off)."""

    takes_value: ClassVar[bool] = False

    def check(self, value: Any) -> Any:
        """Return ``value``: the trait already holds a bool."""
        return value

    def final(self, value: Any) -> Any:
        """Return ``value``."""
        return value

    def trait(self, default: Any, help: str) -> traitlets.TraitType[Any, Any]:
        """Return a bool trait."""
        return traitlets.Bool(bool(default), help=help)

    def argparse(self, default: Any) -> dict[str, Any]:
        """Return a flag taking no value; absent it reads ``None`` so that ``%config`` applies."""
        return {"action": "store_const", "const": not default, "default": None}

    def describe(self, default: Any) -> str:
        """Return ``""``: a flag is off, or its help says what turning it off does."""
        return ""

    def placeholder(self) -> str:
        """Return ``""``: a flag takes no value."""
        return ""


@dataclass(frozen=True)
class RunRef:
    """An optional run id: the flag alone means this kernel's latest run (``LATEST``), ``-c 3f9a…`` a named one.

    In the line magic the goal follows the options, so the word after the flag is its value only when it reads
    as a run id (``accepts``: 4 to 12 hex digits, letters and digits both); ``--continue=ID`` always is.
    """

    takes_value: ClassVar[bool] = True

    def accepts(self, word: str) -> bool:
        """Return whether ``word``, after the flag in the line magic, is its value rather than the goal's start."""
        return _RUN_ID.fullmatch(word) is not None

    def check(self, value: Any) -> Any:
        """Return ``value``: which run it names is the session's to say."""
        return value

    def final(self, value: Any) -> Any:
        """Return the run id, ``LATEST``, or ``None`` when the flag was not given."""
        return value or None

    def trait(self, default: Any, help: str) -> traitlets.TraitType[Any, Any]:
        """Return a text trait (a run id is no ``%config`` default; the option declares ``config=False``)."""
        return traitlets.Unicode(default or "", help=help)

    def argparse(self, default: Any) -> dict[str, Any]:
        """Return an optional value: the flag alone gives ``LATEST``."""
        return {"nargs": "?", "const": LATEST, "default": None, "metavar": "RUN_ID"}

    def describe(self, default: Any) -> str:
        """Return ``""``: the help says what the flag alone means."""
        return ""

    def placeholder(self) -> str:
        """Return ``[RUN_ID]``."""
        return "[RUN_ID]"
