"""The tutorial notebooks run top to bottom on the offline simulator, on a real kernel.

Each notebook is copied to a temporary folder and executed with nbclient (the conftest
fixture has already removed any API key and made the simulator instant; the kernel inherits
that environment). Cells tagged `raises-exception` must fail; no other cell may, and every
`%%claude` cell that sends something must leave the turn record in its output.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
TURN_MIME = "application/vnd.claude-magic.turn.v1+json"
RAISES = "raises-exception"
# A cell that demonstrates a failure: `try:` at the cell's top level, printing in `except`.
_TOP_LEVEL_TRY = re.compile(r"^try:\n(?s:.*)^except .*\n(?s:.*)print\(", re.MULTILINE)


def _ids(paths: list[Path]) -> list[str]:
    return [p.stem for p in paths]


def _first_line(cell) -> str:
    return cell.source.lstrip().split("\n", 1)[0]


def _sends(cell) -> bool:
    """A `%%claude` cell that makes an API call (not a dry run)."""
    line = _first_line(cell)
    return line.startswith("%%claude") and "--dry-run" not in line.split()


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 7, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_stored_clean(path: Path):
    nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
    nbformat.validate(nb)
    assert (nb.nbformat, nb.nbformat_minor) == (4, 5)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    assert nb.cells[0].cell_type == "markdown", "a notebook opens with its Markdown intro"
    for cell in nb.cells:
        assert cell.get("id"), "every cell has an id"
        if cell.cell_type == "code":
            assert cell.outputs == [], f"stored with outputs: {_first_line(cell)!r}"
            assert cell.execution_count is None, f"stored executed: {_first_line(cell)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=_ids(NOTEBOOKS))
def test_runs_offline(path: Path, tmp_path: Path):
    from nbclient import NotebookClient

    copy = tmp_path / path.name
    shutil.copy(path, copy)
    data = path.parent / "data"  # saved notebooks some tutorials read (never executed here)
    if data.is_dir():
        shutil.copytree(data, tmp_path / "data")
    nb = nbformat.read(copy, as_version=4)
    statuses: dict[int, str] = {}

    def on_cell_executed(cell, cell_index, execute_reply):
        statuses[cell_index] = execute_reply["content"]["status"]

    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(tmp_path)}},
        on_cell_executed=on_cell_executed,
    )
    client.execute()

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{path.name} cell {index}: {_first_line(cell)!r}"
        errors = [o for o in cell.outputs if o.output_type == "error"]
        raises = RAISES in cell.metadata.get("tags", [])
        if raises:
            # A UsageError only sets the reply's status (its message goes to stderr).
            assert statuses.get(index) == "error", f"{where} is tagged {RAISES} but did not fail"
            continue
        assert statuses.get(index) == "ok", f"{where} failed: {errors or cell.outputs}"
        assert not errors, f"{where} has an error output: {errors}"
        stderr = [o.text for o in cell.outputs if o.get("name") == "stderr"]
        assert not any("Error" in text for text in stderr), f"{where}: {stderr}"
        if _TOP_LEVEL_TRY.search(cell.source):  # a lesson that shows an error shows something
            assert cell.outputs, f"{where} caught nothing and printed nothing"
        if _sends(cell):
            datas = [o.get("data", {}) for o in cell.outputs]
            assert any(TURN_MIME in data for data in datas), f"{where} left no turn record"
    checked = [
        "".join(o.get("data", {}).get("text/plain", "") for o in cell.outputs)
        for cell in nb.cells
        if cell.cell_type == "code" and "course.check_" in cell.source
    ]
    if checked:  # the exercise: the learner's stub is not yet right, the solution is
        assert checked[0].startswith("✗"), f"{path.name}: the stub's check shows {checked[0]!r}"
        assert checked[-1].startswith("✓"), f"{path.name}: the solution's check: {checked[-1]!r}"
