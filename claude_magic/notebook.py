"""Saved notebooks as the durable record: read turn records back with nbformat.

Each completed `%%claude` cell leaves an output whose bundle carries the turn as
`application/vnd.claude-magic.turn.v1+json`. Restoring chats and costing a folder of
notebooks both start from `iter_turns`. No IPython or widget import.
"""

from __future__ import annotations

import glob
import os
import shlex
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .chat import Chat
from .record import RecordError, SkippedRecord
from .turn import TURN_MIME, Turn


class UnreadableNotebook(ValueError):
    """A file that is not a notebook nbformat can read; the message names the file."""


def read_notebook(path: str | os.PathLike[str]):
    """Parse a notebook file (any nbformat 4 minor version); UnreadableNotebook if it is not
    one, so restore, replay and usage all say the same one line instead of a traceback."""
    import nbformat

    try:
        return nbformat.read(os.fspath(path), as_version=4)
    except Exception as exc:  # nbformat, JSON and OS errors vary
        raise UnreadableNotebook(
            f"{os.fspath(path)} is not a readable notebook ({type(exc).__name__}: {exc})"
        ) from None


def iter_turns(
    path: str | os.PathLike[str], on_skip: Callable[[SkippedRecord], None] | None = None
) -> Iterator[Turn]:
    """Every usable turn record in a saved notebook, in cell order.

    A record that fails validation is skipped (`on_skip` hears where and why), so one bad
    cell never costs the rest of the notebook.
    """
    nb = read_notebook(path)
    code_cells = [cell for cell in nb.cells if cell.get("cell_type") == "code"]
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.get("outputs", []):
            record = output.get("data", {}).get(TURN_MIME)
            if record is None:
                continue
            try:
                yield Turn.from_record(dict(record) if isinstance(record, dict) else record)
            except RecordError as exc:
                if on_skip is not None:
                    on_skip(SkippedRecord(os.fspath(path), number, cell.get("id"), str(exc)))


def chats_from_notebook(
    path: str | os.PathLike[str], on_skip: Callable[[SkippedRecord], None] | None = None
) -> list[Chat]:
    """Rebuild every chat of a saved notebook: same order, cell ids and blocks.

    The newest record (by the start time of its first call) lists every chat's cells as the
    kernel held them after it (`Turn.chat_cells`); each is the cell's newest record. So the
    file's stale outputs stay out as they did in the kernel, even when the run that dropped
    them (a re-run, `--new`, a move to another chat) left no record of its own. Records
    without that list (older files) are replayed in the order they were committed, each at
    the position it had in its chat. Invalid records are skipped (see `iter_turns`).
    """
    chats: dict[str, Chat] = {}
    turns = sorted(iter_turns(path, on_skip), key=_committed_at)  # stable: ties keep cell order
    if turns and turns[-1].chat_cells is not None:
        return _chats_as_of(turns[-1].chat_cells, turns)
    for turn in turns:
        chat = chats.setdefault(turn.chat, Chat(turn.chat))
        chat.replay(turn)
    return list(chats.values())


def _chats_as_of(chat_cells: dict[str, list[str]], turns: list[Turn]) -> list[Chat]:
    """The chats the newest record says the kernel held, built from each cell's newest
    record (a cell whose record is not in the file is left out: nothing can restore it)."""
    newest = {turn.cell_id: turn for turn in turns}  # turns are oldest first
    chats = []
    for name, cells in chat_cells.items():
        found = [newest[c] for c in cells if c in newest and newest[c].chat == name]
        if found:
            chats.append(Chat(name, found))
    return chats


def _committed_at(turn: Turn) -> str:
    return turn.calls[0].started_at if turn.calls else ""


def expand_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Notebook paths from a path, a glob, a folder (searched recursively) or a list of those."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found: list[Path] = []
    for item in items:
        text = os.path.expanduser(os.fspath(item))
        if os.path.isdir(text):
            found.extend(sorted(Path(text).rglob("*.ipynb")))
        elif glob.has_magic(text):
            found.extend(Path(p) for p in sorted(glob.glob(text, recursive=True)))
        else:
            found.append(Path(text))
    return [p for p in found if ".ipynb_checkpoints" not in p.parts]


def write_chat_notebook(chat: Chat, path: str | os.PathLike[str]) -> Path:
    """Write a chat to a new notebook: one `%%claude` cell per turn, with its static output.

    The file can be read like any saved notebook and restored with `%claude restore`.
    """
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    from .views.static import static_bundle

    cells = [new_markdown_cell(f"Chat `{chat.name}` exported by claude_magic.")]
    cells.append(new_code_cell("%load_ext claude_magic"))
    for turn in chat.turns:
        text = "\n".join(b.get("text", "") for b in turn.user["content"] if b.get("type") == "text")
        cell = new_code_cell(f"%%claude -c {shlex.quote(chat.name)}\n{text}")
        offline = any(call.offline for call in turn.calls)
        bundle = static_bundle(turn, offline=offline, running_cost=None)
        cell.outputs = [new_output("display_data", data=bundle)]
        if turn.cell_id:
            cell.id = _cell_id(turn.cell_id)
        cells.append(cell)
    nb = new_notebook(cells=cells)
    target = Path(path)
    nbformat.write(nb, os.fspath(target))
    return target


def _cell_id(cell_id: str) -> str:
    """An nbformat-valid cell id (VS Code's ids are URIs; those get a stable digest)."""
    import hashlib
    import re

    if re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cell_id):
        return cell_id
    return hashlib.sha1(cell_id.encode()).hexdigest()[:16]
