"""Replaying a teacher's recorded notebook in a student's kernel with no key and no network.

The teacher's notebook is recorded against `tests/fake_api.py`, a Messages server that is
not our simulator (its own text, foreign thinking signatures, a tool call). The student's
kernel has no key; it loads the notebook with `%claude replay` and runs the same cells.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import claude_magic
from claude_magic.notebook import chats_from_notebook
from claude_magic.replay import AnswerBook, Match, Miss, export_answers
from claude_magic.turn import Turn
from tests.fake_api import FakeApi
from tests.kernel import Frontend, Kernel

SETUP = (
    "%load_ext claude_magic\nimport claude_magic\n"
    "calls = []\n"
    "def add(a: int, b: int) -> int:\n"
    "    'Add two integers.'\n"
    "    calls.append((a, b))\n"
    "    return a + b\n"
)
CELLS = [
    ("a", "%%claude\nMy name is Ada."),
    ("b", "%%claude -c tutor\nExplain recursion in one line."),
    ("c", "%%claude --tools add\nPlease use add on 2 and 3."),
    ("d", "%%claude\nWhat is my name?"),
]
STATE = (
    "{c.name: c.messages for c in claude_magic.session.current().chats}"
)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, dict, FakeApi]:
    """The teacher's saved notebook, recorded against the fake API (kept running)."""
    folder = tmp_path_factory.mktemp("teacher")
    api = FakeApi().__enter__()
    env = {"ANTHROPIC_API_KEY": "sk-teacher-not-real", "ANTHROPIC_BASE_URL": api.url}
    kernel = Kernel(env=env, cwd=str(folder))
    try:
        fe = Frontend(kernel)
        fe.run("setup", SETUP)
        for cell_id, code in CELLS:
            fe.run(cell_id, code)
        assert kernel.value("calls") == [[2, 3]]  # the teacher's tool really ran
        state = kernel.value(STATE)
        path = fe.save(folder / "teacher.ipynb")
    finally:
        kernel.close()
    assert len(api.requests) == 5  # a, b, c (tool_use + follow-up), d
    yield path, state, api
    api.__exit__()


@pytest.fixture(scope="module")
def student(tmp_path_factory):
    kernel = Kernel(cwd=str(tmp_path_factory.mktemp("student")))  # no key, no base URL
    assert kernel.run(SETUP).error is None
    yield kernel
    kernel.close()


def test_a_keyless_student_gets_the_recorded_answers(recorded, student):
    path, teacher_state, api = recorded
    sent_before = len(api.requests)
    loaded = student.run(f"%claude replay {path}")
    assert loaded.error is None, loaded.error_text
    assert "Replaying 4 recorded turns" in loaded.stdout
    records = {t.cell_id: t for chat in chats_from_notebook(path) for t in chat}
    for cell_id, code in CELLS:
        result = student.run(code, cell_id=cell_id)
        assert result.error is None, result.error_text
        shown = json.dumps(result.displays())
        assert records[cell_id].text() in json.loads(shown)[-1]["text/plain"]
        assert "replayed" in shown.lower()
    # the chats are rebuilt turn by turn, block for block (thinking signatures included)
    assert student.value(STATE) == teacher_state
    assert student.value("calls") == []  # the tool was not run again: its result was replayed
    frame = "claude_magic.usage_frame()"
    assert student.value(f"{frame}.replayed.all().item()") is True
    assert student.value(f"{frame}.input_tokens.tolist()") == [41, 42, 43, 44, 45]
    assert len(api.requests) == sent_before  # nothing went out
    status = student.run("%claude replay")
    assert "4 cells answered from the recording, 0 by the simulator" in status.stdout


