"""``python -m jupyter_autogpt.finetune BASE DATA.jsonl --output DIR [options]``: LoRA fine-tune from the shell."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from ..errors import AutoGPTError


def main(argv: Sequence[str] | None = None) -> int:
    """Run a fine-tune from command-line arguments; return the exit status (130 when interrupted)."""
    from . import finetune
    from .cli import parse

    args = sys.argv[1:] if argv is None else list(argv)
    if not args or "-h" in args or "--help" in args:
        from .cli import parser

        parser().print_help()
        return 0 if args else 2
    try:
        call, options = parse(args)
        result = finetune(call.pop("base"), call.pop("data"), call.pop("output"), options, **call)
    except AutoGPTError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(result)
    return 0 if result.status == "finished" else 130


if __name__ == "__main__":
    sys.exit(main())
