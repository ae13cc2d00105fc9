"""Replay recorded answers: `%%claude` cells answered from a saved notebook's turn records.

A teacher with a key runs the course once; the saved notebooks (or an answers file packed
from them with `export_answers`) hold every turn: text, thinking, tool calls and their
results, usage, stop reasons. A student without a key loads them (`%claude replay PATH`)
and each cell is matched to its recorded turn:

1. by cell id, when the prompt is still the one recorded (an edited prompt does not match);
2. else by the same prompt at the same position of the same chat (a copy of the notebook
   with new cell ids, or a runner that sends none).

A match is played as a script of the recorded messages through the kernel's own offline
simulator (`Simulator.script`), so it streams through the normal path: the same SSE events
the SDK parses, the live view at the simulator's pace, the ledger with the recorded usage
(marked replayed). Local tools are not run again: their recorded results are handed to the
exchange in place of the tools (`RecordedTools`). A cell with no match is answered by the
simulator with a notice saying why. Nothing is sent over the network either way.

No IPython or widget import.
"""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .notebook import UnreadableNotebook, expand_paths, iter_turns
from .protocol import ToolOutcome
from .record import RecordError, SkippedRecord
from .turn import Turn, message_blocks

ANSWERS_FORMAT = "claude-magic-answers"
ANSWERS_VERSION = 1


class ReplayError(ValueError):
    """Recorded answers that cannot be loaded; the message says why."""


@dataclass(frozen=True)
class Match:
    """A cell's recorded turn."""

    turn: Turn
    by: str
    """"cell id" or "prompt and position"."""


@dataclass(frozen=True)
class Miss:
    """No recorded turn for a cell, and why (shown to the student)."""

    reason: str


@dataclass
class AnswerBook:
    """Recorded turns to answer cells from, indexed for matching."""

    sources: list[str]
    turns: list[Turn]
    skipped: list[SkippedRecord] = field(default_factory=list)
    matched: int = 0
    missed: int = 0
    _by_cell: dict[str, list[Turn]] = field(init=False, repr=False)
    _by_place: dict[tuple[str, int, str], Turn] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_cell = {}
        for t in self.turns:  # several notebooks (copies of one) may share cell ids
            if t.cell_id:
                self._by_cell.setdefault(t.cell_id, []).append(t)
        self._by_place = {
            (t.chat, t.position, prompt_key(t.user)): t
            for t in self.turns
            if t.position is not None
        }

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> AnswerBook:
        """Answers from a saved notebook, a folder or glob of them, or an answers file."""
        text = os.fspath(path)
        if text.endswith(".json") or (os.path.isfile(text) and not text.endswith(".ipynb")):
            return cls._from_answers_file(Path(text))  # export_answers writes any name given
        paths = expand_paths(text)
        missing = [p for p in paths if not p.is_file()]
        if not paths or missing:
            raise ReplayError(f"no such notebook or answers file: {text}")
        skipped: list[SkippedRecord] = []
        turns = [t for p in paths for t in _notebook_turns(p, skipped.append)]
        return cls._checked([os.fspath(p) for p in paths], turns, skipped)

    @classmethod
    def _from_answers_file(cls, path: Path) -> AnswerBook:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ReplayError(f"no such answers file: {path}") from None
        except (OSError, ValueError) as exc:
            raise ReplayError(f"{path} is not a readable answers file ({exc})") from None
        if not isinstance(data, dict) or data.get("format") != ANSWERS_FORMAT:
            raise ReplayError(f"{path} is not a claude_magic answers file (no {ANSWERS_FORMAT!r})")
        if data.get("version") != ANSWERS_VERSION:
            raise ReplayError(f"{path}: unsupported answers file version {data.get('version')!r}")
        turns, skipped = [], []
        for n, entry in enumerate(data.get("answers") or [], start=1):
            record = entry.get("record") if isinstance(entry, dict) else None
            try:
                turns.append(Turn.from_record(record))
            except RecordError as exc:
                source = entry.get("notebook", "?") if isinstance(entry, dict) else "?"
                skipped.append(SkippedRecord(f"{path} ({source})", n, None, str(exc)))
        return cls._checked([os.fspath(path)], turns, skipped)

    @classmethod
    def _checked(
        cls, sources: list[str], turns: list[Turn], skipped: list[SkippedRecord]
    ) -> AnswerBook:
        if not turns:
            why = f": {skipped[0]}" if skipped else ""
            raise ReplayError(f"no recorded turns in {', '.join(sources)}{why}")
        return cls(sources, turns, skipped)

    def match(
        self, cell_id: str | None, chat: str, position: int, user: Mapping[str, Any]
    ) -> Match | Miss:
        """The recorded turn for a cell about to run, or why there is none."""
        outcome = self._match(cell_id, chat, position, prompt_key(user))
        if isinstance(outcome, Match):
            self.matched += 1
        else:
            self.missed += 1
        return outcome

    def _match(self, cell_id: str | None, chat: str, position: int, key: str) -> Match | Miss:
        same_id = self._by_cell.get(cell_id, []) if cell_id else []
        same_prompt = [t for t in same_id if prompt_key(t.user) == key]
        if same_prompt:  # the one recorded at this cell's place first, if several
            best = min(same_prompt, key=lambda t: (t.chat != chat, t.position != position))
            return Match(best, "cell id")
        recorded = self._by_place.get((chat, position, key))
        if recorded is not None:
            return Match(recorded, "prompt and position")
        if same_id:
            return Miss(
                "this cell's prompt is not the recorded one: edited, or a {{variable}} in it "
                "has another value"
            )
        elsewhere = [t for t in self.turns if prompt_key(t.user) == key]
        if elsewhere:
            t = elsewhere[0]
            return Miss(
                f"this prompt was recorded as turn {_ordinal(t.position)} of chat {t.chat!r}, "
                f"not turn {_ordinal(position)} of chat {chat!r}: run the cells in order"
            )
        return Miss(
            "no recorded answer for this prompt: a new or edited cell, or one whose recorded "
            "run was refused or failed (those leave no record)"
        )

    def describe(self) -> str:
        """What is loaded and how matching went so far (`%claude replay`)."""
        sources = ", ".join(self.sources)
        lines = [
            f"Replaying {len(self.turns)} recorded turns from {sources}: "
            f"{self.matched} cells answered from the recording, {self.missed} by the "
            "simulator (no match) so far."
        ]
        if self.skipped:
            lines.append(f"{len(self.skipped)} unusable records were skipped.")
        return "\n".join(lines)


