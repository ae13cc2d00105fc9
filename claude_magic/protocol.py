"""What an exchange tells whatever shows it: the View protocol and the values it carries.

The exchange owns every piece of state of a turn being built (the committed part, the
partial reply of the current call, the prefill); a view only draws what it is given. Blocks
arrive as plain dicts keyed by `(call, index)`: `block_start` with the block's opening form,
`block_delta` with text to append (text, thinking or tool-input JSON), `block_stop` with the
finished block as the chat will keep it. The prefill (`--prefill`) reaches views as the
first delta of the first text block, so no view needs to know about it.

Pure data and a Protocol: no SDK, IPython or widget import, so the core can import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from .turn import CallRecord, Turn

BlockKey = tuple[int, int]
"""(call number within the exchange, starting at 1; block index within that call)."""


@dataclass
class ExchangeInfo:
    """What a view may show before the first token."""

    chat: str
    model: str
    offline: bool
    cell_id: str | None = None
    dropped_turns: int = 0
    """Turns a re-run will drop from the chat when this exchange commits."""
    reset_turns: int = 0
    """`--new`: the turns the chat holds now, all dropped when this exchange commits."""
    moved_from: str | None = None
    """The chat this cell's earlier turn was in, when the re-run names another chat."""
    notice: str | None = None
    """A line to show before the reply (e.g. why a replay fell back to the simulator)."""
    budget_left_usd: float | None = None
    """What the kernel's budget had left before this exchange (None: no budget)."""
    kept: Turn | None = None
    """The cell's earlier turn, still in a chat (a re-run): a failed exchange leaves it
    there, so the failed output carries its record in place of the output it replaces."""


@dataclass
class ToolOutcome:
    """A tool call the exchange ran locally: what a tool card shows and the model gets back."""

    tool_use_id: str
    name: str
    input: Any
    content: Any
    """What goes back to the model as tool_result content (str or content blocks)."""
    is_error: bool
    seconds: float


class View(Protocol):
    def begin(self, info: ExchangeInfo) -> None:
        """The exchange starts (before the first request)."""

    def block_start(self, key: BlockKey, block: dict[str, Any]) -> None:
        """A content block opens (text and thinking empty, tool input `{}`)."""

    def block_delta(self, key: BlockKey, text: str) -> None:
        """Text to append to the block: text, thinking, or a piece of tool-input JSON."""

    def block_stop(self, key: BlockKey, block: dict[str, Any]) -> None:
        """The block is complete: `block` is its final form (prefill included)."""

    def tool_result(self, outcome: ToolOutcome) -> None:
        """A local tool finished; its result goes into the next request."""

    def call_end(self, call: CallRecord) -> None:
        """One API call finished (successfully or not); its usage is known."""

    def finish(self, turn: Turn, running_cost: float) -> None:
        """The exchange completed and `turn` is being committed; show the final record."""

    def fail(self, shown: Turn) -> None:
        """The exchange failed: show `shown` (what arrived, the partial reply included, NOT
        committed). What happened and what to do is the error raised next, shown once
        where errors are shown (a view does not repeat it)."""


class NullView:
    """A view that shows nothing (scripts and tests of the core)."""

    def begin(self, info: ExchangeInfo) -> None: ...

    def block_start(self, key: BlockKey, block: dict[str, Any]) -> None: ...

    def block_delta(self, key: BlockKey, text: str) -> None: ...

    def block_stop(self, key: BlockKey, block: dict[str, Any]) -> None: ...

    def tool_result(self, outcome: ToolOutcome) -> None: ...

    def call_end(self, call: CallRecord) -> None: ...

    def finish(self, turn: Turn, running_cost: float) -> None: ...

    def fail(self, shown: Turn) -> None: ...
