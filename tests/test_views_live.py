"""LiveView: widgets fed by real SDK events, throttled traffic, static replacement."""

from __future__ import annotations

import html
import random
import re
from typing import Any

import pytest

from claude_magic.protocol import ExchangeInfo, ToolOutcome
from claude_magic.turn import TURN_MIME, Turn
from claude_magic.views.live import LiveView
from tests.test_views import XSS, assert_inert, call, rich_sse, turn_of
from tests.views_helpers import SSE, CommLog, feed, record_comms, started_feed, stream_events

pytest.importorskip("ipywidgets")


class FakeHandle:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []

    def update(self, bundle: dict[str, Any], raw: bool = False) -> None:
        assert raw
        self.updates.append(bundle)


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def displayed(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What begin() displayed; display() returns a FakeHandle recording updates."""
    import IPython.display

    shown: list[Any] = []

    def display(obj: Any, display_id: bool = False) -> FakeHandle:
        assert display_id is True
        shown.append((obj, FakeHandle()))
        return shown[-1][1]

    monkeypatch.setattr(IPython.display, "display", display)
    return shown


def run(
    view: LiveView,
    events: list[Any],
    clock: FakeClock | None = None,
    step: float = 0.0,
    feeder: Any = None,
) -> Any:
    """Feed one call's events (or, with `feeder`, more of the same call) as the exchange does."""
    feeder = feeder or started_feed(view)
    for event in events:
        if clock is not None:
            clock.now += step
        feeder.event(event)
    return feeder


def test_live_view_shows_blocks_and_finishes_static(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    events = stream_events(rich_sse())
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=True, dropped_turns=1))
    run(view, events)
    view.call_end(call("tool_use"))
    view.tool_result(ToolOutcome("toolu_2", "calc", {"expr": "1<2"}, "<b>42</b>", False, 0.2))
    values = "\n".join(log.values())
    assert "<strong>world</strong>" in values
    assert html.escape("1 later turn of chat 'x' will be dropped") in values
    assert "think &lt;b&gt;hard" in values and "tool call: calc" in values
    assert "fancy_new_block" in values and "tool result: calc (0.20 s)" in values
    assert "offline simulator" in values and "in 25 · out 15" in values
    assert_inert(values)
    assert log.count("comm_open") > 5

    view.finish(turn_of(events), running_cost=0.3)
    root, handle = displayed[0]
    (bundle,) = handle.updates
    assert TURN_MIME in bundle and "chat total &#36;0.3000" in bundle["text/html"]
    assert root.comm is None  # closed: the saved notebook keeps only the bundle
    assert log.count("comm_close") == log.count("comm_open")


