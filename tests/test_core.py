"""Pure logic: chats and rewind, interpolation, option splitting, attachments, restore order."""

from __future__ import annotations

import base64

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from claude_magic.attachments import AttachmentError, attachment_block, sniff_media_type
from claude_magic.chat import Chat
from claude_magic.errors import explain
from claude_magic.interpolate import InterpolationError, interpolate
from claude_magic.magics import ClaudeMagics, _value_options, split_options
from claude_magic.notebook import chats_from_notebook
from claude_magic.request import RequestOptions, build_request, merge_prefill, user_message
from claude_magic.turn import TURN_MIME, CallRecord, Turn

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def turn(cell_id: str | None, text: str, chat: str = "default", at: str = "") -> Turn:
    call = CallRecord(
        model="claude-sonnet-5-5",
        usage={"input_tokens": 1, "output_tokens": 1},
        stop_reason="end_turn",
        request_id=None,
        started_at=at,
        ttft_s=None,
        total_s=0.1,
        offline=True,
    )
    return Turn(
        chat=chat,
        cell_id=cell_id,
        user=user_message(text),
        replies=[{"role": "assistant", "content": [{"type": "text", "text": f"re: {text}"}]}],
        calls=[call],
    )


def test_commit_replaces_the_cells_turn_and_drops_later_ones():
    chat = Chat("c")
    for cid in "abc":
        assert chat.commit(turn(cid, cid)) == 0
    history, dropped = chat.history_for("b")
    assert dropped == 2 and len(history) == 2  # only turn a is resent
    assert chat.history_for("new") == (chat.messages, 0)
    assert chat.commit(turn("b", "b2")) == 1
    assert [t.cell_id for t in chat] == ["a", "b"]
    assert chat.messages[-2]["content"][0]["text"] == "b2"


def test_turns_without_cell_id_append():
    chat = Chat("c")
    chat.commit(turn(None, "x"))
    chat.commit(turn(None, "x"))
    assert len(chat) == 2


def test_turn_record_round_trips():
    t = turn("a", "hello", at="2026-11-22T10:00:00+00:00")
    assert Turn.from_record(t.to_record()) == t
    with pytest.raises(ValueError, match="version"):
        Turn.from_record({**t.to_record(), "version": 99})


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Hi {{name}}!", "Hi Ada!"),
        ("{{ 2 * n }}", "6"),
        ('{"a": {"b": 1}} {single}', '{"a": {"b": 1}} {single}'),
        ("```python\nf'{{name}}'\n```\n{{name}}", "```python\nf'{{name}}'\n```\nAda"),
        ("~~~\n{{name}}\n~~~", "~~~\n{{name}}\n~~~"),
        ("inline `{{name}}` and {{name}}", "inline `{{name}}` and Ada"),
        ("{{{not_an_expr}}}", "{{{not_an_expr}}}"),
    ],
)
def test_interpolate(text, expected):
    assert interpolate(text, {"name": "Ada", "n": 3}) == expected


def test_interpolation_errors_name_the_expression():
    with pytest.raises(InterpolationError, match="undefined_x"):
        interpolate("{{undefined_x}}", {})
    with pytest.raises(InterpolationError, match="ZeroDivisionError"):
        interpolate("{{1/0}}", {})


def test_split_options_keeps_the_prompt_text():
    table = _value_options(ClaudeMagics.claude)
    assert split_options('-m x --thinking What\'s "up"?', table) == (
        "-m x --thinking",
        'What\'s "up"?',
    )
    assert split_options("--thinking 2048 hi", table) == ("--thinking 2048", "hi")
    assert split_options('-s "be brief" -- -m is text', table) == ('-s "be brief"', "-m is text")
    assert split_options("plain words", table) == ("", "plain words")


def test_option_abbreviations_are_rejected():
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="--max-token"):
        ClaudeMagics.claude.parser.parse_args(["--max-token", "3"])


def test_build_request_and_prefill():
    options = RequestOptions(
        model="m", max_tokens=10, system="s", thinking=2048, stop_sequences=["X"], prefill="{"
    )
    request = build_request([], user_message("hi"), options)
    assert request["messages"][-1] == {"role": "assistant", "content": "{"}
    assert request["thinking"]["budget_tokens"] == 2048
    assert request["cache_control"] == {"type": "ephemeral", "ttl": "5m"}
    later = build_request([], user_message("hi"), options, [{"role": "user", "content": []}])
    assert later["messages"][-1]["role"] == "user"  # no prefill after the first call
    assert merge_prefill([{"type": "text", "text": '"a": 1}'}], "{")[0]["text"] == '{"a": 1}'


def test_attachments(tmp_path):
    path = tmp_path / "x.png"
    path.write_bytes(PNG)
    assert attachment_block(str(path), {})["source"]["media_type"] == "image/png"
    assert attachment_block("img", {"img": PNG})["type"] == "image"
    assert attachment_block("{{imgs[0]}}", {"imgs": [PNG]})["type"] == "image"
    pdf = attachment_block("doc", {"doc": b"%PDF-1.4 ..."})
    assert pdf["type"] == "document" and pdf["source"]["media_type"] == "application/pdf"
    assert attachment_block("https://x.org/a.pdf", {})["source"] == {
        "type": "url",
        "url": "https://x.org/a.pdf",
    }
    assert sniff_media_type(b"RIFF\0\0\0\0WEBPVP8 ") == "image/webp"
    with pytest.raises(AttachmentError, match="not a PNG"):
        attachment_block("t", {"t": b"hello"})
    with pytest.raises(AttachmentError, match="no such file"):
        attachment_block("missing.png", {})


def test_restore_replays_records_in_commit_order(tmp_path):
    """A re-run of b dropped c live; c's stale output in the file must not bring it back."""
    live = Chat("default")
    for cid, text, at in [("a", "a", 1), ("b", "b", 2), ("c", "c", 3), ("b", "b2", 9)]:
        live.commit(turn(cid, text, at=f"2026-01-01T00:00:0{at}+00:00"))
    assert [t.cell_id for t in live] == ["a", "b"]
    stale_c = turn("c", "c", at="2026-01-01T00:00:03+00:00")
    stale_c.position = 2
    records = [live.turns[0], live.turns[1], stale_c]  # the file: a, b2 and c's old output
    cells = [
        new_code_cell(
            "%%claude", outputs=[new_output("display_data", data={TURN_MIME: t.to_record()})]
        )
        for t in records
    ]
    path = tmp_path / "nb.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    (chat,) = chats_from_notebook(path)
    assert [t.cell_id for t in chat] == ["a", "b"]
    assert chat.messages == live.messages


def test_explain_maps_errors_to_next_steps():
    assert "ANTHROPIC_API_KEY" in explain(
        TypeError("Could not resolve authentication method"), model="m", offline=False
    )
    assert "connection dropped" in explain(
        type("RemoteProtocolError", (Exception,), {})(), model="m", offline=True
    )
