"""``%load_ext`` returns at once and imports what the first run needs in the background."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from IPython.core.interactiveshell import InteractiveShell

ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "jupyter_autogpt")
from jupyter_autogpt import warmup

warmup.join(60)
print(sorted(m for m in ("jupyter_autogpt.session", "jupyter_autogpt.models.openai", "ipywidgets") if m in sys.modules))
ip.run_cell_magic("autogpt", "--model replay:missing.json", "a goal")  # the magic works as before
"""


def test_load_ext_imports_the_first_runs_modules_in_the_background(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    printed = done.stdout.splitlines()
    assert printed[0] == "['jupyter_autogpt.models.openai', 'jupyter_autogpt.session']"  # no kernel: no widgets
    assert "missing.json" in done.stdout + done.stderr  # the run's own error: the extension still answers
