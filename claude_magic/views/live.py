"""The live ipywidgets view: events append to buffers, widgets are redrawn on a clock.

An `HTML` widget update resends its whole value (no diffing), so traffic is kept linear:
each content block has its own widgets; a long block is cut into frozen segments (at
Markdown block or paragraph boundaries) plus one live tail, and only the tail is resent;
the tail is resent only once it has grown 2.5x since it was last sent, or, on a slow
stream, once `MAX_WAIT` has passed (then a shorter finished part is frozen, so those resends
stay short). Every widget costs messages (open, children update, close; each with a ~0.5 KB
envelope), so segments are long. Flushes happen on the first token, then at most every
`FLUSH_INTERVAL`, at block ends and at the end. When the exchange ends the view is replaced
by the static bundle (text blocks reuse the HTML rendered while streaming) and its widgets
are closed.
"""

from __future__ import annotations

import contextlib
import html
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..protocol import BlockKey, ExchangeInfo, ToolOutcome
from ..turn import CallRecord, Turn
from . import render
from .static import failed_bundle, static_bundle

FLUSH_INTERVAL = 0.05
"""Seconds between flushes while streaming (well under the 1000 msg/s iopub limit)."""
GROWTH = 2.5
"""A live tail is resent once its text is this many times what was last sent."""
MAX_WAIT = 2.0
"""Seconds after which a tail that grew at all is resent anyway (a slow stream)."""
FREEZE_CHARS = 4000
"""A tail's complete leading part is frozen into its own widget once it is this long."""
SLOW_FREEZE_CHARS = 1500
"""The same on a resend due to `MAX_WAIT`, so a slow stream keeps resending a short tail."""


def _paragraph_cut(text: str) -> int:
    return text.rfind("\n\n") + 1


def _no_cut(text: str) -> int:
    return 0


class _Plain:
    """Thinking and tool input: rendered whole (escaping is cheap), cut by a simple rule."""

    def __init__(self, render_html: Callable[[str], str], cut: Callable[[str], int]) -> None:
        self._render = render_html
        self._cut = cut
        self._source = ""

    def update(self, source: str, frozen: int) -> int:
        """Take the text so far; returns the offset up to which it is finished."""
        self._source = source
        return frozen + self._cut(source[frozen:])

    def html(self, start: int, end: int | None = None) -> str:
        return self._render(self._source[start:end])


class _Markdown:
    """A text block: model Markdown, parsed once per update and finished blocks only once."""

    def __init__(self) -> None:
        self.stream = render.MarkdownStream()

    def update(self, source: str, frozen: int) -> int:
        self.stream.update(source)
        return self.stream.done

    def html(self, start: int, end: int | None = None) -> str:
        return self.stream.html(start, end)


class _Streamed:
    """A growing text shown as frozen HTML segments plus one live tail."""

    def __init__(self, view: LiveView, text: _Plain | _Markdown) -> None:
        self._view = view
        self.text = text
        self._chunks: list[str] = []
        self._length = 0
        self._frozen = 0
        self._sent = 0
        self._sent_at = 0.0
        self.tail = view._html()
        self.box = view._make(view._widgets.VBox, children=(self.tail,))
        self.dirty = False

    @property
    def source(self) -> str:
        """The text so far (kept as chunks, joined on demand: no quadratic `+=`)."""
        if len(self._chunks) > 1:
            self._chunks[:] = ["".join(self._chunks)]
        return self._chunks[0] if self._chunks else ""

    def append(self, text: str) -> None:
        if text:
            self._chunks.append(text)
            self._length += len(text)
        self.dirty = self._length > 0

    def sync(self, force: bool, now: float) -> None:
        """Resend the tail if it grew enough (or `force`), freezing its finished part first.

        Freezing happens only on a send, so a frozen segment's final value is the send
        itself: a segment costs its doubling series and nothing more.
        """
        if not self.dirty:
            return
        grown = force or self._length - self._frozen >= GROWTH * self._sent
        if not grown and now - self._sent_at < MAX_WAIT:
            return
        cut = self.text.update(self.source, self._frozen)
        if cut - self._frozen >= (FREEZE_CHARS if grown else SLOW_FREEZE_CHARS):
            self.tail.value = self.text.html(self._frozen, cut)
            self.tail = self._view._html()
            self.box.children = (*self.box.children, self.tail)
            self._frozen = cut
        self.tail.value = self.text.html(self._frozen)
        self._sent = self._length - self._frozen
        self._sent_at = now
        self.dirty = False

    def show(self, fragment: str) -> None:
        """Replace everything shown with `fragment` (a finished block's final form)."""
        self.tail.value = fragment
        self.box.children = (self.tail,)
        self.dirty = False


@dataclass
class _Block:
    data: dict[str, Any]
    """The block as last known: its start form, then the completed block."""
    widget: Any
    stream: _Streamed | None = None


