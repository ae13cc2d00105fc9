"""The View protocol: what an exchange tells whatever shows it.

`exchange.py` talks only to this protocol and never knows whether it feeds the live widget
view, the terminal text view or a test recorder. Events are the SDK's stream events,
dispatched on their `.type` string (unknown types must be ignored, never raise).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from ..turn import CallRecord, Turn


@dataclass
class ExchangeInfo:
    """What a view may show before the first token."""

    chat: str
    model: str
    offline: bool
    cell_id: str | None = None
    dropped_turns: int = 0
    """Turns a re-run will drop from the chat when this exchange commits."""
    prefill: str | None = None
    """`--prefill`: the reply's start, sent by us, so no stream event carries it. Views show
    it before the first call's first text; the committed turn already holds it."""


@dataclass
class ToolOutcome:
    """A tool call the exchange ran locally, for its card."""

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

    def on_event(self, event: Any) -> None:
        """One SDK stream event of the current call (dispatch on `event.type`)."""

    def on_tool_result(self, outcome: ToolOutcome) -> None:
        """A local tool finished; its result goes into the next request."""

    def on_call_end(self, call: CallRecord) -> None:
        """One API call finished (successfully or not); its usage is known."""

    def finish(self, turn: Turn, running_cost: float) -> None:
        """The exchange completed and `turn` was committed; show the final record."""

    def fail(self, message: str, turn: Turn) -> None:
        """The exchange failed: keep what was shown, add `message` (what to do next).

        `turn` holds what arrived before the failure; it was NOT committed.
        """


class NullView:
    """A view that shows nothing (scripts, `--quiet`, tests of the core)."""

    def begin(self, info: ExchangeInfo) -> None: ...

    def on_event(self, event: Any) -> None: ...

    def on_tool_result(self, outcome: ToolOutcome) -> None: ...

    def on_call_end(self, call: CallRecord) -> None: ...

    def finish(self, turn: Turn, running_cost: float) -> None: ...

    def fail(self, message: str, turn: Turn) -> None: ...
