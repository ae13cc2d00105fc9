"""The saved notebook is the durable record: `%claude restore` after a kernel restart.

A `Frontend` turns the iopub messages of cells run on a real kernel (with JupyterLab's
`cellId` metadata) into the .ipynb JupyterLab would save: nbformat 4.5 cells whose `id` is
the cellId, outputs cleared on re-run, `update_display_data` applied to every output with
its display_id, streams merged, no widget state (JupyterLab's default).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from claude_magic.notebook import chats_from_notebook
from claude_magic.turn import TURN_MIME
from tests.kernel import CellResult, Frontend, Kernel

SETUP = "%load_ext claude_magic\nimport claude_magic, json, os"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STATIC_MIMES = {"text/plain", "text/html", TURN_MIME}
TOOLS = '''
def add_numbers(a: int, b: int) -> int:
    """Add two integers."""
    return a + b
'''
STATE = (
    "{c.name: {'messages': c.messages, 'cells': [t.cell_id for t in c.turns]}"
    " for c in claude_magic.session.current().chats}"
)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(cwd=str(tmp_path_factory.mktemp("restore")))
    assert k.run(SETUP).error is None
    yield k
    k.close()


def restart(kernel: Kernel) -> None:
    kernel.restart()
    result = kernel.run(SETUP)
    assert result.error is None, result.error_text
    assert kernel.value("[c.name for c in claude_magic.session.current().chats]") == []


def restore(kernel: Kernel, path: Path | str | None = None) -> CellResult:
    result = kernel.run("%claude restore" + (f" {path}" if path else ""))
    assert result.error is None, result.error_text
    return result


def last_request(kernel: Kernel) -> dict[str, Any]:
    return kernel.value(
        "[r.json for r in claude_magic.simulator().requests if r.path == '/v1/messages'][-1]"
    )


@pytest.fixture(scope="module")
def saved(kernel, tmp_path_factory):
    """A session like a user's, saved by the frontend: (frontend, path, state before restart).

    Two chats, thinking, a tool call, and a re-run of an earlier cell that rewinds its chat
    (the cells below it are then run again, as a user would).
    """
    fe = Frontend(kernel)
    fe.run("setup", SETUP + "\n" + TOOLS)
    fe.run("a", "%%claude\nMy name is Ada.")
    fe.run("b", "%%claude -c tutor --thinking\nExplain recursion briefly.")
    fe.run("c", "%%claude\nWhat is my name?")
    fe.run("d", "%%claude --tools add_numbers\nUse add_numbers on 2 and 3.")
    fe.run("e", "%%claude -c tutor\nAnd iteration?")
    rerun = fe.run("c", "%%claude\nWhat is my name, again?")
    assert "dropped 1 later turn" in json.dumps(rerun.displays())
    assert kernel.value("[t.cell_id for t in claude_magic.get_chat().turns]") == ["a", "c"]
    fe.run("d", "%%claude --tools add_numbers\nUse add_numbers on 4 and 5.")
    before = kernel.value(STATE)
    assert before["default"]["cells"] == ["a", "c", "d"]
    assert before["tutor"]["cells"] == ["b", "e"]
    records = kernel.value(
        "[t.to_record() for c in claude_magic.session.current().chats for t in c.turns]"
    )
    path = fe.save(tmp_path_factory.mktemp("saved") / "session.ipynb")
    return fe, path, before, records


def test_saved_notebook_holds_static_bundles_only(saved):
    _, path, _, records = saved
    nb = nbformat.read(os.fspath(path), as_version=4)
    nbformat.validate(nb)
    assert nb.nbformat_minor == 5
    stored = []
    for cell in nb.cells:
        for output in cell.outputs:
            data = output.get("data", {})
            assert WIDGET_VIEW not in data  # every live view was replaced
            if TURN_MIME in data:
                assert set(data) == STATIC_MIMES
                assert data[TURN_MIME]["cell_id"] == cell.id
                stored.append(data[TURN_MIME])
    assert sorted(stored, key=lambda r: r["cell_id"]) == sorted(records, key=lambda r: r["cell_id"])


def test_restore_after_restart_gives_the_same_chats(kernel, saved):
    _, path, before, records = saved
    restart(kernel)
    out = restore(kernel, path)
    assert "default (3 turns)" in out.stdout and "tutor (2 turns)" in out.stdout
    after = kernel.value(STATE)
    assert json.dumps(after, sort_keys=True) == json.dumps(before, sort_keys=True)
    assert list(after) == list(before)  # chat order too
    restored = kernel.value(
        "[t.to_record() for c in claude_magic.session.current().chats for t in c.turns]"
    )
    assert restored == records  # model, calls, usage, execution counts: all of it

    # the restored chats continue: the next request resends exactly the restored history
    result = kernel.run("%%claude\nAnd what did we compute?", cell_id="f")
    assert result.error is None, result.error_text
    sent = last_request(kernel)["messages"]
    assert sent[:-1] == before["default"]["messages"]
    assert sent[-1]["content"][0]["text"] == "And what did we compute?\n"
    result = kernel.run("%%claude -c tutor --thinking\nAnd tail calls?", cell_id="g")
    assert result.error is None, result.error_text  # thinking signatures still verify
    assert last_request(kernel)["messages"][:-1] == before["tutor"]["messages"]


def test_restore_without_a_path_says_to_give_one(kernel):
    restart(kernel)
    result = kernel.run("%claude restore")
    assert result.error is not None and result.error["ename"] == "UsageError"
    assert "give the path" in result.error_text
    missing = kernel.run("%claude restore no/such/file.ipynb")
    assert missing.error is not None and "no such notebook" in missing.error_text


def test_restore_finds_the_notebook_from_jpy_session_name(saved, tmp_path):
    _, path, before, _ = saved
    k = Kernel(env={"JPY_SESSION_NAME": os.fspath(path)}, cwd=str(tmp_path))
    try:
        assert k.run(SETUP).error is None
        out = k.run("%claude restore")
        assert out.error is None, out.error_text
        assert os.fspath(path) in out.stdout
        assert json.dumps(k.value(STATE), sort_keys=True) == json.dumps(before, sort_keys=True)
    finally:
        k.close()


def test_stale_output_of_a_rerun_cell_loses_to_the_later_record(kernel, saved, tmp_path):
    """Outputs of c's first run are still in the file ahead of its re-run's output."""
    fe, _, before, _ = saved
    first_run, rerun = fe.runs["c"][0], fe.runs["c"][-1]
    old = [d for d in first_run.displays() if TURN_MIME in d][-1]
    new = [d for d in rerun.displays() if TURN_MIME in d][-1]
    assert old[TURN_MIME]["cell_id"] == new[TURN_MIME]["cell_id"] == "c"
    assert old[TURN_MIME]["user"] != new[TURN_MIME]["user"]
    nb = fe.notebook()
    cell = next(c for c in nb.cells if c.id == "c")
    cell.outputs = [new_output("display_data", data=old), *cell.outputs]
    path = tmp_path / "stale.ipynb"
    nbformat.write(nb, os.fspath(path))
    restore(kernel, path)
    assert json.dumps(kernel.value(STATE), sort_keys=True) == json.dumps(before, sort_keys=True)


def test_a_failed_rerun_keeps_the_cells_turn_in_the_saved_notebook(kernel, tmp_path):
    """A re-run that fails leaves the cell's earlier turn in the chat; its output replaced
    the earlier one, so it must carry that turn's record or restore would lose it."""
    restart(kernel)
    fe = Frontend(kernel)
    fe.run("a", "%%claude\nMy name is Ada.")
    fe.run("b", "%%claude\nWhat is my name?")
    kernel.run("claude_magic.simulator().error_after(3)")
    failed = fe.run("a", "%%claude\nMy name is Grace.", fails=True)
    assert "keeps this cell's earlier turn" in json.dumps(failed.displays())
    before = kernel.value(STATE)
    assert before["default"]["cells"] == ["a", "b"]
    path = fe.save(tmp_path / "failed-rerun.ipynb")
    restart(kernel)
    assert "default (2 turns)" in restore(kernel, path).stdout
    assert json.dumps(kernel.value(STATE), sort_keys=True) == json.dumps(before, sort_keys=True)


