"""A real Jupyter server and a headless Chromium, for the browser tests and the screenshots.

`jupyter_server(tmp)` starts JupyterLab (which also serves Notebook 7 when `notebook` is
installed) on a free loopback port with no token, temporary JUPYTER_* directories and no
API-key variables (so every kernel runs on the offline simulator), and kills it on exit.
`chromium()` launches Debian's system Chromium through Playwright (no browser download).
`Notebook` drives one open notebook through `window.jupyterapp` (JupyterLab) or the
keyboard (Notebook 7). Nothing here is a test; `tests/browser/conftest.py` makes fixtures
of it and `scripts/screenshots.py` uses it directly.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
SCRUBBED_ENV = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_BASE_URL",
    "CLAUDE_MAGIC_BACKEND",
    "CLAUDE_MAGIC_OFFLINE_TOKEN_RATE",
    "JPY_SESSION_NAME",
)
LAB_SETTINGS = {
    # No pop-ups in the pictures, no news fetched from the network.
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}


def find_chromium() -> str | None:
    found = os.environ.get("CLAUDE_MAGIC_CHROMIUM") or next(
        (p for p in CHROMIUM_PATHS if Path(p).exists()), None
    )
    return found or shutil.which("chromium")


def missing_requirements() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    import importlib.util

    for module in ("playwright", "jupyterlab", "notebook"):
        if importlib.util.find_spec(module) is None:
            return f"{module} is not installed (pip install -e '.[browser]')"
    if find_chromium() is None:
        return "no Chromium (apt-get install -y chromium)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def jupyter_server(tmp: Path, *, log=print) -> Iterator[str]:
    """JupyterLab + Notebook 7 serving `tmp/work` on loopback; yields the base URL."""
    port = free_port()
    work = tmp / "work"
    work.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab" / "workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    for name, value in LAB_SETTINGS.items():
        target = tmp / "lab" / "user-settings" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(value))
    cmd = [
        sys.executable,
        "-m",
        "jupyter",
        "lab",
        "--no-browser",
        f"--port={port}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.token=",
        "--ServerApp.password=",
        "--ServerApp.disable_check_xsrf=True",
        f"--ServerApp.root_dir={work}",
        "--LabApp.expose_app_in_browser=True",
        "--JupyterNotebookApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
        "--LabServerApp.collaborative=False",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    logfile = open(tmp / "server.log", "wb")  # noqa: SIM115 - closed in finally
    proc = subprocess.Popen(
        cmd, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited:\n{(tmp / 'server.log').read_text()}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter lab did not start within 90 s")
            time.sleep(0.2)
        log(f"jupyter server up at {url}")
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        logfile.close()


@contextlib.contextmanager
def chromium(executable: str | None = None) -> Iterator[Any]:
    """A headless system Chromium driven by Playwright; yields the Browser."""
    from playwright.sync_api import sync_playwright

    path = executable or find_chromium()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=path, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def write_notebook(path: Path, cells: list[str]) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, path)


JS_CELL = "(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i]"


class Notebook:
    """One notebook open in a page (JupyterLab or Notebook 7), its kernel ready."""

    def __init__(self, page: Any, base: str, name: str, *, ui: str = "lab") -> None:
        self.page = page
        self.ui = ui
        # A workspace of its own, reset: JupyterLab would reopen every notebook of the
        # server's last workspace next to this one.
        workspace = f"cm-{uuid.uuid4().hex[:8]}"
        route = (
            f"/lab/workspaces/{workspace}/tree/{name}?reset"
            if ui == "lab"
            else f"/notebooks/{name}"
        )
        page.goto(f"{base}{route}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        self.wait_kernel_idle()

    # -- kernel state ---------------------------------------------------------------------

    def kernel_status(self) -> str | None:
        return self.page.evaluate(
            "() => { const w = window.jupyterapp?.shell?.currentWidget;"
            " return w?.sessionContext?.session?.kernel?.status ?? null; }"
        )

    def wait_kernel_idle(self, timeout: float = 60.0) -> None:
        self.page.wait_for_function(
            "() => window.jupyterapp?.shell?.currentWidget?.sessionContext?.session?.kernel"
            "?.status === 'idle'",
            timeout=timeout * 1000,
        )

    # -- cells ----------------------------------------------------------------------------

    def cell(self, index: int) -> Any:
        return self.page.locator(".jp-Notebook .jp-Cell").nth(index)

    def run(self, index: int) -> None:
        """Start running cell `index` (does not wait for it); retried once if the cell did
        not get queued (a command can land while the notebook is still settling)."""
        for _ in range(2):
            before = self.prompt(index)
            self.page.evaluate(
                """(i) => { const a = window.jupyterapp;
                    const panel = a.shell.currentWidget; a.shell.activateById(panel.id);
                    const nb = panel.content;
                    nb.activeCellIndex = i; nb.deselectAll(); nb.mode = 'command';
                    a.commands.execute('notebook:run-cell'); }""",
                index,
            )
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                now = self.prompt(index).strip()
                if now == "[*]:" or now != before.strip():
                    return
                time.sleep(0.02)

    def prompt(self, index: int) -> str:
        return self.page.evaluate(
            f"(i) => (({JS_CELL})(i).querySelector('.jp-InputPrompt') || {{}}).innerText || ''",
            index,
        )

    def wait_done(self, index: int, timeout: float = 60.0) -> None:
        """Wait until cell `index` has its reply (its prompt shows a count) and the kernel is
        idle. The kernel's status alone is not enough: control messages (JupyterLab deletes
        a widget comm subshell when the last widget closes) flip it to idle too."""
        deadline = time.monotonic() + timeout
        while True:
            prompt = self.prompt(index).strip()
            if prompt not in ("", "[ ]:", "[*]:") and self.kernel_status() == "idle":
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell {index} did not finish in {timeout} s ({prompt!r})")
            time.sleep(0.05)

    def run_and_wait(self, index: int, timeout: float = 60.0) -> None:
        """Run cell `index` and wait until it has an execution count and the kernel is idle."""
        before = self.prompt(index)
        self.run(index)
        deadline = time.monotonic() + timeout
        while True:
            prompt = self.prompt(index).strip()
            if (
                prompt not in ("", "[ ]:", "[*]:")
                and prompt != before.strip()
                and self.kernel_status() == "idle"
            ):
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"cell {index} did not finish in {timeout} s ({prompt!r})")
            time.sleep(0.05)

    def set_cell(self, index: int, source: str) -> None:
        self.page.evaluate(
            """([i, src]) => { const nb = window.jupyterapp.shell.currentWidget.content;
                nb.widgets[i].model.sharedModel.setSource(src); }""",
            [index, source],
        )

    def add_cell(self, source: str) -> int:
        """Append a code cell; returns its index."""
        return self.page.evaluate(
            """(src) => { const nb = window.jupyterapp.shell.currentWidget.content;
                nb.model.sharedModel.insertCell(nb.model.sharedModel.cells.length,
                  {cell_type: 'code', source: src});
                return nb.widgets.length - 1; }""",
            source,
        )

    def interrupt(self) -> None:
        self.page.evaluate("() => window.jupyterapp.commands.execute('notebook:interrupt-kernel')")

    def set_theme(self, theme: str) -> None:
        """'JupyterLab Light' or 'JupyterLab Dark'."""
        self.page.evaluate(
            "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})",
            theme,
        )
        self.page.wait_for_function(
            "(t) => document.body.dataset.jpThemeName === t", arg=theme, timeout=20_000
        )
        self.page.wait_for_timeout(300)