class LiveView:
    """ipywidgets view fed by stream events; see the module docstring for the traffic rules."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        import ipywidgets
        from ipywidgets.widgets.widget_string import HTMLStyle

        self._widgets = ipywidgets
        self._clock = clock
        self._created: list[Any] = []
        self._layout = ipywidgets.Layout()
        self._style = HTMLStyle()
        self._box_layout = ipywidgets.Layout()
        self._blocks: dict[BlockKey, _Block] = {}
        self._pending: list[Any] = []
        self._accordions: list[Any] = []
        self._calls: list[CallRecord] = []
        self._last_flush: float | None = None
        self.flush_count = 0
        self._info = ExchangeInfo(chat="", model="", offline=False)
        self._handle: Any = None
        self._body = self._make(ipywidgets.VBox, children=())
        self._footer = self._html()
        self._root = self._make(ipywidgets.VBox, children=(self._body, self._footer))

    # -- widget helpers ----------------------------------------------------------------

    def _make(self, cls: Any, **kwargs: Any) -> Any:
        widget = cls(layout=self._box_layout, **kwargs)
        self._created.append(widget)
        return widget

    def _html(self, value: str = "") -> Any:
        widget = self._widgets.HTML(value=value, layout=self._layout, style=self._style)
        widget.add_class(
            "jp-RenderedHTMLCommon"
        )  # JupyterLab's Markdown look, as in the final output
        self._created.append(widget)
        return widget

    def _add(self, widget: Any) -> None:
        self._pending.append(widget)

    # -- View protocol -----------------------------------------------------------------

    def begin(self, info: ExchangeInfo) -> None:
        from IPython.display import display

        self._info = info
        for note in render.begin_notes(info):
            self._add(self._html(f'<i class="cm-note">{html.escape(note)}</i>'))
        if info.offline:
            self._footer.value = render.badge_html()
        self._flush()
        self._handle = display(self._root, display_id=True)

    def block_start(self, key: BlockKey, block: dict[str, Any]) -> None:
        kind = block.get("type")
        if kind == "text":
            stream = _Streamed(self, _Markdown())
            entry = _Block(block, stream.box, stream)
            for accordion in self._accordions:
                accordion.selected_index = None  # the answer started: fold the thinking
        elif kind == "thinking":
            stream = _Streamed(self, _Plain(render.thinking_body_html, _paragraph_cut))
            accordion = self._make(
                self._widgets.Accordion, children=(stream.box,), titles=("Thinking",)
            )
            accordion.selected_index = 0
            self._accordions.append(accordion)
            entry = _Block(block, accordion, stream)
        elif kind in ("tool_use", "server_tool_use"):
            name = str(block.get("name", "?"))
            stream = _Streamed(self, _Plain(lambda s: render.tool_input_html(name, s), _no_cut))
            entry = _Block(block, stream.box, stream)
        else:
            entry = _Block(block, self._html(render.block_html(block)))
        self._blocks[key] = entry
        self._add(entry.widget)

    def block_delta(self, key: BlockKey, text: str) -> None:
        entry = self._blocks.get(key)
        if entry is None or entry.stream is None:
            return
        entry.stream.append(text)
        if self._last_flush is None or self._clock() - self._last_flush >= FLUSH_INTERVAL:
            self._flush()

    def block_stop(self, key: BlockKey, block: dict[str, Any]) -> None:
        entry = self._blocks.get(key)
        if entry is None:
            return
        entry.data = block
        kind = block.get("type")
        if entry.stream is None:
            entry.widget.value = render.block_html(block)
        elif kind == "thinking" and not block.get("thinking"):
            entry.stream.show(render.block_html(block))
        elif kind in ("tool_use", "server_tool_use"):
            entry.stream.show(render.block_html(block))
        self._flush(force=True)

    def tool_result(self, outcome: ToolOutcome) -> None:
        self._add(
            self._html(
                render.tool_result_html(
                    outcome.name,
                    outcome.content,
                    is_error=outcome.is_error,
                    seconds=outcome.seconds,
                )
            )
        )
        self._flush()

    def call_end(self, call: CallRecord) -> None:
        self._calls.append(call)
        self._footer.value = render.footer_html(
            self._calls, offline=self._info.offline, running_cost=None
        )

    def finish(self, turn: Turn, running_cost: float) -> None:
        self._flush(force=True)
        bundle = static_bundle(
            turn,
            offline=self._info.offline,
            running_cost=running_cost,
            notes=render.final_notes(self._info),
            rendered=self._rendered_texts(),
            budget=render.budget_left(self._info, turn.calls),
        )
        self._replace(bundle)

    def fail(self, message: str, shown: Turn) -> None:
        self._flush(force=True)
        self._replace(failed_bundle(shown, message, offline=self._info.offline))

    # -- drawing -----------------------------------------------------------------------

    def _flush(self, force: bool = False) -> None:
        """Send what changed: one hold_sync per touched widget, so one message each."""
        self.flush_count += 1
        self._last_flush = now = self._clock()
        streams = [b.stream for b in self._blocks.values() if b.stream and b.stream.dirty]
        with contextlib.ExitStack() as stack:
            for stream in streams:
                stack.enter_context(stream.box.hold_sync())
                stack.enter_context(stream.tail.hold_sync())
            for stream in streams:
                stream.sync(force, now)
            if self._pending:
                self._body.children = (*self._body.children, *self._pending)
                self._pending.clear()

    def _replace(self, bundle: dict[str, Any]) -> None:
        """Swap the live widgets for the static bundle, then close them (not saved)."""
        if self._handle is not None:
            self._handle.update(bundle, raw=True)
        for widget in (*self._created, self._layout, self._style, self._box_layout):
            widget.close()
        self._created.clear()

    def _rendered_texts(self) -> dict[str, tuple[str, str]]:
        """Text blocks' final HTML and safe Markdown, built from what streaming rendered."""
        rendered = {}
        for block in self._blocks.values():
            if block.stream is not None and isinstance(block.stream.text, _Markdown):
                source = block.stream.source
                rendered[source] = block.stream.text.stream.final(source)
        return rendered