def test_restore_keeps_rewinds_resets_and_moves_whose_records_were_replaced(kernel, tmp_path):
    """The cell that rewound a chat (or reset it with --new) later moved to another chat: its
    record there is all the file has of it, so the dropped turns' stale records must not
    come back on restore. The newest record carries every chat's cells."""
    restart(kernel)
    fe = Frontend(kernel)
    fe.run("a", "%%claude\nfirst")
    fe.run("b", "%%claude\nsecond")
    fe.run("a", "%%claude\nfirst, again")  # rewinds: b's turn is dropped, its output stays
    fe.run("a", "%%claude -c side\nfirst, elsewhere")  # moves: default is empty now
    fe.run("c", "%%claude -c notes\none")
    fe.run("d", "%%claude -c notes --new\nstart over")  # resets notes: c's turn is dropped
    fe.run("d", "%%claude -c side\nmoved")
    before = kernel.value(STATE)
    assert {name: chat["cells"] for name, chat in before.items() if chat["cells"]} == {
        "side": ["a", "d"]
    }
    path = fe.save(tmp_path / "moves.ipynb")
    restart(kernel)
    restore(kernel, path)
    after = kernel.value(STATE)
    assert after == {"side": before["side"]}


def test_export_writes_a_valid_notebook_that_restores(kernel, saved, tmp_path):
    _, path, before, _ = saved
    restore(kernel, path)
    for chat in ("default", "tutor"):
        target = tmp_path / f"{chat}.ipynb"
        result = kernel.run(f"claude_magic.export({os.fspath(target)!r}, chat={chat!r})")
        assert result.error is None, result.error_text
    for chat in ("default", "tutor"):  # restore replaces every chat: export both first
        target = tmp_path / f"{chat}.ipynb"
        nbformat.validate(nbformat.read(os.fspath(target), as_version=4))
        [restored] = chats_from_notebook(target)
        assert restored.name == chat and restored.messages == before[chat]["messages"]
        restore(kernel, target)
        state = kernel.value(STATE)
        assert list(state) == [chat]
        assert state[chat]["messages"] == before[chat]["messages"]
        assert state[chat]["cells"] == before[chat]["cells"]


