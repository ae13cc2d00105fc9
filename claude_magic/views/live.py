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

from ..turn import CallRecord, Turn
from . import render
from .base import ExchangeInfo, ToolOutcome
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
_DELTA_FIELDS = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "input_json_delta": "partial_json",
}
"""The field of each streamed delta type that carries its text."""
_SOURCE_FIELDS = {"text": "text", "thinking": "thinking"}
"""The field of a block that holds its streamed text (any other block: its input)."""


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
    done: bool = False

    def partial(self) -> dict[str, Any]:
        """The block as shown so far, for the static bundle of a failed exchange."""
        if self.done or self.stream is None:
            return self.data
        field = _SOURCE_FIELDS.get(self.data.get("type", ""), "input")
        return {**self.data, field: self.stream.source}


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
        self._blocks: dict[tuple[int, int], _Block] = {}
        self._order: list[_Block | dict[str, Any]] = []
        """Blocks and tool-result messages in the order shown (for the failure bundle)."""
        self._pending: list[Any] = []
        self._accordions: list[Any] = []
        self._calls: list[CallRecord] = []
        self._call = 0
        self._last_flush: float | None = None
        self.flush_count = 0
        self._info = ExchangeInfo(chat="", model="", offline=False)
        self._prefill: str | None = None
        """`--prefill`, until the first call's first text block shows it."""
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
        self._prefill = info.prefill or None
        note = render.dropped_note(info.dropped_turns, info.chat)
        if note:
            self._add(self._html(f'<i class="cm-note">{html.escape(note)}</i>'))
        if info.offline:
            self._footer.value = render.badge_html()
        self._flush()
        self._handle = display(self._root, display_id=True)

    def on_event(self, event: Any) -> None:
        kind = getattr(event, "type", None)
        if kind == "message_start":
            self._call += 1
        elif kind == "content_block_start":
            self._start(event.index, render.block_dict(event.content_block))
        elif kind == "content_block_delta":
            self._delta(event.index, event.delta)
        elif kind == "content_block_stop":
            self._stop(event.index, render.block_dict(event.content_block))

    def on_tool_result(self, outcome: ToolOutcome) -> None:
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
        self._order.append(
            {
                "type": "tool_result",
                "tool_use_id": outcome.tool_use_id,
                "content": outcome.content,
                "is_error": outcome.is_error,
            }
        )
        self._flush()

    def on_call_end(self, call: CallRecord) -> None:
        self._calls.append(call)
        self._footer.value = render.footer_html(
            self._calls, offline=self._info.offline, running_cost=None
        )

    def finish(self, turn: Turn, running_cost: float) -> None:
        self._flush(force=True)
        note = render.dropped_note(self._info.dropped_turns, self._info.chat, committed=True)
        bundle = static_bundle(
            turn,
            offline=self._info.offline,
            running_cost=running_cost,
            note=note,
            rendered=self._rendered_texts(),
        )
        self._replace(bundle)

    def fail(self, message: str, turn: Turn) -> None:
        self._flush(force=True)
        shown = Turn(
            chat=turn.chat,
            cell_id=turn.cell_id,
            user=turn.user,
            replies=self._shown_messages(),
            calls=turn.calls,  # the exchange records every billed call there, failed ones too
            model=turn.model,
        )
        self._replace(failed_bundle(shown, message, offline=self._info.offline))

    # -- events ------------------------------------------------------------------------

    def _start(self, index: int, data: dict[str, Any]) -> None:
        kind = data.get("type")
        if kind == "text":
            stream = _Streamed(self, _Markdown())
            if self._prefill and self._call <= 1:  # the reply's start, sent by us
                stream.append(self._prefill)
            self._prefill = None
            block = _Block(data, stream.box, stream)
            for accordion in self._accordions:
                accordion.selected_index = None  # the answer started: fold the thinking
        elif kind == "thinking":
            stream = _Streamed(self, _Plain(render.thinking_body_html, _paragraph_cut))
            accordion = self._make(
                self._widgets.Accordion, children=(stream.box,), titles=("Thinking",)
            )
            accordion.selected_index = 0
            self._accordions.append(accordion)
            block = _Block(data, accordion, stream)
        elif kind in ("tool_use", "server_tool_use"):
            name = str(data.get("name", "?"))
            stream = _Streamed(self, _Plain(lambda s: render.tool_input_html(name, s), _no_cut))
            block = _Block(data, stream.box, stream)
        else:
            block = _Block(data, self._html(render.block_html(data)))
        self._blocks[(self._call, index)] = block
        self._order.append(block)
        self._add(block.widget)

    def _delta(self, index: int, delta: Any) -> None:
        block = self._blocks.get((self._call, index))
        text = _DELTA_FIELDS.get(getattr(delta, "type", ""))
        if block is None or block.stream is None or text is None:
            return
        block.stream.append(getattr(delta, text, "") or "")
        if self._last_flush is None or self._clock() - self._last_flush >= FLUSH_INTERVAL:
            self._flush()

    def _stop(self, index: int, data: dict[str, Any]) -> None:
        block = self._blocks.get((self._call, index))
        if block is None:
            return
        kind = data.get("type")
        if kind == "text" and block.stream is not None:  # what was shown: with any prefill
            data = {**data, "text": block.stream.source}
        block.data, block.done = data, True
        if block.stream is None:
            block.widget.value = render.block_html(data)
        elif kind == "thinking" and not data.get("thinking"):
            block.stream.show(render.block_html(data))
        elif kind in ("tool_use", "server_tool_use"):
            block.stream.show(render.block_html(data))
        self._flush(force=True)

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

    def _shown_messages(self) -> list[dict[str, Any]]:
        """What the view showed, as messages: assistant blocks and tool-result turns."""
        messages: list[dict[str, Any]] = []
        for item in self._order:
            block = item.partial() if isinstance(item, _Block) else item
            role = "user" if block.get("type") == "tool_result" else "assistant"
            if not messages or messages[-1]["role"] != role:
                messages.append({"role": role, "content": []})
            messages[-1]["content"].append(block)
        return messages