def test_thinking_accordion_folds_when_the_answer_starts(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    events = stream_events(SSE().thinking("hmm").thinking("").text("answer"))
    starts = [i for i, e in enumerate(events) if e.type == "content_block_start"]
    feeder = run(view, events[: starts[2]])
    accordions = [c for c in view._body.children if type(c).__name__ == "Accordion"]
    assert [a.selected_index for a in accordions] == [0, 0]
    hidden = accordions[1].children[0].children[0].value
    assert "display: omitted" in hidden
    run(view, events[starts[2] :], feeder=feeder)
    assert [a.selected_index for a in accordions] == [None, None]


def test_fail_keeps_partial_reply_with_error_and_closes_widgets(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    events = stream_events(SSE().text("a partial ", XSS).tool_use("calc", {"a": 1}))
    cut = next(i for i, e in enumerate(events) if e.type == "input_json")  # mid tool input
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    run(view, events[:cut])
    partial = [
        {"type": "text", "text": "a partial " + XSS},
        {"type": "tool_use", "id": "toolu_1", "name": "calc", "input": {}},
    ]
    shown = Turn("x", None, {"role": "user", "content": []})
    shown.replies = [{"role": "assistant", "content": partial}]  # the exchange's partial reply
    view.fail("interrupted — nothing was saved", shown)
    (bundle,) = displayed[0][1].updates
    assert TURN_MIME not in bundle
    for mime in ("text/plain", "text/markdown", "text/html"):
        assert "a partial" in bundle[mime] and "nothing was saved" in bundle[mime]
    assert "tool call: calc" in bundle["text/html"]
    assert_inert(bundle["text/html"])
    assert log.count("comm_close") == log.count("comm_open")


def long_reply(deltas: int, seed: int = 7) -> list[str]:
    """Realistic Markdown in `deltas` chunks of 2–12 characters."""
    rng = random.Random(seed)
    words = "the model streams tokens into a notebook cell while widgets redraw on a clock".split()
    parts = []
    while sum(map(len, parts)) < deltas * 7:
        kind = rng.random()
        if kind < 0.15:
            parts.append("```python\n" + "".join(f"x{i} = {i} < 3\n" for i in range(8)) + "```\n\n")
        elif kind < 0.3:
            parts.append("".join(f"- item {' '.join(rng.choices(words, k=6))}\n" for _ in range(4)))
            parts.append("\n")
        else:
            parts.append(" ".join(rng.choices(words, k=60)) + " **bold** `code`.\n\n")
    text = "".join(parts)
    cuts = sorted(rng.sample(range(1, len(text)), deltas - 1))
    return [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]


def naive_bytes(chunks: list[str], monkeypatch: pytest.MonkeyPatch) -> int:
    """One HTML widget whose whole (escaped) value is resent on every delta."""
    import ipywidgets

    log = record_comms(monkeypatch)
    widget = ipywidgets.HTML()
    text = ""
    for chunk in chunks:
        text += chunk
        widget.value = html.escape(text)
    return log.bytes


def test_4000_deltas_are_throttled_and_traffic_is_linear(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    chunks = long_reply(4000)
    reply = "".join(chunks)
    events = stream_events(SSE().text(*chunks))
    log: CommLog = record_comms(monkeypatch)
    clock = FakeClock()
    view = LiveView(clock=clock)
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    run(view, events, clock, step=0.005)  # raw + synthesized event: ~100 deltas/s
    view.call_end(call())
    view.finish(turn_of(events), running_cost=0.0)
    streamed_s = clock.now
    assert view.flush_count <= streamed_s / 0.05 + 5
    assert view.flush_count > 100  # it did redraw while streaming
    ratio = log.bytes / len(reply.encode())
    naive = naive_bytes(chunks, monkeypatch) / len(reply.encode())
    print(
        f"\n4000 deltas, reply {len(reply.encode())} B: live view {log.bytes} B "
        f"({ratio:.2f}x, {log.count('comm_msg')} updates, {view.flush_count} flushes), "
        f"naive per-delta HTML.value {naive:.0f}x"
    )
    assert ratio <= 3.0
    assert naive > 50 * ratio
    shown = re.sub(r"<[^>]+>", "", "".join(log.values()))
    assert "x7 = 7 &lt; 3" in shown  # the last code block reached the frontend


# -- review fixes ----------------------------------------------------------------------------


def test_prefill_is_the_start_of_the_first_text_block(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    events = stream_events(SSE().text("**world**."))
    feed(view, events, prefill="Hello ")
    assert any("Hello <strong>world</strong>." in v for v in log.values())
    turn = turn_of(events)
    turn.replies[0]["content"][0]["text"] = "Hello **world**."  # the exchange merges the prefill
    view.finish(turn, running_cost=0.0)
    (bundle,) = displayed[0][1].updates
    assert "<p>Hello <strong>world</strong>.</p>" in bundle["text/html"]
    assert bundle[TURN_MIME]["replies"][0]["content"][0]["text"] == "Hello **world**."


def test_live_view_loads_no_images(monkeypatch: pytest.MonkeyPatch, displayed: list[Any]) -> None:
    from tests.test_views import IMAGE

    log = record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    events = stream_events(SSE().text(*IMAGE.split(" ")))  # deltas without their spaces
    run(view, events)
    view.finish(turn_of(events), running_cost=0.0)
    values = "\n".join(log.values())
    assert "<img" not in values and 'href="https://evil.example/x.png?q=SECRET"' in values
    (bundle,) = displayed[0][1].updates
    assert "<img" not in bundle["text/html"] and "<img" not in bundle["text/markdown"]


def test_fail_footer_counts_the_calls_of_the_turn(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    run(view, stream_events(SSE().text("partial")))
    billed = call(cost=0.5)
    billed.error = "interrupted"
    view.call_end(billed)  # the exchange records a billed call, then reports it
    turn = Turn("x", None, {"role": "user", "content": []}, calls=[billed])
    view.fail("interrupted", turn)
    (bundle,) = displayed[0][1].updates
    assert "$0.5000" in bundle["text/plain"] and "call failed: interrupted" in bundle["text/plain"]


def test_finished_rerun_note_is_in_the_past(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False, dropped_turns=2))
    events = stream_events(SSE().text("ok"))
    run(view, events)
    view.finish(turn_of(events), running_cost=0.0)
    (bundle,) = displayed[0][1].updates
    assert bundle["text/plain"].startswith(
        "(re-run: replaced this cell's earlier turn; dropped 2 later turns of chat 'x')"
    )
