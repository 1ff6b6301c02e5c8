"""``python -m jupyter_autogpt.eval``: see :mod:`jupyter_autogpt.eval.cli`."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
