"""What a frontend receives from `%%claude` in the default live widget view, on a real kernel.

The kernel is driven like JupyterLab (execute_request with `cellId`), so the iopub messages
collected per cell are exactly what JupyterLab's widget manager and output area would get:
widget comms while the reply streams, then one `update_display_data` swapping the widgets
for the static bundle, then `comm_close` for every widget.
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

pytest.importorskip("ipywidgets")

SETUP = "%load_ext claude_magic\nimport claude_magic, json, os"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
STATIC_MIMES = {"text/plain", "text/markdown", "text/html", TURN_MIME}
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
    warm = k.run("%%claude\nwarm up")  # imports the SDK and ipywidgets once (~2 s)
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


def comm_strings(cell: CellResult) -> list[str]:
    """Every string in every widget state the cell sent (comm_open and comm_msg)."""
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)
        elif isinstance(value, list):
            for v in value:
                walk(v)

    for m in cell.of_type("comm_open", "comm_msg"):
        walk((m["content"].get("data") or {}).get("state") or {})
    return found


def value_updates(cell: CellResult) -> list[str]:
    """`value` trait updates sent while the cell ran (HTML widget redraws)."""
    return [
        m["content"]["data"]["state"]["value"]
        for m in cell.of_type("comm_msg")
        if "value" in (m["content"]["data"].get("state") or {})
    ]


def assert_inert(fragment: str) -> None:
    assert "<script" not in fragment.lower(), fragment
    assert not re.search(r"<[^>]*\sonerror\s*=", fragment, re.I), fragment
    assert not re.search(r"href\s*=\s*[\"']?\s*javascript:", fragment, re.I), fragment


def assert_markdown_inert(markdown: str) -> None:
    """The Markdown source, and its rendering by a permissive renderer (raw HTML on, no link
    filter, like JupyterLab's marked in a trusted output), hold no active content."""
    from markdown_it import MarkdownIt

    assert_inert(markdown)
    md = MarkdownIt("commonmark", {"html": True})
    md.validateLink = lambda url: True
    assert_inert(md.render(markdown))


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


def test_widgets_stream_before_the_final_update(streamed):
    cell, _, seconds = streamed
    assert 0.5 < seconds < 2.5, seconds  # really streamed in real time, and stayed cheap
    first_display = cell.of_type("display_data")[0]["content"]["data"]
    assert WIDGET_VIEW in first_display
    opens = cell.of_type("comm_open")
    assert opens and all(m["content"]["target_name"] == "jupyter.widget" for m in opens)
    kinds = [m["msg_type"] for m in cell.messages]
    final_at = kinds.index("update_display_data")
    before = [m for m in cell.messages[:final_at] if m["msg_type"] == "comm_msg"]
    text_updates = [
        m
        for m in before
        if "word" in str((m["content"]["data"].get("state") or {}).get("value", ""))
    ]
    assert len(text_updates) >= 3, len(text_updates)  # the text grew on screen
    # each redraw shows more of the reply than the previous one of the same widget
    sizes: dict[str, list[int]] = {}
    for m in text_updates:
        sizes.setdefault(m["content"]["comm_id"], []).append(
            len(m["content"]["data"]["state"]["value"])
        )
    assert any(len(s) >= 2 and s == sorted(s) for s in sizes.values()), sizes
    # and the redraws were spread over the stream, not sent in one burst at the end
    first, last = text_updates[0]["header"]["date"], cell.messages[final_at]["header"]["date"]
    assert (last - first).total_seconds() > 0.3


def test_static_bundle_replaces_widgets_and_holds_the_turn(streamed):
    cell, last_turn, _ = streamed
    bundle = final_bundle(cell)
    assert set(bundle) == STATIC_MIMES
    record = bundle[TURN_MIME]
    assert record["cell_id"] == "slow-1"
    assert [record["user"], *record["replies"]] == last_turn
    assert "word7x17" in bundle["text/plain"]
    assert "word7x17" in bundle["text/markdown"]
    assert "word7x17" in bundle["text/html"]
    # every widget opened for the cell was closed, after the static bundle went out
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
    strings = comm_strings(cell)
    assert any("alert(1)" in s for s in strings)  # the probe reached the widgets...
    for s in strings:
        assert_inert(s)  # ...as text
    displays = cell.of_type("display_data", "update_display_data", "execute_result")
    assert displays
    for m in displays:
        data = m["content"]["data"]
        if "text/html" in data:
            assert_inert(data["text/html"])
        if "text/markdown" in data:
            assert_markdown_inert(data["text/markdown"])
    bundle = final_bundle(cell)
    assert "alert(1)" in bundle["text/html"] and "alert(1)" in bundle["text/markdown"]
    assert html.escape("<script>") in bundle["text/html"]
    # the record keeps the reply exactly as the API returned it (it is data, never rendered)
    assert XSS in bundle[TURN_MIME]["replies"][0]["content"][0]["text"]


# -- thinking and tools ---------------------------------------------------------------------


def test_thinking_section_live_and_final(kernel):
    cell = ran(kernel.run("%%claude --thinking\nThink about tea", cell_id="think"))
    accordions = [
        m
        for m in cell.of_type("comm_open")
        if m["content"]["data"]["state"].get("_model_name") == "AccordionModel"
    ]
    assert accordions and accordions[0]["content"]["data"]["state"]["titles"] == ["Thinking"]
    messages = kernel.value("claude_magic.get_chat().messages")
    thinking = [b for b in messages[1]["content"] if b["type"] == "thinking"][0]["thinking"]
    assert thinking
    final_html = final_bundle(cell)["text/html"]
    details = re.search(r"<details[^>]*>.*?</details>", final_html, re.S)
    assert details and "<summary>Thinking</summary>" in details.group(0)
    assert html.escape(thinking.splitlines()[0]) in details.group(0)
    assert any(html.escape(thinking.splitlines()[0]) in s for s in comm_strings(cell))


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
    assert any("tool error: explode" in s for s in comm_strings(cell))


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
    assert "word7x17" not in final["text/html"]  # ...and only that part
    assert "broke mid-reply" in final["text/plain"]
    assert "broke mid-reply" in html.unescape(final["text/html"])
    opened = {m["content"]["comm_id"] for m in cell.of_type("comm_open")}
    assert opened == {m["content"]["comm_id"] for m in cell.of_type("comm_close")}
    assert kernel.value("claude_magic.get_chat().messages") == before