def test_an_edited_prompt_gets_the_simulator_with_a_notice(recorded, student):
    path, _, _ = recorded
    student.run("%claude reset")
    student.run(f"%claude replay {path}")
    edited = student.run("%%claude\nMy name is Grace.", cell_id="a")
    assert edited.error is None, edited.error_text
    shown = json.dumps(edited.displays())
    assert "Not in the recording (this cell&#x27;s prompt is not the recorded one" in shown or (
        "Not in the recording (this cell's prompt is not the recorded one" in shown
    )
    assert "a {{variable}} in it has another value" in shown  # interpolation, not an edit
    assert "offline simulator" in shown
    new = student.run("%%claude\nA question nobody recorded.", cell_id="z")
    # a teacher's refused or failed cell left no record: the notice does not call it new
    assert "new or edited cell, or one whose recorded run was refused or failed" in (
        json.dumps(new.displays())
    )
    off = student.run("%claude replay off")
    assert "Replay off" in off.stdout
    assert student.run("%claude replay").stdout.startswith("No recording loaded")


def test_cells_without_ids_match_by_prompt_and_position(recorded, tmp_path):
    path, _, _ = recorded
    book = AnswerBook.load(path)
    user = {"role": "user", "content": [{"type": "text", "text": "My name is  Ada.\n"}]}
    found = book.match(None, "default", 0, user)
    assert isinstance(found, Match) and found.by == "prompt and position"
    moved = book.match(None, "default", 3, user)
    assert isinstance(moved, Miss) and "turn 1 of chat 'default'" in moved.reason


def test_answers_file_packs_notebooks_for_a_course(recorded, tmp_path):
    path, _, _ = recorded
    target = Path(claude_magic.export_answers([path], tmp_path / "answers.json"))
    data = json.loads(target.read_text())
    assert data["format"] == "claude-magic-answers" and len(data["answers"]) == 4
    assert "sk-teacher" not in target.read_text()  # records never hold credentials
    book = AnswerBook.load(target)
    assert {t.cell_id for t in book.turns} == {"a", "b", "c", "d"}
    with pytest.raises(FileExistsError):
        export_answers([path], target)
    unsuffixed = export_answers([path], tmp_path / "answers")  # any name given is loadable
    assert len(AnswerBook.load(unsuffixed).turns) == 4


def test_answers_from_notebooks_that_share_cell_ids(recorded, tmp_path):
    """Copies of one notebook share cell ids: each cell finds the turn with its own prompt."""
    path, _, _ = recorded
    turns = AnswerBook.load(path).turns
    other = []
    for turn in turns:  # a second notebook, same cell ids, other prompts
        record = turn.to_record()
        record["user"] = {"role": "user", "content": [{"type": "text", "text": "Other."}]}
        other.append(Turn.from_record(record))
    for book in (AnswerBook(["x"], turns + other), AnswerBook(["x"], other + turns)):
        ada = {"role": "user", "content": [{"type": "text", "text": "My name is Ada.\n"}]}
        found = book.match("a", "default", 0, ada)
        assert isinstance(found, Match) and found.by == "cell id", found
        assert "Real answer" in found.turn.text()
        edited = book.match("a", "default", 0, {"role": "user", "content": "Edited."})
        assert isinstance(edited, Miss) and "edited" in edited.reason


def test_an_unreadable_notebook_is_one_clear_error(recorded, student, tmp_path):
    path, _, _ = recorded
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    for source in (broken, tmp_path):  # the file itself, or a folder that holds it
        result = student.run(f"%claude replay {source}")
        assert result.error is not None and result.error["ename"] == "UsageError"
        assert f"{broken} is not a readable notebook" in result.error_text
        assert "Traceback" not in result.error_text
    with pytest.raises(claude_magic.replay.ReplayError, match="not a readable notebook"):
        export_answers([path, broken], tmp_path / "answers.json")
    assert not (tmp_path / "answers.json").exists()


def test_a_replayed_cell_that_stops_early_leaves_nothing_to_the_next(recorded, student):
    """The recorded follow-up of a tool loop cut short must not answer the next cell."""
    path, _, _ = recorded
    student.run("%claude reset")
    student.run(f"%claude replay {path}")
    cut = student.run(
        "%%claude --tools add --max-iterations 1\nPlease use add on 2 and 3.", cell_id="c"
    )
    assert cut.error is not None and "Stopped after 1 API call (" in cut.error_text
    new = student.run("%%claude\nSomething nobody recorded.", cell_id="n")
    assert new.error is None, new.error_text
    shown = json.dumps(new.displays())
    assert "offline simulator" in shown and "Real answer" not in shown
    student.run("%claude replay off")