def _notebook_turns(
    path: Path, on_skip: Callable[[SkippedRecord], None] | None = None
) -> list[Turn]:
    """A notebook's turn records; ReplayError naming the file if it cannot be read."""
    try:
        return list(iter_turns(path, on_skip=on_skip))
    except UnreadableNotebook as exc:
        raise ReplayError(str(exc)) from None


def prompt_key(user: Mapping[str, Any]) -> str:
    """What makes two user turns "the same prompt": their blocks, text with runs of white
    space folded (so trailing newlines and re-wrapping do not count as edits)."""
    blocks = []
    for block in message_blocks(dict(user)):
        block = {k: v for k, v in block.items() if k != "cache_control"}
        if block.get("type") == "text":
            block["text"] = re.sub(r"\s+", " ", str(block.get("text", ""))).strip()
        blocks.append(block)
    return json.dumps(blocks, sort_keys=True, ensure_ascii=False)


def _ordinal(position: int | None) -> str:
    return "?" if position is None else str(position + 1)


def scripted_messages(turn: Turn, prefill: str | None = None) -> list[dict[str, Any]]:
    """The recorded turn as the messages the simulator is scripted to return, one per API
    call: content as recorded, with its model, stop reason and usage. The prefill that the
    chat keeps merged into the first text is taken out again (the exchange adds it back)."""
    replies = [m for m in turn.replies if m.get("role") == "assistant"]
    scripts = []
    for n, call in enumerate(turn.calls):
        content = copy.deepcopy(message_blocks(replies[n])) if n < len(replies) else []
        if n == 0 and prefill:
            content = _without_prefill(content, prefill)
        scripts.append(
            {
                "type": "message",  # the simulator replays such a dict verbatim
                "role": "assistant",
                "content": content,
                "stop_reason": call.stop_reason or "end_turn",
                "usage": copy.deepcopy(call.usage),
                "model": call.model,
            }
        )
    return scripts


def _without_prefill(content: list[dict[str, Any]], prefill: str) -> list[dict[str, Any]]:
    for n, block in enumerate(content):
        if block.get("type") == "text":
            text = str(block.get("text", ""))
            if text.startswith(prefill):
                rest = text[len(prefill) :]
                return content[:n] + ([{**block, "text": rest}] if rest else []) + content[n + 1 :]
            break
    return content


@dataclass(frozen=True)
class RecordedTools:
    """Stands in for a cell's ToolSet during a replay: the request offers the same tools,
    but a tool_use is answered with the result the recording holds, not by running it."""

    live: Any
    """The cell's own ToolSet (what the request offers)."""
    results: Mapping[str, Mapping[str, Any]]
    """tool_use id -> the recorded tool_result block."""

    @classmethod
    def of(cls, live: Any, turn: Turn) -> RecordedTools:
        results = {
            str(block.get("tool_use_id")): block
            for message in turn.replies
            if message.get("role") == "user"
            for block in message_blocks(message)
            if block.get("type") == "tool_result"
        }
        return cls(live, results)

    def __bool__(self) -> bool:
        return bool(self.live)

    def params(self) -> list[dict[str, Any]]:
        return self.live.params()

    def run(self, tool_uses: Sequence[Mapping[str, Any]]) -> Iterator[ToolOutcome]:
        for use in tool_uses:
            use_id = str(use.get("id", ""))
            recorded = self.results.get(use_id)
            if recorded is None:
                content: Any = "No result was recorded for this tool call."
                yield ToolOutcome(
                    use_id, str(use.get("name")), use.get("input"), content, True, 0.0
                )
                continue
            yield ToolOutcome(
                use_id,
                str(use.get("name")),
                use.get("input"),
                copy.deepcopy(recorded.get("content", "")),
                bool(recorded.get("is_error")),
                0.0,
            )


def export_answers(
    notebooks: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    path: str | os.PathLike[str],
    *,
    force: bool = False,
) -> Path:
    """Pack the turn records of saved notebooks into one answers file for a course.

    `notebooks`: a notebook, a folder (searched recursively), a glob, or a list of them.
    The file holds the records as they are in the notebooks (no credentials: records never
    hold any) and can be shipped beside the course: `%claude replay answers.json`.
    """
    target = Path(path)
    if target.exists() and not force:
        raise FileExistsError(f"{target} exists; pass force=True to replace it")
    answers = []
    for notebook in expand_paths(notebooks):
        if not notebook.is_file():
            raise ReplayError(f"no such notebook: {notebook}")
        for turn in _notebook_turns(notebook):
            answers.append({"notebook": notebook.name, "record": turn.to_record()})
    if not answers:
        raise ReplayError("no recorded turns in those notebooks: run their %%claude cells first")
    payload = {
        "format": ANSWERS_FORMAT,
        "version": ANSWERS_VERSION,
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "answers": answers,
    }
    target.write_text(json.dumps(payload, ensure_ascii=False, indent=1), encoding="utf-8")
    return target
