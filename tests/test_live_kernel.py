"""What a frontend receives from `%%claude` in the default live view, on a real kernel.

The kernel is driven like JupyterLab (execute_request with `cellId`), so the iopub messages
collected per cell are exactly what JupyterLab's widget manager and output area would get:
one anywidget's comm (and its layout's), numbered messages while the reply streams, then
one `update_display_data` swapping the widget for the static bundle, then `comm_close`.
`LiveClient` (tests/views_helpers.py) decodes the messages as the browser does.
"""

from __future__ import annotations

import html
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from claude_magic.turn import TURN_MIME
from tests.kernel import CellResult, Kernel
from tests.views_helpers import LiveClient, live_client

pytest.importorskip("anywidget")

SETUP = "%load_ext claude_magic\nimport claude_magic, json, os"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STATIC_MIMES = {"text/plain", "text/html", TURN_MIME}
XSS = "<script>alert(1)</script> <img src=x onerror=alert(1)> [x](javascript:alert(1))"

# ~1,000 characters in several paragraphs: ~250 output tokens, about 1 s at 250 tok/s.
SLOW_RATE = 250
SLOW_TEXT = "\n\n".join(
    f"Paragraph {n}: " + " ".join(f"word{n}x{i}" for i in range(18)) for n in range(8)
)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(cwd=str(tmp_path_factory.mktemp("live")))
    result = k.run(SETUP)
    assert result.error is None, result.error_text
    warm = k.run("%%claude\nwarm up")  # imports the SDK and anywidget once (~2 s)
    assert warm.error is None, warm.error_text
    yield k
    k.close()


@pytest.fixture(autouse=True)
def fresh_session(kernel):
    """A new session (chats, ledger, simulator) per test; instant streaming."""
    result = kernel.run(
        "from claude_magic import session as _s; _s._current = None\n"
        "os.environ['CLAUDE_MAGIC_OFFLINE_TOKEN_RATE'] = '0'"
    )
    assert result.error is None, result.error_text


@contextmanager
def real_time(kernel: Kernel, rate: float) -> Iterator[None]:
    """Stream at `rate` tokens/s (the harness's env var would win over %config)."""
    kernel.run(
        "os.environ.pop('CLAUDE_MAGIC_OFFLINE_TOKEN_RATE', None)\n"
        f"%config ClaudeMagics.offline_token_rate = {rate}"
    )
    try:
        yield
    finally:
        kernel.run(
            "os.environ['CLAUDE_MAGIC_OFFLINE_TOKEN_RATE'] = '0'\n"
            "%config ClaudeMagics.offline_token_rate = 0"
        )


def script(kernel: Kernel, reply: Any) -> None:
    result = kernel.run(f"claude_magic.simulator().script(json.loads({json.dumps(reply)!r}))")
    assert result.error is None, result.error_text


def display_id(cell: CellResult) -> str:
    first = cell.of_type("display_data")[0]["content"]
    return first["transient"]["display_id"]


def final_bundle(cell: CellResult) -> dict[str, Any]:
    """The data the cell's live display ends with (its last update_display_data)."""
    did = display_id(cell)
    updates = [
        m["content"]["data"]
        for m in cell.of_type("update_display_data")
        if m["content"]["transient"]["display_id"] == did
    ]
    assert updates, "the live view was never replaced"
    return updates[-1]


def live_messages(cell: CellResult) -> list[list[Any]]:
    """The live view's messages of the cell (custom comm messages), in order."""
    return [
        m["content"]["data"]["content"]
        for m in cell.of_type("comm_msg")
        if m["content"]["data"].get("method") == "custom"
    ]


def live_page(cell: CellResult) -> LiveClient:
    """The live view as the browser built it from the cell's messages."""
    return live_client(live_messages(cell))


def assert_inert(fragment: str) -> None:
    assert "<script" not in fragment.lower(), fragment
    assert not re.search(r"<[^>]*\sonerror\s*=", fragment, re.I), fragment
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", fragment, re.I), fragment


def ran(cell: CellResult) -> CellResult:
    assert cell.error is None, cell.error_text
    return cell


# -- streaming, then the static bundle ----------------------------------------------------


