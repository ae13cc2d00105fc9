"""LiveView: the anywidget fed by real SDK events, its messages, and the static replacement.

The browser side is checked in a real browser (tests/browser/); here `LiveClient` (what
reply.js does, in Python) decodes the recorded messages, so each test can look at the page
the messages build as well as at the bytes they cost.
"""

from __future__ import annotations

import html
import random
import re
from typing import Any

import pytest

from claude_magic.protocol import ExchangeInfo, ToolOutcome
from claude_magic.turn import TURN_MIME, Turn
from claude_magic.views import render
from claude_magic.views.live import FLUSH_INTERVAL, MAX_DELAY, LiveView
from tests.test_views import XSS, assert_inert, call, rich_sse, turn_of
from tests.views_helpers import (
    SSE,
    CommLog,
    feed,
    live_client,
    live_messages,
    record_comms,
    started_feed,
    stream_events,
)

pytest.importorskip("anywidget")


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


def assert_page_inert(log: CommLog) -> None:
    """Everything the browser inserts as HTML is inert; streamed text goes in as text."""
    client = live_client(live_messages(log))
    for fragment in client.inserted:
        assert_inert(fragment)
    assert_inert(client.html())


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
    page = live_client(live_messages(log)).html()
    assert "<strong>world</strong>" in page
    assert html.escape("1 later turn of chat 'x' will be dropped") in page
    assert "think &lt;b&gt;hard" in page and "tool call: calc" in page
    assert "fancy_new_block" in page and "tool result: calc (0.20 s)" in page
    assert "offline simulator" in page and "in 25 · out 15" in page
    assert html.escape("<b>42</b>") in page
    assert_page_inert(log)
    assert log.count("comm_open") == 2  # the widget and its layout, nothing per block

    view.finish(turn_of(events), running_cost=0.3)
    root, handle = displayed[0]
    assert root is view.widget
    (bundle,) = handle.updates
    assert set(bundle) == {"text/plain", "text/html", TURN_MIME}
    assert "chat total &#36;0.30<" in bundle["text/html"]
    assert root.comm is None  # closed: the saved notebook keeps only the bundle
    assert log.count("comm_close") == log.count("comm_open")


