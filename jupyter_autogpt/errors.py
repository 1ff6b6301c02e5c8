"""Typed errors, grouped by who is at fault.

Only the magic turns these into ``UsageError``; everything below it raises them with text that tells the
user what to do next.
"""

from __future__ import annotations

__all__ = [
    "AutoGPTError",
    "BudgetExceeded",
    "ConfigError",
    "ModelAuthError",
    "ModelBackendError",
    "ModelBehaviourError",
    "ModelContextError",
    "RunCancelled",
]


class AutoGPTError(Exception):
    """Base class of every error this package raises on purpose."""


class ConfigError(AutoGPTError):
    """The user's options or environment cannot start a run (bad model id, missing key, bad value)."""


class ModelBackendError(AutoGPTError):
    """The model backend failed: the server is unreachable, answered an error, or the local model broke.

    Attributes
    ----------
    transient
        Whether retrying the same request later may succeed (rate limits, 5xx, dropped connections).
    """

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


class ModelAuthError(ModelBackendError, ConfigError):
    """The backend refused the credentials; the user must fix the key or the server address."""


class ModelContextError(ModelBackendError):
    """The prompt did not fit the model's context window."""


class ModelBehaviourError(AutoGPTError):
    """The model's replies cannot be used (garbage, repeats) after the allowed corrective re-asks."""


class BudgetExceeded(AutoGPTError):
    """A budget (tokens, cost) ran out; the run stops with what it has."""


class RunCancelled(AutoGPTError):
    """The user asked the run to stop (the Stop button or an approval answer)."""
