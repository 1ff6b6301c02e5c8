"""Shared browser-test harness: JupyterLab on 127.0.0.1 and headless Chromium pages (Debian's chromium).

A plain module (not a conftest) so every browser test module can import it::

    from harness import start_lab, open_notebook, launch_chromium

``start_lab`` owns one ``jupyter lab`` process, started from this venv's Python and stopped by its own PID.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "CURRENT_NOTEBOOK",
    "LabServer",
    "launch_chromium",
    "open_notebook",
    "run_all",
    "start_lab",
]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
READY_SECONDS = 60.0


@dataclass(frozen=True)
class LabServer:
    """A running JupyterLab: its base ``url``, ``token``, served ``root`` folder and server ``process``."""

    url: str
    token: str
    root: Path
    process: subprocess.Popen[bytes]
    log: Path

    def page_url(self, path: str = "") -> str:
        return f"{self.url}lab/tree/{path}?token={self.token}" if path else f"{self.url}lab?token={self.token}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _settings_dir(tmp_dir: Path) -> Path:
    """Return a JupyterLab settings folder that silences the news / update toast."""
    folder = tmp_dir / "lab-settings"
    target = folder / "@jupyterlab" / "apputils-extension"
    target.mkdir(parents=True, exist_ok=True)
    (target / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return folder


def _wait_ready(url: str, token: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{url}api/status?token={token}", timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"jupyter lab did not answer in {READY_SECONDS:.0f}s:\n{log.read_text()[-3000:]}")


@contextmanager
def start_lab(tmp_dir: Path | str, root: Path | str | None = None) -> Iterator[LabServer]:
    """Start JupyterLab on 127.0.0.1 serving ``root`` (default ``tmp_dir/root``); stop it on exit."""
    tmp = Path(tmp_dir)
    serve = Path(root) if root is not None else tmp / "root"
    serve.mkdir(parents=True, exist_ok=True)
    port, token = _free_port(), secrets.token_hex(16)
    workspaces = tmp / "lab-workspaces"  # never restore tabs from an earlier server or test
    workspaces.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "JUPYTERLAB_SETTINGS_DIR": str(_settings_dir(tmp)),
        "JUPYTERLAB_WORKSPACES_DIR": str(workspaces),
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    log = tmp / "jupyter-lab.log"
    command = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root",
        "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--ServerApp.token={token}", "--LabApp.expose_app_in_browser=True", f"--ServerApp.root_dir={serve}",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=serve)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_ready(url, token, process, log)
        yield LabServer(url, token, serve, process, log)
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(5)


@contextmanager
def launch_chromium(**context: Any) -> Iterator[Any]:
    """Yield a Playwright browser context on Debian's headless Chromium (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            ctx = browser.new_context(viewport={"width": 1280, "height": 900}, **context)
            yield ctx
            ctx.close()
        finally:
            browser.close()


_KERNEL_IDLE = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const s = w && w.sessionContext;
  return !!(s && s.session && s.session.kernel && s.session.kernel.connectionStatus === 'connected'
            && s.session.kernel.status === 'idle');
}"""


_CURRENT_PATH = """(path) => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  return !!(w && w.context && w.context.path === path && w.content && w.content.widgets.length > 0);
}"""

#: The notebook panel in front (other tabs stay in the DOM, hidden).
CURRENT_NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def open_notebook(page: Any, lab: LabServer, path: str, timeout_ms: int = 30_000) -> None:
    """Open ``path`` (relative to the served root) and wait until its kernel is connected and idle."""
    page.goto(lab.page_url(path) + "&reset")
    page.wait_for_function(_CURRENT_PATH, arg=path, timeout=timeout_ms)
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout_ms)


def run_all(page: Any) -> None:
    """Run every cell of the current notebook (JupyterLab's own command, not a keyboard shortcut)."""
    # Not awaited: the command's promise resolves only once every cell has run.
    page.evaluate("() => { void window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def wait_idle(page: Any, timeout_ms: int = 30_000) -> None:
    """Wait until the current notebook's kernel is idle again."""
    page.wait_for_function(_KERNEL_IDLE, timeout=timeout_ms)
