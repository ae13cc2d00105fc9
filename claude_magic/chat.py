"""Chats: ordered turns keyed by the cell that asked them.

A re-run cell rewinds its chat to just before its own turn. The rewind is not applied when
the cell starts but when its new turn is committed, so a failed or interrupted exchange
leaves the chat exactly as it was. Pure logic: no SDK, IPython or widget import.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .formatting import plural
from .turn import Turn


@dataclass
class Chat:
    """A named conversation: `messages` is exactly what the next request resends."""

    name: str
    turns: list[Turn] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    """Held while an exchange of this chat runs: two turns in flight would both send the
    same history and both commit."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        """The `messages` list of the API request, as the history stands now."""
        return [m for turn in self.turns for m in turn.messages]

    def __len__(self) -> int:
        return len(self.turns)

    def __iter__(self) -> Iterator[Turn]:
        return iter(self.turns)

    def index_of(self, cell_id: str | None) -> int | None:
        """Position of the turn asked by `cell_id`, or None (no id, or a new cell)."""
        if cell_id is None:
            return None
        for i, turn in enumerate(self.turns):
            if turn.cell_id == cell_id:
                return i
        return None

    def _kept(self, cell_id: str | None) -> tuple[list[Turn], int]:
        """The turns a cell's commit keeps, and how many it replaces or drops."""
        index = self.index_of(cell_id)
        if index is None:
            return self.turns, 0
        return self.turns[:index], len(self.turns) - index

    def history_for(self, cell_id: str | None) -> tuple[list[dict[str, Any]], int]:
        """The history a cell's request resends, and how many turns its commit would drop.

        For a re-run cell that is everything before its own turn; the dropped count
        includes the cell's old turn and every later one.
        """
        kept, dropped = self._kept(cell_id)
        return [m for turn in kept for m in turn.messages], dropped

    def position_for(self, cell_id: str | None) -> int:
        """Where a cell's commit puts its turn (the turn records it before it is shown)."""
        return len(self._kept(cell_id)[0])

    def cost_before(self, cell_id: str | None) -> float:
        """Cost of the turns a cell's commit keeps (its own new turn not included)."""
        return sum((t.cost_usd for t in self._kept(cell_id)[0]), 0.0)

    def commit(self, turn: Turn) -> int:
        """Add a completed turn, replacing its cell's old turn and all after it.

        Returns the number of later turns that were dropped (not counting the replaced one).
        """
        kept, dropped = self._kept(turn.cell_id)
        self.turns = [*kept, turn]
        turn.position = len(kept)
        return max(dropped - 1, 0)

    def replay(self, turn: Turn) -> None:
        """Re-apply a committed turn from its record (restore): at its recorded position."""
        if turn.position is None:
            self.commit(turn)
            return
        del self.turns[turn.position :]
        self.turns.append(turn)

    def remove(self, cell_id: str | None) -> None:
        """Remove one cell's turn and only it (the cell moved to another chat)."""
        self.turns = [t for t in self.turns if cell_id is None or t.cell_id != cell_id]

    def reset(self) -> None:
        self.turns.clear()

    @property
    def cost_usd(self) -> float:
        """Running cost of the turns in the chat now (NaN if a model's price is unknown)."""
        return sum((t.cost_usd for t in self.turns), 0.0)

    def __repr__(self) -> str:
        turns, messages = plural(len(self.turns), "turn"), plural(len(self.messages), "message")
        return f"<Chat {self.name!r}: {turns}, {messages}>"


class ChatRegistry:
    """The chats of one kernel, by name, in creation order."""

    def __init__(self) -> None:
        self._chats: dict[str, Chat] = {}

    def get(self, name: str = "default") -> Chat:
        """The chat called `name`, created empty on first use."""
        if name not in self._chats:
            self._chats[name] = Chat(name)
        return self._chats[name]

    def names(self) -> list[str]:
        return list(self._chats)

    def __contains__(self, name: object) -> bool:
        return name in self._chats

    def holder(self, cell_id: str) -> Chat | None:
        """The chat holding a turn asked by `cell_id` (a cell owns one turn in one chat)."""
        return next((c for c in self._chats.values() if c.index_of(cell_id) is not None), None)

    def reset(self, name: str | None = None) -> None:
        """Empty one chat, or every chat when `name` is None."""
        targets = self._chats.values() if name is None else [self.get(name)]
        for chat in targets:
            chat.reset()

    def replace_all(self, chats: list[Chat]) -> None:
        """Swap in restored chats (used by `%claude restore`)."""
        self._chats = {chat.name: chat for chat in chats}

    def __iter__(self) -> Iterator[Chat]:
        return iter(self._chats.values())