@pytest.fixture(scope="module")
def streamed(kernel) -> tuple[CellResult, list[dict[str, Any]], float]:
    """One real-time cell (~1 s): its iopub messages, the chat's last turn, its duration."""
    kernel.run("from claude_magic import session as _s; _s._current = None")
    script(kernel, SLOW_TEXT)
    with real_time(kernel, SLOW_RATE):
        start = time.monotonic()
        cell = ran(kernel.run("%%claude\nTell me a long story", cell_id="slow-1"))
        seconds = time.monotonic() - start
    last = kernel.value("claude_magic.get_chat().turns[-1].messages")
    return cell, last, seconds


def test_the_widget_streams_before_the_final_update(streamed):
    cell, _, seconds = streamed
    assert 0.5 < seconds < 2.5, seconds  # really streamed in real time, and stayed cheap
    first_display = cell.of_type("display_data")[0]["content"]["data"]
    assert WIDGET_VIEW in first_display
    opens = cell.of_type("comm_open")
    assert all(m["content"]["target_name"] == "jupyter.widget" for m in opens)
    models = [m["content"]["data"]["state"]["_model_name"] for m in opens]
    assert sorted(models) == ["AnyModel", "LayoutModel"]  # one widget for the whole reply
    kinds = [m["msg_type"] for m in cell.messages]
    final_at = kinds.index("update_display_data")
    before = [
        m
        for m in cell.messages[:final_at]
        if m["msg_type"] == "comm_msg" and "word" in json.dumps(m["content"]["data"])
    ]
    assert len(before) >= 5, len(before)  # the text grew on screen, message by message
    numbers = [m["content"]["data"]["content"][0] for m in before]
    assert numbers == sorted(numbers)
    # ...spread over the stream, not sent in one burst at the end
    first, last = before[0]["header"]["date"], cell.messages[final_at]["header"]["date"]
    assert (last - first).total_seconds() > 0.3
    gaps = [
        (b["header"]["date"] - a["header"]["date"]).total_seconds()
        for a, b in zip(before, before[1:], strict=False)
    ]
    assert max(gaps) < 0.5, gaps
    page = live_page(cell)
    assert "word7x17" in page.html() and not page.gap
    assert "<p>Paragraph 0: word0x0" in page.html()  # finished paragraphs were formatted


def test_static_bundle_replaces_the_widget_and_holds_the_turn(streamed):
    cell, last_turn, _ = streamed
    bundle = final_bundle(cell)
    assert set(bundle) == STATIC_MIMES
    record = bundle[TURN_MIME]
    assert record["cell_id"] == "slow-1"
    assert [record["user"], *record["replies"]] == last_turn
    assert "word7x17" in bundle["text/plain"]
    assert "word7x17" in bundle["text/html"]
    # the page the live view built is the final HTML's text block, piece for piece
    text_block = re.search(r'<div class="cm-text[^"]*">.*?</div>', bundle["text/html"], re.S)
    assert text_block and live_page(cell).block_html(0) == text_block.group(0)
    # every comm opened for the cell was closed, after the static bundle went out
    opened = {m["content"]["comm_id"] for m in cell.of_type("comm_open")}
    closed = {m["content"]["comm_id"] for m in cell.of_type("comm_close")}
    assert opened and opened == closed
    kinds = [m["msg_type"] for m in cell.messages]
    assert kinds.index("comm_close") > kinds.index("update_display_data")
    assert kinds.count("update_display_data") == 1


# -- untrusted model text ----------------------------------------------------------------


def test_xss_probe_is_inert_in_every_message(kernel):
    script(kernel, f"Here you go: {XSS}\n\nand again **bold** {XSS}")
    cell = ran(kernel.run("%%claude\nShow me HTML", cell_id="xss"))
    page = live_page(cell)
    assert "alert(1)" in page.html()  # the probe reached the browser...
    for fragment in page.inserted:
        assert_inert(fragment)  # ...and all it inserts as HTML is inert
    assert html.escape("<script>") in page.html()
    displays = cell.of_type("display_data", "update_display_data", "execute_result")
    assert displays
    for m in displays:
        data = m["content"]["data"]
        assert "text/markdown" not in data
        if "text/html" in data:
            assert_inert(data["text/html"])
    bundle = final_bundle(cell)
    assert "alert(1)" in bundle["text/html"]
    assert html.escape("<script>") in bundle["text/html"]
    # the record keeps the reply exactly as the API returned it (it is data, never rendered)
    assert XSS in bundle[TURN_MIME]["replies"][0]["content"][0]["text"]


