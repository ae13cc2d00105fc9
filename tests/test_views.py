"""Views: render.py, TextView, static bundles and the live widget view, fed real SDK events."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from claude_magic.protocol import ExchangeInfo, ToolOutcome
from claude_magic.turn import TURN_MIME, CallRecord, Turn
from claude_magic.views import make_view, render
from claude_magic.views.static import failed_bundle, static_bundle
from claude_magic.views.text import TextView
from tests.views_helpers import SSE, feed, started_feed, stream_events

XSS = "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"


def call(stop_reason: str = "end_turn", cost: float = 0.0123, **usage: int) -> CallRecord:
    return CallRecord(
        model="claude-sonnet-5-5",
        usage={"input_tokens": 25, "output_tokens": 15, **usage},
        stop_reason=stop_reason,
        request_id="req_1",
        started_at="2026-11-22T10:00:00Z",
        ttft_s=0.41,
        total_s=1.25,
        offline=False,
        cost_usd=cost,
    )


def turn_of(events: list[Any], *calls: CallRecord, extra: list[dict] | None = None) -> Turn:
    final = events[-1].message
    blocks = [render.block_dict(b) for b in final.content]
    return Turn(
        chat="default",
        cell_id="c1",
        user={"role": "user", "content": [{"type": "text", "text": "hi"}]},
        replies=[{"role": "assistant", "content": blocks}, *(extra or [])],
        calls=list(calls) or [call()],
        model="claude-sonnet-5-5",
    )


def rich_sse(stop_reason: str = "end_turn") -> SSE:
    return (
        SSE(stop_reason=stop_reason)
        .thinking("Let me ", "think <b>hard</b>")
        .text("Hello **world** ", XSS)
        .tool_use("calc", {"expr": "1<2"})
        .tool_use("web_search", {"query": "q"}, server=True)
        .block(
            {
                "type": "web_search_tool_result",
                "tool_use_id": "toolu_3",
                "content": [
                    {
                        "type": "web_search_result",
                        "title": "T",
                        "url": "http://x",
                        "encrypted_content": "zzz",
                        "page_age": None,
                    }
                ],
            }
        )
        .block({"type": "fancy_new_block", "data": {"a": "<script>"}})
    )


def assert_inert(html: str) -> None:
    assert "<script" not in html.lower()
    assert not re.search(r"<[^>]*\sonerror\s*=", html, re.I)
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.I)


# -- render.py -----------------------------------------------------------------------------


def test_markdown_to_html_is_safe_and_renders_markdown() -> None:
    out = render.markdown_to_html("**bold** " + XSS + " <javascript:alert(1)>")
    assert "<strong>bold</strong>" in out
    assert_inert(out)


GFM_SAMPLE = r"""| method | time (ms) |
|:--|--:|
| `apply` | 412.0 |

```python
def scale(x: float) -> float:
    return x * 0.5  # half
```

