"""Regenerate the README screenshots in docs/img/ (offline simulator, headless Chromium).

Not run in CI. It writes a demo notebook to a temporary directory, starts JupyterLab on a
free loopback port (tests/browser/harness.py, as the browser tests do), runs the cells
through `window.jupyterapp` and saves:

- docs/img/live-view.png          a reply mid-stream: thinking, then the answer with its
                                  finished blocks formatted and the rest arriving
- docs/img/static-output.png      the same reply once finished: a table, highlighted code
                                  and typeset math (light theme)
- docs/img/static-output-dark.png the same in JupyterLab's dark theme
- docs/img/tool-call.png          a `%%claude --tools get_weather` cell after the tool loop

Setup (once), in the project's venv:

    apt-get install -y chromium                 # Debian's build, at /usr/bin/chromium
    pip install -e '.[browser]'                 # JupyterLab, Notebook 7, Playwright

Run from the repository root:

    python scripts/screenshots.py [--out docs/img] [--chromium PATH]

The kernel is the server's own Python, so it must be the venv that has claude_magic
installed. API-key variables are removed from the server's environment, so every cell
runs on the offline simulator whatever the caller's shell has set.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser import harness  # noqa: E402 - after the path is set
from tests.views_helpers import RICH_REPLY  # noqa: E402

NOTEBOOK = "demo.ipynb"
VIEWPORT = {"width": 1100, "height": 1400}
THINKING = (
    "The user wants the three ways compared. Timing first: apply calls Python per row, so "
    "it is the slowest; the vectorized form runs in C; numba compiles the loop. A small "
    "table reads best, then the vectorized code, then the cost in terms of N."
)
REPLY = {
    "content": [
        {"type": "thinking", "thinking": THINKING, "signature": ""},
        {"type": "text", "text": RICH_REPLY},
    ]
}
CELLS = [
    "%load_ext claude_magic\nimport claude_magic, json\n"
    "%config ClaudeMagics.offline_token_rate = 30",
    f"claude_magic.simulator().script(json.loads({json.dumps(json.dumps(REPLY))}))",
    "%%claude --thinking\nCompare apply, vectorized NumPy and numba on a 10,000-row frame.",
    "def get_weather(city: str) -> dict:\n"
    '    """Current weather for a city: temperature in °C and conditions."""\n'
    '    return {"city": city, "temp_c": 18, "conditions": "partly cloudy"}',
    '%%claude --tools get_weather\nWhat is the weather in "Paris"? Use get_weather.',
]
REPLY_CELL, TOOL_DEF_CELL, TOOL_CELL = 2, 3, 4
T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:6.1f} s] {msg}", flush=True)


def live_text(nb: harness.Notebook, index: int) -> int:
    """Characters of answer text the live view shows (-1 once the static output is in)."""
    return nb.page.evaluate(
        f"""(i) => {{ const c = ({harness.JS_CELL})(i);
            const live = c.querySelector('.cm-live .cm-text');
            const done = [...c.querySelectorAll('.cm-turn')].some((t) => !t.closest('.cm-live'));
            return done ? -1 : live ? live.textContent.length : 0; }}""",
        index,
    )


def shoot(nb: harness.Notebook, path: Path, first: int, last: int | None = None) -> None:
    """Screenshot cells first..last (inclusive) of the notebook panel."""
    last = first if last is None else last
    page = nb.page
    page.evaluate(f"(i) => ({harness.JS_CELL})(i).scrollIntoView({{block: 'start'}})", first)
    page.wait_for_timeout(300)
    box = page.evaluate(
        f"""([a, b]) => {{
          const r1 = ({harness.JS_CELL})(a).getBoundingClientRect();
          const r2 = ({harness.JS_CELL})(b).getBoundingClientRect();
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
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    log(f"wrote {shown} ({int(clip['width'])}x{int(clip['height'])})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--chromium", default=None)
    parser.add_argument(
        "--mid-stream-chars",
        type=int,
        default=420,
        help="Answer characters on screen when the live screenshot is taken.",
    )
    args = parser.parse_args()
    out = args.out.resolve()
    missing = harness.missing_requirements()
    if missing and not args.chromium:
        sys.exit(f"cannot take screenshots: {missing}")

    with tempfile.TemporaryDirectory(prefix="cm-shots-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "work").mkdir()
        harness.write_notebook(tmp / "work" / NOTEBOOK, CELLS)
        with harness.jupyter_server(tmp, log=log) as url, harness.chromium(args.chromium) as b:
            page = b.new_page(viewport=VIEWPORT, device_scale_factor=1)
            nb = harness.Notebook(page, url, NOTEBOOK)
            page.evaluate("() => { window.jupyterapp.shell.collapseLeft(); }")
            log("notebook open, kernel idle")
            nb.run_and_wait(0)
            nb.run_and_wait(1)

            nb.run(REPLY_CELL)
            deadline = time.monotonic() + 120
            while (shown := live_text(nb, REPLY_CELL)) < args.mid_stream_chars:
                if shown < 0:
                    sys.exit("the reply ended before the live screenshot: lower --mid-stream-chars")
                if time.monotonic() > deadline:
                    sys.exit("no streamed text after 120 s")
                time.sleep(0.05)
            shoot(nb, out / "live-view.png", REPLY_CELL)
            if live_text(nb, REPLY_CELL) < 0:
                sys.exit("the reply finished while the live screenshot was taken")
            nb.wait_done(REPLY_CELL)
            page.wait_for_timeout(1000)  # MathJax
            shoot(nb, out / "static-output.png", REPLY_CELL)
            nb.set_theme("JupyterLab Dark")
            page.wait_for_timeout(800)
            shoot(nb, out / "static-output-dark.png", REPLY_CELL)
            nb.set_theme("JupyterLab Light")

            nb.run_and_wait(TOOL_DEF_CELL)
            nb.run_and_wait(TOOL_CELL)
            page.wait_for_timeout(500)
            shoot(nb, out / "tool-call.png", TOOL_DEF_CELL, TOOL_CELL)
    log("done")


if __name__ == "__main__":
    main()
