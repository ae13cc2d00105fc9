"""A turn: one cell's exchange with Claude, and the record that survives in the notebook.

A `Turn` holds the user message a cell sent, every message the exchange added after it
(assistant replies and, in a tool loop, the user messages carrying tool results), and one
`CallRecord` per API call. Its JSON form (`to_record`) is the
`application/vnd.claude-magic.turn.v1+json` output that makes a saved notebook the durable
record: `%claude restore` and `usage_from_notebooks` read it back with `Turn.from_record`.

Pure data: no SDK, IPython or widget import.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from .record import RECORD_VERSION

TURN_MIME = "application/vnd.claude-magic.turn.v1+json"

# Token counters of the API's `usage` object that the ledger keeps, under the API's names.
USAGE_COUNTERS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)


def cache_creation_split(usage: dict[str, Any]) -> tuple[int, int]:
    """(5-minute, 1-hour) cache-write tokens of a usage dict; without the API's split, all
    writes count as 5 m."""
    split = usage.get("cache_creation") or {}
    five = split.get("ephemeral_5m_input_tokens")
    hour = split.get("ephemeral_1h_input_tokens")
    if five is None and hour is None:
        return int(usage.get("cache_creation_input_tokens") or 0), 0
    return int(five or 0), int(hour or 0)


@dataclass
class CallRecord:
    """Usage and timing of one API call (one row of the usage ledger)."""

    model: str
    usage: dict[str, Any]
    """The API's `usage` object as a plain dict (cumulative, as in the final message)."""
    stop_reason: str | None
    request_id: str | None
    started_at: str
    """ISO 8601 UTC timestamp of the request."""
    ttft_s: float | None
    """Seconds from the request to the first content delta (None if none arrived)."""
    total_s: float
    offline: bool
    cost_usd: float = math.nan
    error: str | None = None
    """Why the call failed, if it did (the call is still recorded when tokens were billed)."""
    replayed: bool = False
    """Answered from a recording (`%claude replay`): nothing was sent or billed."""
    estimated: bool = False
    """The stream broke before the API reported the final usage: `output_tokens` counts what
    was streamed (about 4 characters a token), a lower bound of what was billed."""

    def counter(self, name: str) -> int:
        """A token counter of `usage`, 0 when the API left it out."""
        return int(self.usage.get(name) or 0)

    def cache_creation_split(self) -> tuple[int, int]:
        """(5-minute, 1-hour) cache-write tokens; all writes count as 5 m without a split."""
        return cache_creation_split(self.usage)

    def server_tool_requests(self) -> dict[str, int]:
        stu = self.usage.get("server_tool_use") or {}
        return {k: int(v or 0) for k, v in stu.items() if isinstance(v, (int, float))}

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"cost_usd": _json_float(self.cost_usd)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CallRecord:
        known = {f for f in cls.__dataclass_fields__}
        kwargs = {k: v for k, v in data.items() if k in known}
        if kwargs.get("cost_usd") is None:
            kwargs["cost_usd"] = math.nan
        return cls(**kwargs)


@dataclass
class Turn:
    """One cell's exchange: the user message and all that followed it, plus per-call usage."""

    chat: str
    cell_id: str | None
    user: dict[str, Any]
    """The user message param the cell sent: {"role": "user", "content": [...]}."""
    replies: list[dict[str, Any]] = field(default_factory=list)
    """Messages after `user`, in order: assistant messages (every block as returned, thinking
    with its signature) and, in a tool loop, user messages holding tool_result blocks."""
    calls: list[CallRecord] = field(default_factory=list)
    model: str = ""
    execution_count: int | None = None
    system: Any = None
    """The system prompt the exchange used (text or blocks), recorded for the reader."""
    position: int | None = None
    """How many turns preceded this one in its chat when it was committed: restore uses it
    to drop, as the live kernel did, turns that a re-run of an earlier cell rewound."""
    chat_cells: dict[str, list[str]] | None = None
    """Every non-empty chat's cell ids, in order, right after this turn was committed (None
    without cell ids). The newest record of a saved notebook is then the kernel's state: a
    rewind, a `--new` or a move whose own record a later run replaced still counts."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The messages this turn adds to the chat's history."""
        return [self.user, *self.replies]

    @property
    def final_message(self) -> dict[str, Any] | None:
        """The last assistant message of the turn, if any."""
        for message in reversed(self.replies):
            if message.get("role") == "assistant":
                return message
        return None

    @property
    def stop_reason(self) -> str | None:
        return self.calls[-1].stop_reason if self.calls else None

    @property
    def cost_usd(self) -> float:
        return sum(c.cost_usd for c in self.calls) if self.calls else 0.0

    def text(self) -> str:
        """The text blocks of every assistant message, joined (what a reader calls 'the reply')."""
        parts = [
            block.get("text", "")
            for message in self.replies
            if message.get("role") == "assistant"
            for block in message_blocks(message)
            if block.get("type") == "text"
        ]
        return "\n\n".join(p for p in parts if p)

    def to_record(self) -> dict[str, Any]:
        """The JSON turn record stored in the notebook (never holds credentials)."""
        return {
            "version": RECORD_VERSION,
            "chat": self.chat,
            "cell_id": self.cell_id,
            "execution_count": self.execution_count,
            "model": self.model,
            "system": self.system,
            "position": self.position,
            **({"chat_cells": self.chat_cells} if self.chat_cells is not None else {}),
            "user": self.user,
            "replies": self.replies,
            "calls": [c.to_json() for c in self.calls],
            "cost_usd": _json_float(self.cost_usd),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Turn:
        """The turn of a saved record; RecordError (one line) if the record is not usable."""
        from .record import check_record

        check_record(record)
        return cls(
            chat=record["chat"],
            cell_id=record.get("cell_id"),
            user=record["user"],
            replies=list(record.get("replies") or []),
            calls=[CallRecord.from_json(c) for c in record.get("calls") or []],
            model=record.get("model") or "",
            execution_count=record.get("execution_count"),
            system=record.get("system"),
            position=record.get("position"),
            chat_cells=record.get("chat_cells"),
        )


def message_blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    """A message's content as blocks (a plain string content is one text block)."""
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return list(content or [])


def _json_float(value: float) -> float | None:
    """NaN as None: JSON has no NaN."""
    return None if isinstance(value, float) and math.isnan(value) else value