The cost grows as $0.1\,N$ and $$\frac{1}{N}$$, while a run costs $5 and $10 today.
"""


def test_gfm_tables_strikethrough_and_task_lists() -> None:
    out = render.markdown_to_html(GFM_SAMPLE + "\n~~old~~\n\n- [x] done\n")
    assert "<table>" in out and '<th style="text-align:right">time (ms)</th>' in out
    assert "<td><code>apply</code></td>" in out.replace(' style="text-align:left"', "")
    assert "<s>old</s>" in out
    assert 'type="checkbox"' in out and "disabled" in out  # a task list box, never editable


def test_code_is_highlighted_with_theme_colours() -> None:
    out = render.markdown_to_html(GFM_SAMPLE)
    code = re.search(r'<pre class="cm-code"><code class="language-python">(.*?)</code>', out, re.S)
    assert code, out
    assert "<span class=cm-k>def </span><span class=cm-f>scale</span>" in code.group(1)
    assert "<span class=cm-c># half" in code.group(1)
    assert html_unescape(re.sub(r"<[^>]+>", "", code.group(1))) == (
        "def scale(x: float) -> float:\n    return x * 0.5  # half\n"
    )
    css = render.reply_css()
    for cls in ("k", "f", "c", "s", "n"):
        assert re.search(rf"\.cm-{cls}\b[^{{]*{{[^}}]*var\(--jp-mirror-editor-", css), cls
    plain = render.markdown_to_html("```\n<b>x</b>\n```\n```nosuchlang\nx\n```\n")
    assert plain.count('<pre class="cm-code">') == 2 and "&lt;b&gt;" in plain


def test_math_is_kept_for_mathjax_and_currency_is_not_math() -> None:
    out = render.text_html(GFM_SAMPLE)
    assert out.startswith('<div class="cm-text mathjax_ignore tex2jax_ignore">')
    math = re.findall(rf'<(span|div) class="{render.MATH}">(.*?)</\1>', out)
    assert [m[1] for m in math] == [r"\(0.1\,N\)", r"\[\frac{1}{N}\]"]
    assert "a run costs $5 and $10 today." in out  # outside any math span, in ignored text
    for text in ("$5-$10", "between $ 5 and 6 $", "costs $5, and $6."):
        assert "cm-math" not in render.markdown_to_html(text), text
    assert "&lt;" in render.markdown_to_html("$a<b$")  # TeX is escaped like any text


def test_markdown_to_html_is_safe() -> None:
    out = render.markdown_to_html(
        "**bold** " + XSS + " <javascript:alert(1)> [a](JAVASCRIPT:alert(1)) www.example.com"
    )
    assert "<strong>bold</strong>" in out and '<a href="http://www.example.com">' in out
    assert_inert(out)
    assert_inert(render.markdown_to_html("$<script>alert(1)</script>$"))
    assert_inert(render.markdown_to_html("```<script>\n<script>alert(1)</script>\n```"))


def test_skeleton_rebuilds_the_html_from_the_source() -> None:
    """A piece goes to the browser as its HTML with the text runs replaced by copy/skip
    marks over the streamed text (counted in UTF-16 units, as JavaScript counts)."""
    from claude_magic.views import markup

    text = GFM_SAMPLE + "\nÉmoji 😀 **b** & `<a>` \\* x [l](http://x/?a=1&b=2)\n\n- 😀 item\n"
    html = render.markdown_to_html(text)
    skeleton = markup.skeleton(html, text)
    rebuilt, end = markup.expand(skeleton, text)
    assert html_unescape(rebuilt) == html_unescape(html)
    assert end == markup.units(text) == len(text) + 2  # two emoji: two units each
    assert len(skeleton) < len(html)
    assert "<strong>" in skeleton and "Émoji" not in skeleton and "a run costs" not in skeleton


def test_a_skeleton_over_the_wrong_text_stays_inert() -> None:
    """If the browser's copy of the text differs (a lost message), the piece is wrong but
    what the skeleton copies is escaped: nothing from the text becomes markup."""
    from claude_magic.views import markup

    text = "Hello **world** and `code` here.\n\n"
    skeleton = markup.skeleton(render.markdown_to_html(text), text)
    for other in (XSS * 3, "<", "a" * 5):
        rebuilt, _ = markup.expand(skeleton, other)
        assert_inert(rebuilt)
        assert "<script" not in rebuilt and "<img" not in rebuilt


def html_unescape(text: str) -> str:
    import html

    return html.unescape(text)


def test_block_html_covers_every_block_type() -> None:
    assert "<summary>Thinking</summary>" in render.block_html(
        {"type": "thinking", "thinking": "a <b>", "signature": "s"}
    )
    hidden = render.block_html({"type": "thinking", "thinking": "", "signature": "s"})
    assert "display: omitted" in hidden
    assert "redacted" in render.block_html({"type": "redacted_thinking", "data": "zz"})
    tool = render.block_html({"type": "tool_use", "id": "t", "name": "calc", "input": {"a": "<"}})
    assert "calc" in tool and "&lt;" in tool
    err = render.block_html(
        {"type": "tool_result", "tool_use_id": "t", "content": "boom", "is_error": True}, "calc"
    )
    assert "--jp-error-color1" in err and "tool error: calc" in err
    secret = {"type": "web_search_tool_result", "content": [{"encrypted_content": "zzzz"}]}
    assert "zzzz" not in render.block_html(secret)
    weird = render.block_html({"type": "from_the_future", "x": "<script>"})
    assert "from_the_future" in weird
    assert_inert(weird)
    assert "unknown" in render.block_html({})  # no type at all still renders


def test_footer_totals_flags_and_offline_badge() -> None:
    calls = [call("tool_use", cache_read_input_tokens=100), call("max_tokens", cost=math.nan)]
    text = render.footer_text(calls, offline=True, running_cost=0.5)
    assert text.startswith("[offline simulator] · 2 calls · claude-sonnet-5-5 · in 50 · out 30")
    assert "cache read 100" in text and "cost n/a" in text and "chat total $0.50" in text
    assert "first token 0.41 s" in text and "total 2.50 s" in text
    assert "reply cut off at max_tokens — raise --max-tokens" in text
    html = render.footer_html([call("refusal")], offline=True, running_cost=None)
    assert "offline simulator" in html and "refused" in html and "&#36;0.012" in html


# -- TextView ------------------------------------------------------------------------------


def test_text_view_prints_stream_tools_and_footer(capsys: pytest.CaptureFixture[str]) -> None:
    events = stream_events(rich_sse())
    view = TextView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=True, dropped_turns=2))
    feed(view, events)
    view.call_end(call())
    view.tool_result(ToolOutcome("toolu_2", "calc", {}, "oops", True, 0.1))
    view.finish(turn_of(events), running_cost=1.0)
    out = capsys.readouterr().out
    assert out.startswith(
        "(re-run: replaces this cell's earlier turn; 2 later turns of chat 'x' will be dropped)\n"
    )
    assert "[thinking]\n│ Let me think <b>hard</b>\n" in out
    assert "Hello **world** <script>" in out  # a terminal runs no HTML
    assert '[tool_use calc] {"expr": "1<2"}' in out
    assert "[tool_error calc] oops" in out
    assert "[fancy_new_block]" in out
    assert out.rstrip().endswith("chat total $1.00")


def test_text_view_hidden_thinking_and_fail(capsys: pytest.CaptureFixture[str]) -> None:
    view = TextView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    feed(view, stream_events(SSE().thinking("").text("partial")))
    view.fail(Turn("x", None, {}, replies=[{"role": "assistant", "content": []}]))
    out = capsys.readouterr().out
    assert "thinking hidden (display: omitted) — use --thinking to show a summary\n\npartial" in out
    assert out.endswith("partial\n✗ Not added to the chat: the error below says why.\n")


def test_text_view_failure_before_any_call_prints_nothing(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """An error before the first call (unknown model, no key) is the error alone: no lone
    "[offline simulator]" badge line above it."""
    view = TextView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=True))
    view.fail(Turn("x", None, {}))
    assert capsys.readouterr().out == ""


def test_text_view_failed_rerun_says_the_chat_keeps_the_cells_turn(
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = TextView()
    kept = Turn("x", "c1", {"role": "user", "content": "hi"})
    view.begin(ExchangeInfo(chat="x", model="m", offline=False, kept=kept))
    feed(view, stream_events(SSE().text("partial")))
    view.fail(Turn("x", "c1", {}, replies=[{"role": "assistant", "content": []}]))
    assert capsys.readouterr().out.endswith(
        "partial\n✗ Not added to the chat, which keeps this cell's earlier turn: the error "
        "below says why.\n"
    )


def test_plain_text_tool_input_keeps_non_ascii_readable() -> None:
    block = {"type": "tool_use", "id": "t1", "name": "weather", "input": {"city": "Zürich 🌧"}}
    assert render.block_text(block) == '[tool_use weather] {"city": "Zürich 🌧"}'


def test_text_view_never_imports_ipywidgets() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from claude_magic.views import make_view; v = make_view(); "
        "print(type(v).__name__, 'ipywidgets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["TextView", "False"]


# -- static bundle -------------------------------------------------------------------------


def test_static_bundle_has_three_mimetypes_and_round_trips() -> None:
    events = stream_events(rich_sse())
    turn = turn_of(events)
    bundle = static_bundle(turn, offline=True, running_cost=0.2, notes=["(re-run: dropped 1)"])
    assert set(bundle) == {"text/plain", "text/html", TURN_MIME}
    assert Turn.from_record(json.loads(json.dumps(bundle[TURN_MIME]))) == turn
    assert_inert(bundle["text/html"])
    html = bundle["text/html"]
    assert "offline simulator" in html
    assert html.startswith('<div class="cm-turn">') and "<summary>Thinking</summary>" in html
    assert "tool call: calc" in html and "server_tool_use: web_search" in html
    assert "web_search_tool_result" in html and "fancy_new_block" in html
    assert "<strong>world</strong>" in html and "<style>" not in html  # no code: no styles
    assert "Hello **world**" in bundle["text/plain"] and "in 25 · out 15" in bundle["text/plain"]


def test_static_bundle_of_a_rich_reply() -> None:
    """The issue's reply: a table, highlighted Python and `$0.1\\,N$` (backslash intact),
    currency as text, the code colours' stylesheet once."""
    turn = turn_of(stream_events(SSE().text(GFM_SAMPLE)))
    html = static_bundle(turn, offline=False, running_cost=None)["text/html"]
    assert "<table>" in html and "<span class=cm-k>def </span>" in html
    assert r"\(0.1\,N\)" in html and "costs $5 and $10 today" in html
    style = re.search(r"<style>(.*?)</style>", html, re.S)
    assert html.count("<style>") == 1 and style
    assert ".cm-k{" in style.group(1) and ".cm-f{" in style.group(1)  # the colours it uses...
    assert ".cm-live" not in style.group(1) and ".cm-t{" not in style.group(1)  # ...only


