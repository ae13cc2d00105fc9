"""Plain-text streaming for terminal IPython, and the fallback when widgets are missing.

Deltas are written as they arrive but flushed only on a line break, at least
`FLUSH_INTERVAL` after the last flush, or when a non-delta event shows a pause (a block or
a call ended): in a kernel every flush of stdout is an iopub message, and one per token
would be hundreds a second. A terminal still sees the text appear live.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..turn import CallRecord, Turn
from . import render
from .base import ExchangeInfo, ToolOutcome

FLUSH_INTERVAL = 0.05
"""Seconds between flushes of text without a line break."""
_PAUSES = frozenset({"content_block_stop", "message_delta", "message_stop"})
"""Events after which more text may take a while: what is pending is flushed.
(Not the SDK's synthesized per-delta events, `text`, `thinking`, `input_json`.)"""


class TextView:
    """Prints deltas as they arrive; tool calls and other blocks when they complete.

    A non-streaming request (`--no-stream`) sends no events: then the whole exchange,
    tool results included, is printed in order at the end.
    """

    def __init__(
        self, out: TextIO | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._out = out
        self._clock = clock
        self._offline = False
        self._in_thinking = False
        self._at_line_start = True
        self._streamed = False
        self._call = 0
        self._prefill: str | None = None
        self._unflushed: TextIO | None = None
        """The stream written to since the last flush, if any."""
        self._last_flush = -math.inf
        self.flush_count = 0

    @property
    def _stream(self) -> TextIO:
        # Resolved per write: IPython and pytest swap sys.stdout after construction.
        return self._out or sys.stdout

    def _write(self, text: str) -> None:
        if text:
            stream = self._stream
            if self._unflushed is not None and self._unflushed is not stream:
                self._flush()
            stream.write(text)
            self._unflushed = stream
            self._at_line_start = text.endswith("\n")
            if "\n" in text or self._clock() - self._last_flush >= FLUSH_INTERVAL:
                self._flush()

    def _flush(self) -> None:
        if self._unflushed is not None:
            self._unflushed.flush()
            self._unflushed = None
            self.flush_count += 1
            self._last_flush = self._clock()

    def _line(self, text: str) -> None:
        """`text` on a line of its own (always flushed: it ends with a line break)."""
        self._write(("" if self._at_line_start else "\n") + text + "\n")

    def begin(self, info: ExchangeInfo) -> None:
        self._offline = info.offline
        self._prefill = info.prefill or None
        note = render.dropped_note(info.dropped_turns, info.chat)
        if note:
            self._line(note)

    def on_event(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        self._streamed = True
        if kind == "content_block_delta":
            delta = event.delta
            if delta.type == "text_delta":
                self._end_thinking()
                self._write(delta.text)
            elif delta.type == "thinking_delta" and delta.thinking:
                self._thinking(delta.thinking)
            return
        if kind == "message_start":
            self._call += 1
        elif kind == "content_block_start":
            if getattr(event.content_block, "type", None) == "text":
                self._show_prefill()
        elif kind == "content_block_stop":
            self._block_stop(render.block_dict(event.content_block))
        elif kind == "message_stop" and self._prefill and self._call <= 1:
            self._line(self._prefill)  # a first call without text: the prefill alone
            self._prefill = None
        if kind in _PAUSES:
            self._flush()

    def _show_prefill(self) -> None:
        """The prefill, just before the first text of the exchange's first call."""
        if self._prefill and self._call <= 1:
            self._end_thinking()
            self._write(self._prefill)
        self._prefill = None

    def _thinking(self, text: str) -> None:
        if not self._in_thinking:
            self._line("[thinking]")
            self._in_thinking = True
        prefixed = text.replace("\n", "\n│ ")
        self._write(("│ " if self._at_line_start else "") + prefixed)

    def _end_thinking(self) -> None:
        if self._in_thinking:
            self._in_thinking = False
            self._line("")

    def _block_stop(self, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind == "text":
            return
        if kind == "thinking":
            if not block.get("thinking"):  # display omitted: say so instead of nothing
                self._line(render.block_text(block))
            self._end_thinking()
            return
        self._end_thinking()
        self._line(render.block_text(block))

    def on_tool_result(self, outcome: ToolOutcome) -> None:
        if self._streamed:  # without stream events, finish() prints it after its tool_use
            self._line(render.tool_result_line(outcome.name, outcome.content, outcome.is_error))

    def on_call_end(self, call: CallRecord) -> None: ...

    def finish(self, turn: Turn, running_cost: float) -> None:
        if not self._streamed:  # a non-streaming request (--no-stream): show it all now
            self._print_replies(turn)
        self._line(render.footer_text(turn.calls, offline=self._offline, running_cost=running_cost))
        self._flush()

    def fail(self, message: str, turn: Turn) -> None:
        if not self._streamed:  # nothing was shown yet: what arrived before the failure
            self._print_replies(turn)
        footer = render.footer_text(turn.calls, offline=self._offline, running_cost=None)
        if footer:
            self._line(footer)
        self._line(message)
        self._flush()

    def _print_replies(self, turn: Turn) -> None:
        """Every reply block in order: each tool result after the tool_use that asked for it."""
        for block, name in render.reply_blocks(turn.replies):
            if block.get("type") == "tool_result":
                name = name or str(block.get("tool_use_id", "?"))
                content, is_error = block.get("content"), bool(block.get("is_error"))
                self._line(render.tool_result_line(name, content, is_error))
            else:
                self._line(render.block_text(block))