# -- thinking and tools ---------------------------------------------------------------------


def test_thinking_section_live_and_final(kernel):
    cell = ran(kernel.run("%%claude --thinking\nThink about tea", cell_id="think"))
    live = live_page(cell)
    messages = kernel.value("claude_magic.get_chat().messages")
    thinking = [b for b in messages[1]["content"] if b["type"] == "thinking"][0]["thinking"]
    assert thinking
    final_html = final_bundle(cell)["text/html"]
    details = re.search(r"<details[^>]*>.*?</details>", final_html, re.S)
    assert details and "<summary>Thinking</summary>" in details.group(0)
    assert html.escape(thinking.splitlines()[0]) in details.group(0)
    assert live.block_html(0) == details.group(0)  # the same open box, live and final


TOOLS = '''
def add_numbers(a: int, b: int) -> int:
    """Add two integers."""
    return a + b

def explode(reason: str) -> str:
    """Always fails."""
    raise ValueError("kaboom: " + reason)
'''


def card_body(fragment: str, title: str) -> str:
    """The unescaped <pre> text of the card whose title starts with `title`."""
    found = re.search(re.escape(title) + r"[^<]*</b><pre[^>]*>(.*?)</pre>", fragment, re.S)
    assert found, f"no card {title!r} in {fragment}"
    return html.unescape(found.group(1))


def test_tool_card_shows_name_input_and_result(kernel):
    ran(kernel.run(TOOLS))
    cell = ran(kernel.run("%%claude --tools add_numbers\nUse add_numbers on 2 and 3", "tool"))
    messages = kernel.value("claude_magic.get_chat().messages")
    use = [b for b in messages[1]["content"] if b["type"] == "tool_use"][0]
    result = messages[2]["content"][0]
    assert use["name"] == "add_numbers" and result["type"] == "tool_result"
    assert not result.get("is_error")
    final_html = final_bundle(cell)["text/html"]
    shown_input = card_body(final_html, "tool call: add_numbers")
    assert json.loads(shown_input) == use["input"]
    assert sorted(use["input"]) == ["a", "b"]
    shown_result = card_body(final_html, "tool result: add_numbers")
    assert shown_result == str(use["input"]["a"] + use["input"]["b"])
    assert messages[-1]["role"] == "assistant"  # the loop went on after the tool


def test_failing_tool_shows_error_card_and_chat_completes(kernel):
    ran(kernel.run(TOOLS))
    cell = ran(kernel.run("%%claude --tools explode\nPlease call explode now", "boom"))
    messages = kernel.value("claude_magic.get_chat().messages")
    result = messages[2]["content"][0]
    assert result["type"] == "tool_result" and result["is_error"] is True
    assert "kaboom" in json.dumps(result["content"])
    assert messages[-1]["role"] == "assistant" and len(messages) == 4
    final = final_bundle(cell)
    assert "tool error: explode" in final["text/html"] and "kaboom" in final["text/html"]
    assert TURN_MIME in final
    # the error card was shown live too, before the static bundle
    assert "tool error: explode" in live_page(cell).html()


# -- failures ---------------------------------------------------------------------------------


def test_mid_stream_error_keeps_partial_reply_visible(kernel):
    ran(kernel.run("%%claude\nfirst", cell_id="e1"))
    before = kernel.value("claude_magic.get_chat().messages")
    script(kernel, SLOW_TEXT)
    kernel.run("claude_magic.simulator().error_after(8)")
    cell = kernel.run("%%claude\nsecond", cell_id="e2")
    assert cell.error is not None and "broke mid-reply" in cell.error_text
    final = final_bundle(cell)
    assert TURN_MIME not in final
    assert "Paragraph 0" in final["text/html"]  # the part that arrived stays visible
    assert "Paragraph 0" in live_page(cell).html()
    assert "word7x17" not in final["text/html"]  # ...and only that part
    assert "broke mid-reply" not in final["text/plain"]  # said once, by the error below
    assert "Not added to the chat" in html.unescape(final["text/html"])
    opened = {m["content"]["comm_id"] for m in cell.of_type("comm_open")}
    assert opened == {m["content"]["comm_id"] for m in cell.of_type("comm_close")}
    assert kernel.value("claude_magic.get_chat().messages") == before
