"""Turn records read back from saved notebooks are validated; a bad one is skipped alone."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from claude_magic.notebook import chats_from_notebook
from claude_magic.record import RecordError, check_record
from claude_magic.turn import TURN_MIME, CallRecord, Turn
from claude_magic.usage import UsageReadWarning, usage_from_notebooks


def good_record(cell_id: str = "c1", position: int = 0) -> dict[str, Any]:
    call = CallRecord(
        model="claude-sonnet-5-5",
        usage={"input_tokens": 10, "output_tokens": 5},
        stop_reason="end_turn",
        request_id="req_1",
        started_at=f"2026-11-22T10:00:0{position}Z",
        ttft_s=0.1,
        total_s=0.5,
        offline=True,
        cost_usd=0.00007,
    )
    turn = Turn(
        chat="default",
        cell_id=cell_id,
        user={"role": "user", "content": [{"type": "text", "text": "hi"}]},
        replies=[{"role": "assistant", "content": [{"type": "text", "text": "hello"}]}],
        calls=[call],
        model="claude-sonnet-5-5",
        execution_count=position + 1,
        position=position,
    )
    return json.loads(json.dumps(turn.to_record()))


BAD: dict[str, tuple[str, Any]] = {
    "chat as a list": ("chat", ["default"]),
    "position as a string": ("position", "1"),
    "negative position": ("position", -2),
    "replies as a string": ("replies", "hello"),
    "calls as strings": ("calls", ["call 1"]),
    "cost as text": ("cost_usd", "0.5"),
    "wrong version": ("version", 2),
    "empty assistant message": ("replies", [{"role": "assistant", "content": []}]),
    "empty text block": ("replies", [{"role": "assistant", "content": [{"type": "text"}]}]),
    "negative tokens": ("calls", "NEGATIVE"),
}


def bad_record(case: str) -> dict[str, Any]:
    key, value = BAD[case]
    record = good_record()
    if value == "NEGATIVE":
        record["calls"][0]["usage"]["output_tokens"] = -5
    else:
        record[key] = copy.deepcopy(value)
    return record


def test_a_good_record_round_trips() -> None:
    record = good_record()
    check_record(record)
    assert Turn.from_record(record).to_record() == record


@pytest.mark.parametrize("case", list(BAD))
def test_a_bad_record_is_one_line_naming_the_field(case: str) -> None:
    with pytest.raises(RecordError) as caught:
        Turn.from_record(bad_record(case))
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300
    field = BAD[case][0]
    assert field in message or "version" in message


def notebook(path: Path, records: list[dict[str, Any]]) -> Path:
    cells = []
    for n, record in enumerate(records):
        cell = new_code_cell("%%claude\nhi")
        cell.id = f"cell-{n}"
        cell.outputs = [new_output("display_data", data={"text/plain": "x", TURN_MIME: record})]
        cells.append(cell)
    nbformat.write(new_notebook(cells=cells), str(path))
    return path


def test_usage_from_notebooks_skips_one_bad_record_and_names_it(tmp_path: Path) -> None:
    notebook(
        tmp_path / "course.ipynb",
        [good_record("a", 0), bad_record("cost as text"), good_record("b", 1)],
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        frame = usage_from_notebooks(tmp_path)
    assert frame["cell_id"].tolist() == ["a", "b"]
    (warning,) = [w for w in caught if issubclass(w.category, UsageReadWarning)]
    assert "cell 2 (id cell-1)" in str(warning.message)
    assert "course.ipynb" in str(warning.message) and "cost_usd" in str(warning.message)


def test_restore_skips_bad_records_and_keeps_the_rest(tmp_path: Path) -> None:
    records = [good_record("a", 0), bad_record("negative position"), good_record("b", 1)]
    skipped: list[Any] = []
    (chat,) = chats_from_notebook(notebook(tmp_path / "n.ipynb", records), skipped.append)
    assert [t.cell_id for t in chat] == ["a", "b"]
    (record,) = skipped
    assert record.cell == 2 and "position" in record.reason


def test_restore_in_a_shell_leaves_live_chats_when_nothing_is_usable(
    ipython: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from IPython.core.error import UsageError

    import claude_magic

    ipython.run_cell_magic("claude", "", "Remember me.")
    before = claude_magic.get_chat().messages
    path = notebook(tmp_path / "all-bad.ipynb", [bad_record(case) for case in BAD])
    with pytest.raises(UsageError, match="no usable turn record"):
        ipython.run_line_magic("claude", f"restore {path}")
    assert claude_magic.get_chat().messages == before
    mixed = notebook(tmp_path / "mixed.ipynb", [bad_record("chat as a list"), good_record()])
    capsys.readouterr()
    ipython.run_line_magic("claude", f"restore {mixed}")
    out = capsys.readouterr().out
    assert "skipped cell 1 (id cell-0)" in out and "chat" in out
    assert [t.cell_id for t in claude_magic.get_chat()] == ["c1"]
