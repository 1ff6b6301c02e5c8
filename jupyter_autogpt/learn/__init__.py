"""Learn from your own runs: generated tasks about your data, and the magic's learning subcommands.

See ``tasks`` (questions a teacher model proposes about your dataframes, run by the agent and kept when
verified), ``jupyter_autogpt.dataset`` (runs -> training data) and ``jupyter_autogpt.finetune`` (LoRA).
Importing this package is cheap.
"""

from __future__ import annotations
