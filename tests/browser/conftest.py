"""One Jupyter server (JupyterLab + Notebook 7) and one headless Chromium for the browser tests.

They run last (collection puts them at the end) and their fixtures are module-scoped:
Playwright's sync API keeps an event loop running on the main thread while it is open,
which the rest of the suite (asyncio.run) must not see.

The browser tests skip when Playwright, JupyterLab, Notebook 7 or a system Chromium is
missing, except when CLAUDE_MAGIC_BROWSER_TESTS=required (CI sets it): then a missing piece
fails the run instead of hiding it.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import harness

REQUIRED = os.environ.get("CLAUDE_MAGIC_BROWSER_TESTS") == "required"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True  # type: ignore[attr-defined]
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    browser = [item for item in items if here in Path(str(item.fspath)).parents]
    for item in browser:
        item.add_marker(pytest.mark.browser)
        items.remove(item)
    items.extend(browser)


@pytest.fixture(scope="module")
def requirements() -> None:
    reason = harness.missing_requirements()
    if reason and REQUIRED:
        pytest.fail(f"browser tests are required here, but {reason}")
    if reason:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def server(requirements: None) -> Iterator[tuple[str, Path]]:
    """(base URL, folder it serves)."""
    with tempfile.TemporaryDirectory(prefix="cm-browser-") as tmp:
        with harness.jupyter_server(Path(tmp), log=lambda msg: None) as url:
            yield url, Path(tmp) / "work"


@pytest.fixture(scope="module")
def browser(requirements: None) -> Iterator[Any]:
    with harness.chromium() as b:
        yield b


@pytest.fixture
def notebook(server: tuple[str, Path], browser: Any, request: pytest.FixtureRequest):
    """`open(cells, ui="lab")`: writes a notebook of `cells`, opens it in a fresh page and
    waits for its kernel; the kernel is shut down and the page closed after the test."""
    url, work = server
    opened: list[tuple[Any, harness.Notebook]] = []

    def open_(cells: list[str], ui: str = "lab", viewport: dict | None = None) -> harness.Notebook:
        name = f"{request.node.name}-{len(opened)}.ipynb".replace("[", "-").replace("]", "")
        harness.write_notebook(work / name, cells)
        context = browser.new_context(viewport=viewport or {"width": 1200, "height": 1600})
        page = context.new_page()
        page.requests = []  # every URL the page asked for (images must not load)
        page.on("request", lambda r: page.requests.append(r.url))
        page.errors = []  # uncaught errors in widget code (anywidget loads ours from blob:)
        page.on("pageerror", lambda e: _widget_error(page.errors, e))
        nb = harness.Notebook(page, url, name, ui=ui)
        opened.append((context, nb))
        return nb

    yield open_
    failed = getattr(request.node, "failed_call", False)
    for i, (context, nb) in enumerate(opened):
        if failed:  # what the page looked like, for the CI log
            shot = Path(tempfile.gettempdir()) / f"cm-browser-{request.node.name}-{i}.png"
            nb.page.screenshot(path=str(shot), full_page=True)
            print(f"screenshot of the failed page: {shot}")
        try:
            nb.page.evaluate(
                "() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()"
            )
        finally:
            context.close()


def _widget_error(errors: list[str], error: Any) -> None:
    stack = str(getattr(error, "stack", "") or "")
    if "blob:" in stack or "anywidget" in stack:
        errors.append(f"{error}\n{stack}")


def setup_cells(reply: Any, rate: float = 100) -> list[str]:
    """Load the extension, pace the simulator at `rate` tokens/s and script `reply`."""
    return [
        "%load_ext claude_magic\nimport claude_magic, json\n"
        f"%config ClaudeMagics.offline_token_rate = {rate}",
        f"claude_magic.simulator().script(json.loads({json.dumps(json.dumps(reply))}))",
    ]
