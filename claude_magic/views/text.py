"""Plain-text streaming for terminal IPython, and the fallback when widgets are missing.

Deltas are written as they arrive but flushed only on a line break, at least
`FLUSH_INTERVAL` after the last flush, or at a pause (a block or a call ended): in a kernel
every flush of stdout is an iopub message, and one per token would be hundreds a second. A
terminal still sees the text appear live.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from ..protocol import BlockKey, ExchangeInfo, ToolOutcome
from ..turn import CallRecord, Turn
from . import render

FLUSH_INTERVAL = 0.05
"""Seconds between flushes of text without a line break."""


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
        self._info = ExchangeInfo(chat="", model="", offline=False)
        self._kinds: dict[BlockKey, str] = {}
        self._in_thinking = False
        self._at_line_start = True
        self._streamed = False
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
        self._info = info
        self._offline = info.offline
        for note in render.begin_notes(info):
            self._line(note)

    def block_start(self, key: BlockKey, block: dict[str, Any]) -> None:
        self._streamed = True
        self._kinds[key] = str(block.get("type"))

    def block_delta(self, key: BlockKey, text: str) -> None:
        kind = self._kinds.get(key)
        if kind == "text":
            self._end_thinking()
            self._write(text)
        elif kind == "thinking" and text:
            self._thinking(text)

    def block_stop(self, key: BlockKey, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind == "thinking":
            if not block.get("thinking"):  # display omitted: say so instead of nothing
                self._line(render.block_text(block) + "\n")  # set apart, as shown thinking is
            self._end_thinking()
        elif kind != "text":
            self._end_thinking()
            self._line(render.block_text(block))
        self._flush()  # a block ended: more text may take a while

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

    def tool_result(self, outcome: ToolOutcome) -> None:
        if self._streamed:  # without stream events, finish() prints it after its tool_use
            self._line(render.tool_result_line(outcome.name, outcome.content, outcome.is_error))

    def call_end(self, call: CallRecord) -> None:
        self._flush()

    def finish(self, turn: Turn, running_cost: float) -> None:
        if not self._streamed:  # a non-streaming request (--no-stream): show it all now
            self._print_replies(turn)
        footer = render.footer_text(
            turn.calls,
            offline=self._offline,
            running_cost=running_cost,
            budget=render.budget_left(self._info, turn.calls),
        )
        self._line(footer)
        self._flush()

    def fail(self, shown: Turn) -> None:
        if not self._streamed:  # nothing was shown yet: what arrived before the failure
            self._print_replies(shown)
        if shown.calls:  # with none, the error alone says it (no lone offline badge)
            self._line(render.footer_text(shown.calls, offline=self._offline, running_cost=None))
        if shown.replies or shown.calls:
            self._line(render.not_added(self._info.kept is not None))
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