def test_static_bundle_flags_max_tokens_and_names_tool_results() -> None:
    events = stream_events(SSE(stop_reason="tool_use").tool_use("calc", {"a": 1}))
    result = {"type": "tool_result", "tool_use_id": "toolu_0", "content": "42", "is_error": False}
    turn = turn_of(
        events,
        call("tool_use"),
        call("max_tokens"),
        extra=[
            {"role": "user", "content": [result]},
            {"role": "assistant", "content": [{"type": "text", "text": "It is 42"}]},
        ],
    )
    bundle = static_bundle(turn, offline=False, running_cost=None)
    for mime in ("text/plain", "text/html"):
        assert "raise --max-tokens" in bundle[mime]
    assert "tool result: calc" in bundle["text/html"]
    assert "[tool_result calc] 42" in bundle["text/plain"]


def test_failed_bundle_keeps_partial_reply_and_has_no_record() -> None:
    turn = turn_of(stream_events(SSE().text("half an ans")))
    bundle = failed_bundle(turn, offline=False)
    assert set(bundle) == {"text/plain", "text/html"}
    for mime in bundle:
        assert "half an ans" in bundle[mime] and "Not added to the chat" in bundle[mime]
    nothing = Turn("x", None, {"role": "user", "content": []})
    assert failed_bundle(nothing, offline=True) == {"text/plain": ""}  # the error says it all


