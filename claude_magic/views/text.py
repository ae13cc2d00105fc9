"""Plain-text streaming for terminal IPython, and the fallback when widgets are missing."""

from __future__ import annotations

import sys
from typing import Any, TextIO

from ..turn import CallRecord, Turn
from . import render
from .base import ExchangeInfo, ToolOutcome


class TextView:
    """Prints deltas as they arrive; tool calls and other blocks when they complete."""

    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out
        self._offline = False
        self._calls: list[CallRecord] = []
        self._in_thinking = False
        self._at_line_start = True
        self._streamed = False

    @property
    def _stream(self) -> TextIO:
        # Resolved per write: IPython and pytest swap sys.stdout after construction.
        return self._out or sys.stdout

    def _write(self, text: str) -> None:
        if text:
            self._stream.write(text)
            self._stream.flush()
            self._at_line_start = text.endswith("\n")

    def _line(self, text: str) -> None:
        """`text` on a line of its own."""
        self._write(("" if self._at_line_start else "\n") + text + "\n")

    def begin(self, info: ExchangeInfo) -> None:
        self._offline = info.offline
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
        elif kind == "content_block_stop":
            self._block_stop(render.block_dict(event.content_block))

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
        self._line(render.tool_result_line(outcome.name, outcome.content, outcome.is_error))

    def on_call_end(self, call: CallRecord) -> None:
        self._calls.append(call)

    def finish(self, turn: Turn, running_cost: float) -> None:
        if not self._streamed:  # a non-streaming request (--no-stream): show it all now
            for message in turn.replies:
                for block in message["content"] if message["role"] == "assistant" else []:
                    self._line(render.block_text(block))
        self._line(render.footer_text(turn.calls, offline=self._offline, running_cost=running_cost))

    def fail(self, message: str, turn: Turn) -> None:
        footer = render.footer_text(self._calls, offline=self._offline, running_cost=None)
        if footer:
            self._line(footer)
        self._line(message)
