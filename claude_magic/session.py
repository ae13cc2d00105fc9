"""The state one kernel keeps: its chats, its usage ledger and its API clients.

One `Session` per process (`current()`), shared by the magics and the public functions
(`get_chat`, `usage_frame`, ...), so a script and a notebook see the same chats.
No IPython or widget import.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from .backend import Backends
from .chat import ChatRegistry
from .turn import CallRecord, Turn, message_blocks

if TYPE_CHECKING:
    from .budget import Budget
    from .replay import AnswerBook


class Session:
    def __init__(self, token_rate: float | None = None) -> None:
        from .usage import Ledger

        self.chats = ChatRegistry()
        self.ledger = Ledger()
        self.backends = Backends(token_rate=token_rate)
        self.replay: AnswerBook | None = None
        """Recorded answers cells are matched against (`%claude replay PATH`)."""

    def budget(self) -> Budget | None:
        """The kernel's spending cap over its ledger, or None when no budget is set
        (ValueError if the hub's CLAUDE_MAGIC_BUDGET_USD is not an amount)."""
        from .budget import Budget, limit_usd

        limit = limit_usd()
        return None if limit is None else Budget(limit, lambda: self.ledger.rows, self._held_usd)

    def _held_usd(self) -> float:
        """What this kernel's batches still running hold against its budget."""
        jobs = sys.modules.get("claude_magic.batching.job")  # no batch made yet: nothing
        return jobs.held_usd(self) if jobs is not None else 0.0

    def record_call(self, call: CallRecord, turn: Turn) -> None:
        """The exchange's ledger hook: one row per billed API call."""
        self.ledger.record(
            call,
            chat=turn.chat,
            cell_id=turn.cell_id,
            execution_count=turn.execution_count,
        )

    def vouch_for(self, messages: list[dict[str, Any]]) -> None:
        """Tell the kernel's simulator that these messages' thinking blocks came unedited from
        an API (a live turn, a restored or replayed record), so a chat can go on offline: the
        API accepts its own unedited thinking back, and the simulator stands in for it."""
        signer = self.backends.simulator.signer
        for message in messages:
            if message.get("role") == "assistant":
                signer.remember(message_blocks(message))

    def client(self, backend: str) -> Any:
        return self.backends.client(backend)


_current: Session | None = None


def current() -> Session:
    """The process's session, created on first use."""
    global _current
    if _current is None:
        _current = Session()
    return _current