# -- make_view -----------------------------------------------------------------------------


def test_make_view_kinds() -> None:
    from claude_magic.views.live import LiveView

    assert isinstance(make_view("text"), TextView)
    assert isinstance(make_view("live"), LiveView)
    assert isinstance(make_view(), TextView)  # no kernel here
    with pytest.raises(ValueError):
        make_view("fancy")


def test_offline_simulator_events_drive_the_text_view(capsys: pytest.CaptureFixture[str]) -> None:
    offline = pytest.importorskip("claude_magic.offline")
    sim = offline.Simulator()
    sim.script("Hello from the simulator")
    client = sim.client()
    view = TextView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=True))
    messages = [{"role": "user", "content": "hi"}]
    with client.messages.stream(model="claude-sonnet-5-5", max_tokens=1000, messages=messages) as s:
        feed(view, s)
    assert "Hello from the simulator" in capsys.readouterr().out


# -- incremental Markdown (live view) ------------------------------------------------------

_MD_PARTS = [
    "para text *em* `code` **b**\n", "\n", "# head\n", "#", "```", "```py\n", "x = a[1:]\n",
    "~~~\n", "- item\n", "  cont\n", "1. one\n", "2. two\n", "> quote\n", "lazy\n", "---\n",
    "***\n", "===\n", "    indented\n", "[foo]\n", "[link](http://x)\n", "\t- tab\n", "* star\n",
    "\r\n", "\r", "<b>x</b>\n", "-", "1", ". ", "`", "``x``\n", "*", " ", "\n\n",
    "| a | b |\n", "|---|--:|\n", "| 1 | 2 |\n", "$x$ and $5 or $6\n",
]  # fmt: skip


