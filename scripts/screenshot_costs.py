"""Screenshot the cost summary by model (table and chart) in JupyterLab: docs/img/cost-by-model.png.

Not run in CI. Same setup and machinery as scripts/screenshots.py (Debian's chromium,
Playwright without a browser download, JupyterLab on a free local port, offline simulator):
a notebook runs a few `%%claude` cells on three models and two chats, then
`claude_magic.costs.show_usage(by="model")`, which is what `%claude usage --by model`
shows; the picture is that last cell.

    ../shotvenv/bin/python scripts/screenshot_costs.py [--out docs/img] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from screenshots import (  # noqa: E402
    CHROMIUM_ARGS,
    JS_CELL,
    ROOT,
    free_port,
    jupyter_lab,
    log,
    run_cell,
    shoot,
    wait_done,
)

NOTEBOOK = "costs.ipynb"
GUIDE = (
    'guide = "\\n".join(f"Rule {i}: answer in plain words, name API fields exactly, and show '
    'one short example." for i in range(1, 41))'
)
CLAUDE_CELLS = [
    "%%claude -c tutor -s {{guide}}\nWhat is prompt caching?",
    "%%claude -c tutor -s {{guide}}\nAnd what does a cache read cost?",
    "%%claude -c tutor -s {{guide}}\nWhen does the cache expire?",
    "%%claude -c drafts -m claude-haiku-5-5\nThree names for a pandas tutorial.",
    "%%claude -c drafts -m claude-opus-5-5\nOne more, please, in the style of a textbook.",
]
SHOW = 'from claude_magic.costs import show_usage\nshow_usage(by="model")'


def write_notebook(path: Path) -> None:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    sources = ["%load_ext claude_magic", GUIDE, *CLAUDE_CELLS, SHOW]
    nb.cells = [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="cm-costs-") as tmpdir:
        tmp = Path(tmpdir)
        (tmp / "work").mkdir()
        write_notebook(tmp / "work" / NOTEBOOK)
        port = free_port()
        with jupyter_lab(tmp, port), sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": 1450, "height": 1400})
                page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK}")
                page.wait_for_function(
                    "() => window.jupyterapp?.shell.currentWidget?.sessionContext"
                    "?.session?.kernel?.status === 'idle'",
                    timeout=60_000,
                )
                page.evaluate(
                    "() => { const a = window.jupyterapp; a.shell.collapseLeft(); "
                    "a.shell.collapseRight(); }"
                )
                for index in (0, 1):
                    run_cell(page, index)
                    time.sleep(1.0)
                first, last = 2, 2 + len(CLAUDE_CELLS) - 1
                for index in range(first, last + 1):
                    run_cell(page, index)
                    wait_done(page, index)
                log(f"{len(CLAUDE_CELLS)} %%claude cells done")
                show = last + 1
                run_cell(page, show)
                page.wait_for_function(
                    f"() => ({JS_CELL})({show}).querySelector('.jp-OutputArea img')",
                    timeout=60_000,
                )
                page.wait_for_timeout(500)
                shoot(page, args.out / "cost-by-model.png", show)
            finally:
                browser.close()
    log("done")


if __name__ == "__main__":
    main()