def test_live_blocks_are_the_static_markup(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    """The page the messages build is the static output's markup (footer aside): the swap
    at the end changes nothing on screen."""
    log = record_comms(monkeypatch)
    events = stream_events(rich_sse())
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    run(view, events)
    client = live_client(live_messages(log))
    turn = turn_of(events)
    blocks = [render.block_html(b, name) for b, name in render.reply_blocks(turn.replies)]
    assert [client.block_html(i) for i in range(len(client.blocks))] == blocks


def test_thinking_box_keeps_its_form_when_the_answer_starts(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    events = stream_events(SSE().thinking("hmm ", "more").thinking("").text("answer"))
    run(view, events)
    ops = [op for message in live_messages(log) for op in message[1:]]
    replaced = [op[1] for op in ops if isinstance(op, list) and op[0] == "r"]
    assert replaced == [1]  # only the hidden thinking block got its final form
    client = live_client(live_messages(log))
    thinking, hidden = client.block_html(0), client.block_html(1)
    assert thinking == render.thinking_html("hmm more")
    assert "<details" in thinking and " open " in thinking and "max-height" in thinking
    assert "display: omitted" in hidden and " open " in hidden


def test_fail_keeps_partial_reply_with_error_and_closes_the_widget(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    events = stream_events(SSE().text("a partial ", XSS).tool_use("calc", {"a": 1}))
    cut = next(i for i, e in enumerate(events) if e.type == "input_json")  # mid tool input
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    run(view, events[:cut])
    assert_page_inert(log)
    partial = [
        {"type": "text", "text": "a partial " + XSS},
        {"type": "tool_use", "id": "toolu_1", "name": "calc", "input": {}},
    ]
    shown = Turn("x", None, {"role": "user", "content": []})
    shown.replies = [{"role": "assistant", "content": partial}]  # the exchange's partial reply
    view.fail(shown)
    (bundle,) = displayed[0][1].updates
    assert set(bundle) == {"text/plain", "text/html"}
    for mime in bundle:
        assert "a partial" in bundle[mime] and "Not added to the chat" in bundle[mime]
    assert "tool call: calc" in bundle["text/html"]
    assert_inert(bundle["text/html"])
    assert log.count("comm_close") == log.count("comm_open") == 2


def test_the_widget_closes_even_when_the_swap_fails(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))

    def broken(bundle: dict[str, Any], raw: bool = False) -> None:
        raise KeyboardInterrupt

    displayed[0][1].update = broken
    with pytest.raises(KeyboardInterrupt):
        view.fail(Turn("x", None, {"role": "user", "content": []}))
    assert log.count("comm_close") == log.count("comm_open") == 2


# -- what crosses the wire -------------------------------------------------------------------


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


def prose(words: int, per_delta: int = 3) -> list[str]:
    """Paragraphs of 60 words with inline code and bold, in deltas of `per_delta` words
    (the simulator's split; ~20 characters, as at 100 tokens/s every 50 ms)."""
    vocabulary = "the kernel streams tokens into widgets while pandas reads a frame".split()
    out = []
    for i in range(words):
        word = vocabulary[i % len(vocabulary)]
        word = f"`{word}()`" if i % 17 == 5 else f"**{word}**" if i % 23 == 7 else word
        out.append(word + (".\n\n" if i % 60 == 59 else " "))
    return ["".join(out[i : i + per_delta]) for i in range(0, len(out), per_delta)]


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


def test_4000_deltas_cross_the_wire_about_once(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    """An instant stream: all comm data (the front-end's code included) <= 2x the reply,
    against ~2,000x for a naive per-delta HTML.value."""
    chunks = long_reply(4000)
    reply = "".join(chunks)
    events = stream_events(SSE().text(*chunks))
    log: CommLog = record_comms(monkeypatch)
    view = LiveView(clock=FakeClock())
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    run(view, events)
    view.call_end(call())
    client = live_client(live_messages(log))
    view.finish(turn_of(events), running_cost=0.0)
    ratio = log.bytes / len(reply.encode())
    naive = naive_bytes(chunks, monkeypatch) / len(reply.encode())
    print(f"\n4000 deltas: live view {ratio:.2f}x the reply, naive HTML.value {naive:.0f}x")
    assert ratio <= 2.0
    assert naive > 500 * ratio
    assert client.block_html(0) == render.text_html(reply)  # every piece, rebuilt exactly


def test_paced_stream_is_smooth_and_lean(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    """Prose at 100 tokens/s: a message at least every MAX_DELAY while text arrives, at
    most 25 a second, their payload <= 2x the reply."""
    chunks = prose(900)
    reply = "".join(chunks)
    events = stream_events(SSE().text(*chunks))
    log: CommLog = record_comms(monkeypatch)
    clock = FakeClock()
    view = LiveView(clock=clock)
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    sent_at, seen = [], 0
    feeder = started_feed(view)
    for event in events:
        clock.now += 0.025  # raw + synthesized event per delta: a delta every 50 ms
        feeder.event(event)
        if len(live_messages(log)) > seen:
            seen = len(live_messages(log))
            sent_at.append(clock.now)
    client = live_client(live_messages(log))
    gaps = [b - a for a, b in zip(sent_at, sent_at[1:], strict=False)]
    assert max(gaps) <= MAX_DELAY + 0.05 + 1e-9  # checked as deltas arrive, 50 ms apart
    assert len(sent_at) / clock.now <= 25
    assert log.payload / len(reply.encode()) <= 2.0
    assert client.numbers == list(range(1, len(client.numbers) + 1)) and not client.gap
    assert client.block_html(0) == render.text_html(reply)


def test_text_goes_on_a_clock_in_batches(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    """The first text at once; then a message at most every FLUSH_INTERVAL, a few
    characters waiting for more until MAX_DELAY, and no text held when deltas are slow."""
    log = record_comms(monkeypatch)
    clock = FakeClock()
    view = LiveView(clock=clock)
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    schedule = [(0.01, 2)] * 60 + [(0.03, 20)] * 30 + [(0.2, 3)] * 5  # (delta gap, characters)
    events = stream_events(SSE().text(*("x" * size for _, size in schedule)))
    feeder = started_feed(view)
    sent: list[tuple[float, int]] = []  # (time, deltas arrived) of each message
    late: list[float] = []  # deltas that came MAX_DELAY or more after the last message
    arrived, before = 0, len(live_messages(log))
    for event in events:
        if event.type == "content_block_delta":
            clock.now += schedule[arrived][0]
            arrived += 1
            if sent and clock.now - sent[-1][0] >= MAX_DELAY + 1e-9:
                late.append(clock.now)
        feeder.event(event)
        if event.type == "content_block_delta" and len(live_messages(log)) > before + len(sent):
            sent.append((clock.now, arrived))
    times = [t for t, _ in sent]
    assert sent[0] == (0.01, 1)  # the first text at once
    assert set(late) <= set(times)  # held at most until the first delta after MAX_DELAY
    spacing = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert min(spacing) >= FLUSH_INTERVAL - 1e-9
    tiny = [s for (t, n), s in zip(sent[1:], spacing, strict=False) if n <= 60]
    assert tiny and all(s == pytest.approx(MAX_DELAY, abs=0.011) for s in tiny)  # batched
    medium = [s for (t, n), s in zip(sent[1:], spacing, strict=False) if 62 < n <= 90]
    assert medium and max(medium) <= FLUSH_INTERVAL + 0.03 + 1e-9  # on the 50 ms clock
    assert [n for t, n in sent if n > 90] == list(range(91, 96))  # slow deltas go at once


def test_messages_are_numbered_and_the_state_replays_them(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=True))
    events = stream_events(rich_sse())
    run(view, events)
    view.call_end(call())
    messages = live_messages(log)
    assert [m[0] for m in messages] == list(range(1, len(messages) + 1))
    snapshot = view.widget.get_state()["snapshot"]
    assert snapshot[0] == messages[-1][0]
    late = live_client([snapshot])  # a frontend that asks for the state now
    assert late.html() == live_client(messages).html()
    late.receive(messages[-1])  # a message it already has is ignored
    assert late.html() == live_client(messages).html()
    gap = live_client(messages[:2] + messages[3:])
    assert gap.gap  # a lost message is noticed (the page says so; the final bundle heals)
    opened = [data["state"] for kind, data, _ in log.messages if kind == "comm_open"]
    assert [state["snapshot"] for state in opened if "snapshot" in state] == [[0]]


def test_prefill_is_the_start_of_the_first_text_block(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    log = record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    events = stream_events(SSE().text("**world**."))
    feed(view, events, prefill="Hello ")
    assert "<p>Hello <strong>world</strong>.</p>" in live_client(live_messages(log)).html()
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
    page = live_client(live_messages(log)).html()
    assert "<img" not in page and 'href="https://evil.example/x.png?q=SECRET"' in page
    (bundle,) = displayed[0][1].updates
    assert "<img" not in bundle["text/html"]


def test_streamed_markup_arrives_as_text(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    """Raw deltas are text for the browser: the probe reaches it whole, and everything it
    inserts as HTML is inert."""
    log = record_comms(monkeypatch)
    view = LiveView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    probe = XSS + ' <a href="javascript:x">y</a> ![i](https://evil.example/i.png)'
    run(
        view,
        stream_events(SSE().thinking(probe).text(*probe.split(" ")).tool_use("t", {"q": probe})),
    )
    texts = [op for m in live_messages(log) for op in m[1:] if isinstance(op, str)]
    assert probe in "".join(texts)  # the thinking delta, as it came
    assert_page_inert(log)
    page = live_client(live_messages(log)).html()
    assert html.escape("<script>alert(1)</script>") in page


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
    view.fail(turn)
    (bundle,) = displayed[0][1].updates
    assert "$0.50" in bundle["text/plain"] and "a call failed partway" in bundle["text/plain"]
    assert "interrupted" not in bundle["text/plain"]  # the error below the bundle says why


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


_MD_PARTS = [
    "para text *em* `code` **b** $x$ and $5 or $6\n", "\n", "# head\n", "#", "```", "```py\n",
    "x = a[1:] < 2\n", "~~~\n", "- item\n", "  cont\n", "1. one\n", "2. two\n", "> quote\n",
    "lazy\n", "---\n", "| a | b |\n", "|---|--:|\n", "| 1 | 2 |\n", "$$\n", "E = mc^2\n",
    "    indented\n", "[link](http://x)\n", "\t- tab\n", "* star\n", "\r\n", "<b>x</b> &amp;\n",
    "-", "1", ". ", "`", "``x``\n", "*", " ", "\n\n", "é😀 ", "~~del~~ ", "\\* ",
]  # fmt: skip


def test_streamed_pieces_rebuild_the_full_render(
    monkeypatch: pytest.MonkeyPatch, displayed: list[Any]
) -> None:
    """Whatever the Markdown and wherever the deltas cut it, the page's text block ends up
    exactly as the static output renders it (skeletons expanded over the streamed text)."""
    rng = random.Random(11)
    for _ in range(150):
        text = "".join(rng.choice(_MD_PARTS) for _ in range(rng.randint(1, 40)))
        cuts = sorted(rng.sample(range(1, len(text)), min(len(text) - 1, rng.randint(0, 30))))
        chunks = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        log = record_comms(monkeypatch)
        clock = FakeClock()
        view = LiveView(clock=clock)
        view.begin(ExchangeInfo(chat="x", model="m", offline=False))
        run(view, stream_events(SSE().text(*chunks)), clock, step=0.03)
        page = live_client(live_messages(log)).block_html(0)
        assert page == render.text_html(text), text
        assert not re.search(r"cm-tail", page)


def test_the_widgets_plain_text_says_what_it_is() -> None:
    """Frontends without widgets (jupyter console, an untrusted or mid-stream-saved notebook)
    show the widget's text/plain: a sentence, not `<...ReplyWidget object at 0x7f...>`."""
    data, _ = LiveView().widget._repr_mimebundle_()
    plain = data["text/plain"]
    assert "object at 0x" not in plain
    assert "streaming" in plain and "replaces" in plain