@pytest.mark.parametrize("references", [False, True])
def test_markdown_stream_final_equals_a_full_render(
    references: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import random

    full_render = render.text_html
    full_renders: list[str] = []
    monkeypatch.setattr(render, "text_html", lambda t: full_renders.append(t) or full_render(t))
    rng = random.Random(5)
    parts = [*_MD_PARTS, "[foo]: /url\n"] if references else _MD_PARTS
    reused = 0
    for _ in range(400):
        text = "".join(rng.choice(parts) for _ in range(rng.randint(1, 60)))
        stream = render.MarkdownStream()
        pos = 0
        while pos < len(text):
            pos = min(len(text), pos + rng.randint(1, 30))
            stream.update(text[:pos])
        assert stream.final(text) == full_render(text)
        pieces = stream.pieces()
        assert [p[0] for p in pieces] == sorted({p[0] for p in pieces})  # contiguous, in order
        assert all(a[1] == b[0] for a, b in zip(pieces, pieces[1:], strict=False))
        reused += bool(stream.done)
    assert reused > 200  # finished blocks were really rendered apart
    if not references:
        # Without reference definitions the pieces are reused, but for the rare table whose
        # header line looked like the end of the block before it until its delimiter row came.
        assert len(full_renders) <= 4


# -- review fixes: --no-stream order, prefill, images, flush rate, re-run note --------------


def _add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def _no_stream_exchange(view: Any, **kwargs: Any) -> Any:
    from claude_magic.chat import Chat
    from claude_magic.exchange import Exchange
    from claude_magic.offline import Simulator
    from claude_magic.request import RequestOptions, user_message
    from claude_magic.tools import tool_set

    options = RequestOptions(
        model="claude-sonnet-4-6", max_tokens=1000, tools=tool_set(["add"], [], {"add": _add})
    )
    return Exchange(
        client=Simulator().client(),
        chat=Chat("x"),
        user=user_message("Please add 2 and 40 with add"),
        options=options,
        view=view,
        offline=True,
        stream=False,
        **kwargs,
    )


def _order(out: str, *needles: str) -> list[int]:
    return [out.index(needle) for needle in needles]


def test_no_stream_tool_loop_prints_in_order(capsys: pytest.CaptureFixture[str]) -> None:
    _no_stream_exchange(TextView()).run()
    out = capsys.readouterr().out
    at = _order(out, "I'll call `add`", '[tool_use add] {"a": 2, "b": 40}', "[tool_result add] 42")
    assert at == sorted(at)
    assert at[2] < out.index("I received 1 tool result") < out.index("chat total")
    assert out.count("[tool_result add] 42") == 1


def test_no_stream_failure_prints_what_arrived_in_order(capsys: pytest.CaptureFixture[str]):
    from claude_magic.errors import ExchangeFailed

    with pytest.raises(ExchangeFailed, match="Stopped after 1 API call "):
        _no_stream_exchange(TextView(), max_iterations=1).run()
    out = capsys.readouterr().out
    at = _order(out, "[tool_use add]", "· tool_use\n", "Not added")
    assert at == sorted(at)
    assert "[tool_result" not in out  # no call was left to send it: the tool was not run


def test_no_stream_tool_loop_through_the_magic(ipython, capsys: pytest.CaptureFixture[str]):
    ipython.run_cell("def add(a: int, b: int) -> int:\n    'Add two integers.'\n    return a + b\n")
    capsys.readouterr()
    ipython.run_cell_magic("claude", "--no-stream --tools add", "Please add 2 and 40 with add")
    out = capsys.readouterr().out
    at = _order(out, "[tool_use add]", "[tool_result add] 42", "I received 1 tool result")
    assert at == sorted(at)


def test_text_view_shows_the_prefill_before_the_first_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    view = TextView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    first = SSE(stop_reason="tool_use").text("world", ".").tool_use("t", {})
    feeder = feed(view, stream_events(first), prefill="Hello ")
    feeder.start_call()  # a later call: no prefill
    for event in stream_events(SSE().text("Second call.")):
        feeder.event(event)
    out = capsys.readouterr().out
    assert out.startswith("Hello world.\n[tool_use t]")
    assert out.count("Hello") == 1 and "Second call." in out


def test_text_view_prefill_of_a_first_call_without_text(capsys: pytest.CaptureFixture[str]):
    view = TextView()
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    feed(view, stream_events(SSE(stop_reason="tool_use").tool_use("t", {})), prefill="{")
    assert capsys.readouterr().out.endswith("[tool_use t] {}\n{")


IMAGE = (
    "See ![p](https://evil.example/x.png?q=SECRET) and ![r][ref].\n\n"
    "[ref]: https://evil.example/r.png\n"
)


def test_markdown_images_never_load() -> None:
    html = render.markdown_to_html(IMAGE)
    assert "<img" not in html
    assert '!<a href="https://evil.example/x.png?q=SECRET">p</a>' in html
    assert '!<a href="https://evil.example/r.png">r</a>' in html
    stream = render.MarkdownStream()
    for end in range(1, len(IMAGE) + 1, 7):
        stream.update(IMAGE[:end])
        assert "<img" not in stream.html(0)
    assert stream.final(IMAGE) == render.text_html(IMAGE)


def test_static_bundle_has_no_images() -> None:
    turn = turn_of(stream_events(SSE().text(IMAGE)))
    bundle = static_bundle(turn, offline=False, running_cost=None)
    assert "<img" not in bundle["text/html"]
    assert "https://evil.example/x.png?q=SECRET" in bundle["text/html"]


class CountingStream:
    def __init__(self) -> None:
        self.text = ""
        self.flushes = 0

    def write(self, text: str) -> int:
        self.text += text
        return len(text)

    def flush(self) -> None:
        self.flushes += 1


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_text_view_flushes_on_a_clock_not_per_delta() -> None:
    out, clock = CountingStream(), FakeClock()
    view = TextView(out, clock=clock)
    view.begin(ExchangeInfo(chat="x", model="m", offline=False))
    chunks = ["tok "] * 1000
    events = stream_events(SSE().text(*chunks))
    flushed_at: list[int] = []
    feeder = started_feed(view)
    for event in events:
        if event.type == "content_block_delta":
            clock.now += 0.001  # 1000 deltas/s
        feeder.event(event)
        if event.type == "content_block_delta" and not flushed_at:
            flushed_at.append(out.flushes)
    assert flushed_at == [1]  # the first token shows at once
    streamed = out.flushes
    assert 18 <= streamed <= 1 / 0.05 + 3  # ~one flush per 50 ms, not 1000
    view.finish(turn_of(events), running_cost=0.0)
    assert out.text.startswith("tok " * 1000)
    assert out.flushes > streamed and out.text.endswith("end_turn · chat total $0\n")


def test_text_view_flushes_lines_and_block_ends_at_once() -> None:
    out = CountingStream()
    view = TextView(out, clock=FakeClock())  # the clock never advances
    flushes = {}
    feeder = started_feed(view)
    for event in stream_events(SSE().text("a", "b\n", "c", "d").tool_use("t", {})):
        feeder.event(event)
        if event.type == "content_block_delta" and event.delta.type == "text_delta":
            flushes[event.delta.text] = out.flushes
        elif event.type == "content_block_stop" and event.content_block.type == "text":
            flushes["stop"] = out.flushes
    # "a" shows at once, "b\n" ends a line, "c" and "d" wait until the block ends
    assert flushes == {"a": 1, "b\n": 2, "c": 2, "d": 2, "stop": 3}
    assert out.text == "ab\ncd\n[tool_use t] {}\n"


def test_rerun_note_says_what_will_happen() -> None:
    assert render.begin_notes(ExchangeInfo(chat="x", model="m", offline=False)) == []
    info = ExchangeInfo(chat="tutor", model="m", offline=False, dropped_turns=3)
    assert render.begin_notes(info) == [
        "(re-run: replaces this cell's earlier turn; 3 later turns of chat 'tutor' will be dropped)"
    ]
    (after,) = render.final_notes(info)
    assert "dropped 3 later turns of chat 'tutor'" in after
    one = ExchangeInfo(chat="t", model="m", offline=False, dropped_turns=1, moved_from="old")
    assert "1 later turn of chat 't'" in render.begin_notes(one)[1]
    assert "moved from chat 'old'" in render.final_notes(one)[0]


def test_new_note_says_the_chat_starts_over() -> None:
    info = ExchangeInfo(chat="tutor", model="m", offline=False, reset_turns=3)
    assert render.begin_notes(info) == [
        "(--new: chat 'tutor' starts over; its 3 turns are dropped when this reply completes)"
    ]
    assert render.final_notes(info) == ["(--new: chat 'tutor' started over; dropped its 3 turns)"]
    one = ExchangeInfo(chat="t", model="m", offline=False, reset_turns=1)
    assert "its 1 turn is dropped" in render.begin_notes(one)[0]


def test_reply_blocks_names_tool_results() -> None:
    replies = [
        {"role": "assistant", "content": [{"type": "tool_use", "id": "t1", "name": "add"}]},
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1"}]},
        {"role": "assistant", "content": "plain"},
    ]
    assert [name for _, name in render.reply_blocks(replies)] == [None, "add", None]
    assert list(render.reply_blocks(replies))[2][0] == {"type": "text", "text": "plain"}


def test_a_cost_no_api_billed_says_so_in_the_footer():
    """A student must not read the simulator's or a recording's cost as money spent."""
    import dataclasses

    billed = call()
    simulated = dataclasses.replace(billed, offline=True)
    replayed = dataclasses.replace(billed, offline=True, replayed=True)
    assert "$0.012 · first token" in render.footer_text([billed], offline=False, running_cost=None)
    text = render.footer_text([simulated], offline=True, running_cost=None)
    assert "$0.012 if sent to the API ·" in text
    text = render.footer_text([replayed], offline=True, running_cost=None)
    assert text.startswith("[replayed from a recording]")
    assert "$0.012 as recorded, not billed" in text
    assert "not billed" in render.footer_html([replayed], offline=True, running_cost=None)