def test_nbclient_run_keeps_the_static_bundle(monkeypatch, tmp_path):
    from nbclient import NotebookClient

    monkeypatch.setenv("CLAUDE_MAGIC_OFFLINE_TOKEN_RATE", "0")
    nb = new_notebook(
        cells=[
            new_code_cell("%load_ext claude_magic"),
            new_code_cell("%%claude\nHello from nbclient"),
            new_code_cell("%%claude\nAnd a second turn"),
        ]
    )
    NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    for cell in nb.cells[1:]:
        assert not [o for o in cell.outputs if o.output_type == "error"], cell.outputs
        final = [o for o in cell.outputs if o.output_type == "display_data"]
        assert final and set(final[-1].data) == STATIC_MIMES
        assert all(WIDGET_VIEW not in o.get("data", {}) for o in cell.outputs)
        assert final[-1].data[TURN_MIME]["cell_id"] is None  # nbclient sends no cellId
    path = tmp_path / "executed.ipynb"
    nbformat.write(nb, os.fspath(path))
    [chat] = chats_from_notebook(path)
    assert chat.name == "default" and len(chat) == 2
    assert chat.messages[0]["content"][0]["text"] == "Hello from nbclient\n"
    assert chat.messages[2]["content"][0]["text"] == "And a second turn\n"
