"""The live view: an anywidget whose front-end (reply.js) appends the reply in the browser.

Each View call becomes ops (see reply.js for the list) queued for the next message, so
each byte of the reply crosses the wire about once:

- text, thinking and tool-input deltas go as raw text, appended in the browser as text;
- when a Markdown block of a text block is finished (`render.MarkdownStream`), its HTML
  goes as a skeleton over that text (`markup.skeleton`), so the browser formats what it
  already has; the growing rest is shown at once as plain text; math is typeset by the
  page's MathJax as each piece lands;
- cards, notes and the footer go as the HTML `render` makes for the static output too, so
  the final swap changes no markup.

Messages are numbered (a gap is noted on screen; the final bundle heals it) and sent as
events arrive: at most every `FLUSH_INTERVAL`, and a message of a few characters waits for
more until `MAX_DELAY` (the ~0.5 KB Jupyter envelope and the op framing would otherwise
cost more than the text at a slow token rate); always at once for the first text, a
finished block, a tool result or a call's end. The widget's state is everything sent so
far (`get_state`), computed only when a frontend asks (a page reloaded while the kernel is
busy cannot ask until the cell ends, so it is not resent on every message). When the
exchange ends the widget is replaced by the static bundle through its display handle and
closed, so a saved notebook keeps no widget state.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anywidget
import traitlets

from ..protocol import BlockKey, ExchangeInfo, ToolOutcome
from ..turn import CallRecord, Turn
from . import markup, render
from .static import failed_bundle, static_bundle

FLUSH_INTERVAL = 0.05
"""Seconds between messages while text streams (well under the 1000 msg/s iopub limit)."""
BATCH_CHARS = 32
"""Fewer characters than this wait for more..."""
MAX_DELAY = 0.1
"""...but never longer than this since the last message."""
_HERE = Path(__file__).parent


def _front_end() -> str:
    """reply.js without its comment lines and indentation: it goes to the browser with
    every cell's widget (the file has no multi-line strings, so this changes no code)."""
    lines = (line.strip() for line in (_HERE / "reply.js").read_text("utf-8").splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


class ReplyWidget(anywidget.AnyWidget):
    """One exchange's live view in the browser; `push` sends one numbered message."""

    _esm = _front_end()
    _css = render.reply_css()
    uid = traitlets.Unicode().tag(sync=True)
    """Keys the browser-side store (anywidget's model proxies differ between hooks)."""

    def __init__(self) -> None:
        self.sent = 0
        self.history: list[Any] = []
        super().__init__(uid=uuid.uuid4().hex)

    def push(self, ops: list[Any]) -> None:
        self.sent += 1
        self.history.extend(ops)
        self.send([self.sent, *ops])

    def get_state(self, key: Any = None, drop_defaults: bool = False) -> dict[str, Any]:
        """The synced traits plus `snapshot`: every op sent so far, as one message numbered
        like the last one, which a late frontend replays instead of what it missed."""
        state = super().get_state(key, drop_defaults)
        if key is None:
            state["snapshot"] = [self.sent, *self.history]
        return state

    def __repr__(self) -> str:
        """The text/plain of the live output (frontends without widgets show it)."""
        return "Claude's reply, streaming (a live widget; the finished reply replaces it)"

    def close(self) -> None:
        layout = self.layout
        super().close()
        layout.close()


_warming: threading.Thread | None = None


def _warm_up() -> None:
    """The renderer's imports, in the background while the first request is under way."""
    global _warming
    if _warming is None:
        _warming = threading.Thread(target=render.warm_up, name="claude-magic-warm-up")
        _warming.daemon = True
        _warming.start()


@dataclass
class _Block:
    id: int
    """The block's number in the browser."""
    html: str
    """What the browser was given for it (to skip a replacement that changes nothing)."""
    text: render.MarkdownStream | None = None
    """Text blocks: the Markdown rendered so far."""
    chunks: list[str] = field(default_factory=list)
    sent_pieces: int = 0
    dirty: bool = False

    @property
    def source(self) -> str:
        """The text so far (kept as chunks, joined on demand: no quadratic `+=`)."""
        if len(self.chunks) > 1:
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""


class LiveView:
    """Feeds a `ReplyWidget` from the View protocol; see the module docstring."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        _warm_up()
        self._clock = clock
        self.widget = ReplyWidget()
        self._ops: list[Any] = []
        """Ops for the next message."""
        self._text: list[str] = []
        """Streamed text for the current block, not yet an op (joined once, at the next op)."""
        self._pending = 0
        """Characters of streamed text queued for the next message."""
        self._text_sent = False
        self._blocks: dict[BlockKey, _Block] = {}
        self._count = 0
        self._current = -1
        """The block the browser appends bare text to (the last added or appended to)."""
        self._calls: list[CallRecord] = []
        self._last_flush: float | None = None
        self.flush_count = 0
        self._info = ExchangeInfo(chat="", model="", offline=False)
        self._handle: Any = None

    # -- View protocol -----------------------------------------------------------------

    def begin(self, info: ExchangeInfo) -> None:
        from IPython.display import display

        self._info = info
        for note in render.begin_notes(info):
            self._add(render.note_html(note))
        if info.offline:
            self._op(["f", render.footer_html([], offline=True, running_cost=None)])
        self._flush()
        self._handle = display(self.widget, display_id=True)

    def block_start(self, key: BlockKey, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind == "text":
            html = render.text_html("")
        elif kind == "thinking":
            html = render.thinking_html("")
        elif kind in ("tool_use", "server_tool_use"):
            html = render.tool_input_html(str(block.get("name", "?")), "")
        else:
            html = render.block_html(block)
        entry = _Block(self._add(html), html)
        if kind == "text":
            entry.text = render.MarkdownStream()
        self._blocks[key] = entry
        self._maybe_flush()

    def block_delta(self, key: BlockKey, text: str) -> None:
        entry = self._blocks.get(key)
        if entry is None or not text:
            return
        entry.chunks.append(text)
        entry.dirty = entry.text is not None
        self._pending += len(text)
        if entry.id == self._current:
            self._text.append(text)
        else:
            self._op(["t", entry.id, text])
            self._current = entry.id
        self._maybe_flush()

    def block_stop(self, key: BlockKey, block: dict[str, Any]) -> None:
        entry = self._blocks.get(key)
        if entry is None:
            return
        if entry.text is not None:
            self._pieces(entry, final=True)
        else:
            html = render.block_html(block)
            if block.get("type") == "thinking" and block.get("thinking"):
                html = entry.html  # the streamed text is the block: nothing to replace
            if html != entry.html:
                self._op(["r", entry.id, html])
                entry.html = html
        self._flush()

    def tool_result(self, outcome: ToolOutcome) -> None:
        self._add(
            render.tool_result_html(
                outcome.name, outcome.content, is_error=outcome.is_error, seconds=outcome.seconds
            )
        )
        self._flush()

    def call_end(self, call: CallRecord) -> None:
        self._calls.append(call)
        footer = render.footer_html(self._calls, offline=self._info.offline, running_cost=None)
        self._op(["f", footer])
        self._flush()

    def finish(self, turn: Turn, running_cost: float) -> None:
        self._replace(
            lambda: static_bundle(
                turn,
                offline=self._info.offline,
                running_cost=running_cost,
                notes=render.final_notes(self._info),
                rendered=self._rendered_texts(),
                budget=render.budget_left(self._info, turn.calls),
            )
        )

    def fail(self, shown: Turn) -> None:
        self._replace(
            lambda: failed_bundle(shown, offline=self._info.offline, kept=self._info.kept)
        )

    # -- sending -------------------------------------------------------------------------

    def _add(self, html: str) -> int:
        """A new block in the browser showing `html`; returns its number."""
        number = self._count
        self._count += 1
        self._op(["a", number, html])
        self._current = number
        return number

    def _op(self, op: Any) -> None:
        """Queue `op` (None: nothing) after the streamed text queued before it."""
        if self._text:
            self._ops.append("".join(self._text))
            self._text.clear()
        if op is not None:
            self._ops.append(op)

    def _maybe_flush(self) -> None:
        """Send on the clock: the exchange's first text at once, then at most every
        FLUSH_INTERVAL, and a few characters only once MAX_DELAY has passed."""
        if not self._pending:
            return
        if self._last_flush is None or not self._text_sent:
            self._flush()
            return
        waited = self._clock() - self._last_flush
        if waited >= FLUSH_INTERVAL and (self._pending >= BATCH_CHARS or waited >= MAX_DELAY):
            self._flush()

    def _flush(self) -> None:
        """One message with every queued op and each text block's newly finished pieces."""
        for entry in self._blocks.values():
            if entry.dirty:
                self._pieces(entry)
        self._op(None)
        if self._ops:
            self.widget.push(self._ops)
            self._ops = []
            self.flush_count += 1
        self._text_sent = self._text_sent or self._pending > 0
        self._pending = 0
        self._last_flush = self._clock()

    def _pieces(self, entry: _Block, final: bool = False) -> None:
        """Queue the finished Markdown pieces of a text block not sent yet (`final`: the
        block is complete, so its rest is a piece too)."""
        assert entry.text is not None
        source = entry.source
        entry.text.update(source)
        entry.dirty = False
        pieces = entry.text.pieces(entry.sent_pieces)
        if final and entry.text.done < len(source):
            pieces.append((entry.text.done, len(source), entry.text.rest_html))
        for start, end, html in pieces:
            self._op(["p", entry.id, markup.skeleton(html, source[start:end])])
        entry.sent_pieces += len(pieces)

    def _replace(self, bundle: Callable[[], dict[str, Any]]) -> None:
        """Swap the widget for the static bundle, then close it (whatever happens)."""
        try:
            if self._handle is not None:
                self._handle.update(bundle(), raw=True)
        finally:
            self.widget.close()

    def _rendered_texts(self) -> dict[str, str]:
        """Text blocks' final HTML, built from the pieces rendered while streaming."""
        return {
            entry.source: entry.text.final(entry.source)
            for entry in self._blocks.values()
            if entry.text is not None
        }
