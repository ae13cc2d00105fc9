"""The state one kernel keeps: its chats, its usage ledger and its API clients.

One `Session` per process (`current()`), shared by the magics and the public functions
(`get_chat`, `usage_frame`, ...), so a script and a notebook see the same chats.
No IPython or widget import.
"""

from __future__ import annotations

from typing import Any

from .backend import Backends
from .chat import ChatRegistry
from .turn import CallRecord, Turn


class Session:
    def __init__(self, token_rate: float | None = None) -> None:
        from .usage import Ledger

        self.chats = ChatRegistry()
        self.ledger = Ledger()
        self.backends = Backends(token_rate=token_rate)

    def record_call(self, call: CallRecord, turn: Turn) -> None:
        """The exchange's ledger hook: one row per billed API call."""
        self.ledger.record(
            call,
            chat=turn.chat,
            cell_id=turn.cell_id,
            execution_count=turn.execution_count,
        )

    def client(self, backend: str) -> Any:
        return self.backends.client(backend)


_current: Session | None = None


def current() -> Session:
    """The process's session, created on first use."""
    global _current
    if _current is None:
        _current = Session()
    return _current
