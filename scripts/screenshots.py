"""Regenerate the README screenshots in docs/img/ (offline simulator, headless Chromium).

Not run in CI. It writes a demo notebook to a temporary directory, starts JupyterLab on a
free local port (no token), opens the notebook in headless Chromium through Playwright,
runs the cells through `window.jupyterapp` and saves three PNGs:

- docs/img/live-view.png      a `%%claude --thinking` cell mid-stream (live ipywidgets)
- docs/img/static-output.png  the same cell once finished (static HTML, thinking opened)
- docs/img/tool-call.png      a `%%claude --tools get_weather` cell after the tool loop

Setup (once; keep it out of the project's own venv):

    apt-get install -y chromium            # Debian's build, at /usr/bin/chromium
    python3 -m venv ../shotvenv            # beside the repository, not inside it
    ../shotvenv/bin/pip install -e . jupyterlab playwright   # no `playwright install`

Run from the repository root:

    ../shotvenv/bin/python scripts/screenshots.py [--out docs/img] [--chromium PATH]

The kernel is the server's own Python, so it must be the venv that has claude_magic
installed. API-key variables are removed from the server's environment, so every cell
runs on the offline simulator whatever the caller's shell has set.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = "demo.ipynb"
VIEWPORT = {"width": 1200, "height": 900}
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
)

CELLS = [
    "%load_ext claude_magic\n%config ClaudeMagics.offline_token_rate = 25",
    "%%claude --thinking\nExplain prompt caching in three short paragraphs with a code example.",
    "def get_weather(city: str) -> dict:\n"
    '    """Current weather for a city: temperature in °C and conditions."""\n'
    '    return {"city": city, "temp_c": 18, "conditions": "partly cloudy"}',
    '%%claude --tools get_weather\nWhat is the weather in "Paris"? Use get_weather.',
]
THINKING_CELL, TOOL_DEF_CELL, TOOL_CELL = 1, 2, 3

# JupyterLab settings that keep pop-ups out of the pictures.
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# JS helpers evaluated in the page. `cell(i)` is the i-th cell's DOM node.
JS_CELL = "(i) => document.querySelectorAll('.jp-Notebook .jp-Cell')[i]"
JS_STATE = f"""(i) => {{
  const cell = ({JS_CELL})(i);
  const out = cell && cell.querySelector('.jp-OutputArea');
  if (!out) return null;
  const text = [...out.querySelectorAll('.cm-text')].map(e => e.innerText).join('');
  return {{
    widgets: out.querySelectorAll('.jupyter-widgets, .widget-accordion').length,
    text: text.length,
    final: !!out.querySelector('.cm-turn .cm-footer'),
    prompt: (cell.querySelector('.jp-InputPrompt') || {{}}).innerText || '',
    kernel: window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status,
  }};
}}"""


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:6.1f} s] {msg}", flush=True)


T0 = time.perf_counter()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path: Path) -> None:
    import nbformat

    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(src) for src in CELLS]
    nbformat.write(nb, path)


@contextlib.contextmanager
def jupyter_lab(tmp: Path, port: int):
    """A JupyterLab server on 127.0.0.1:port serving tmp/work, killed on exit."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(
        JUPYTER_CONFIG_DIR=str(tmp / "config"),
        JUPYTER_DATA_DIR=str(tmp / "data"),
        JUPYTER_RUNTIME_DIR=str(tmp / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(tmp / "lab" / "user-settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(tmp / "lab" / "workspaces"),
        IPYTHONDIR=str(tmp / "ipython"),
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
        f"--ServerApp.root_dir={tmp / 'work'}",
        "--LabApp.expose_app_in_browser=True",
        "--LabApp.news_url=",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    logfile = open(tmp / "lab.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        cmd, env=env, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited:\n{(tmp / 'lab.log').read_text()}")
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status", timeout=2)
                break
            if time.monotonic() > deadline:
                raise RuntimeError("jupyter lab did not start within 60 s")
            time.sleep(0.3)
        log(f"jupyter lab up on port {port}")
        yield
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        logfile.close()


def run_cell(page, index: int) -> None:
    """Start running cell `index` without waiting for it to finish."""
    page.evaluate(
        """(i) => { const a = window.jupyterapp;
                    a.shell.currentWidget.content.activeCellIndex = i;
                    a.commands.execute('notebook:run-cell'); }""",
        index,
    )
    page.wait_for_timeout(200)
    # Select the first cell, so the pictured cells carry no selection bar or cell toolbar.
    page.evaluate("() => { window.jupyterapp.shell.currentWidget.content.activeCellIndex = 0; }")


def wait_state(page, index: int, ok, what: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        state = page.evaluate(JS_STATE, index)
        if state and ok(state):
            return state
        if time.monotonic() > deadline:
            raise RuntimeError(f"cell {index}: timed out waiting for {what}; last state {state}")
        time.sleep(0.05)


def wait_done(page, index: int) -> None:
    """Wait for the static output and an idle kernel with an execution count."""
    wait_state(
        page,
        index,
        lambda s: (
            s["final"] and s["kernel"] == "idle" and s["prompt"].strip() not in ("[ ]:", "[*]:", "")
        ),
        "the final static output",
    )


def shoot(page, path: Path, first: int, last: int | None = None) -> None:
    """Screenshot cells first..last (inclusive), scrolled to the top of the notebook panel."""
    last = first if last is None else last
    page.evaluate(f"(i) => ({JS_CELL})(i).scrollIntoView({{block: 'start'}})", first)
    page.wait_for_timeout(150)
    box = page.evaluate(
        f"""([a, b]) => {{
          const r1 = ({JS_CELL})(a).getBoundingClientRect();
          const r2 = ({JS_CELL})(b).getBoundingClientRect();
          const p = document.querySelector('.jp-Notebook').getBoundingClientRect();
          return {{x: p.left, y: Math.max(r1.top, p.top) - 4, right: p.right,
                   bottom: Math.min(r2.bottom, p.bottom) + 4}};
        }}""",
        [first, last],
    )
    clip = {
        "x": box["x"],
        "y": box["y"],
        "width": box["right"] - box["x"],
        "height": box["bottom"] - box["y"],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path), clip=clip)
    log(
        f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
        f"({int(clip['width'])}x{int(clip['height'])}, {path.stat().st_size // 1024} KB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument(
        "--mid-stream-chars",
        type=int,
        default=150,
        help="Answer characters shown before the live screenshot is taken.",
    )
    args = parser.parse_args()
    out = args.out.resolve()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cm-shots-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "work").mkdir()
        write_notebook(tmp / "work" / NOTEBOOK)
        port = free_port()
        with jupyter_lab(tmp, port), sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport=VIEWPORT, device_scale_factor=1)
                page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}")
                page.wait_for_function(
                    "() => window.jupyterapp?.shell.currentWidget?.sessionContext"
                    "?.session?.kernel?.status === 'idle'",
                    timeout=60_000,
                )
                # Give the notebook the whole width: no side panels.
                page.evaluate("""async () => {
                    const a = window.jupyterapp;
                    a.shell.collapseLeft(); a.shell.collapseRight();
                }""")
                log("notebook open, kernel idle")

                run_cell(page, 0)
                page.wait_for_function(
                    f"() => ({JS_CELL})(0).querySelector('.jp-InputPrompt').innerText"
                    ".includes('[1]')",
                    timeout=30_000,
                )
                log("extension loaded")

                run_cell(page, THINKING_CELL)
                # The live tail is resent as it grows 2.5x (~30, 90, 225... characters of
                # this answer), so the threshold must fall between two of those steps.
                state = wait_state(
                    page,
                    THINKING_CELL,
                    lambda s: s["final"] or (s["widgets"] and s["text"] >= args.mid_stream_chars),
                    "streamed answer text",
                )
                if state["final"]:
                    raise RuntimeError(
                        "the cell finished before the live screenshot: lower --mid-stream-chars"
                    )
                shoot(page, out / "live-view.png", THINKING_CELL)
                if page.evaluate(JS_STATE, THINKING_CELL)["final"]:
                    raise RuntimeError("the cell finished while the live screenshot was taken")
                log(f"live view taken mid-stream ({state['text']} answer characters)")

                wait_done(page, THINKING_CELL)
                page.evaluate(
                    f"(i) => ({JS_CELL})(i).querySelectorAll('details.cm-thinking')"
                    ".forEach(d => d.open = true)",
                    THINKING_CELL,
                )
                shoot(page, out / "static-output.png", THINKING_CELL)

                run_cell(page, TOOL_DEF_CELL)
                page.wait_for_timeout(300)
                run_cell(page, TOOL_CELL)
                wait_done(page, TOOL_CELL)
                shoot(page, out / "tool-call.png", TOOL_DEF_CELL, TOOL_CELL)
            finally:
                browser.close()
    log("done")


if __name__ == "__main__":
    main()
