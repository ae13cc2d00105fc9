"""The tool loop of `%%claude --tools`, on the offline simulator through the real SDK."""

from __future__ import annotations

import time

import pytest
from IPython.core.error import UsageError

import claude_magic
from claude_magic.errors import ExchangeFailed
from tests.kernel import Kernel

TOOLS = '''
calls = []

def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first number.
        b: The second number.
    """
    calls.append(("add", a, b))
    return a + b

def get_weather(city: str) -> dict:
    """Current weather for a city."""
    calls.append(("get_weather", city))
    return {"city": city, "temp_c": 21}

def broken(x: int) -> int:
    """Always fails."""
    raise RuntimeError("sensor offline")
'''


@pytest.fixture
def shell(ipython):
    ipython.run_cell(TOOLS)
    return ipython


def claude(shell, line: str, cell: str) -> None:
    shell.run_cell_magic("claude", line, cell)


def sent_messages() -> list[dict]:
    return [r.json for r in claude_magic.simulator().requests if r.path == "/v1/messages"]


def blocks(message: dict, kind: str) -> list[dict]:
    return [b for b in message["content"] if b["type"] == kind]


def test_single_tool_loop(shell, capsys):
    claude(shell, "--tools add", "Please add 2 and 40 with add")
    out = capsys.readouterr().out
    assert shell.user_ns["calls"] == [("add", 2, 40)]
    requests = sent_messages()
    assert len(requests) == 2
    assert requests[0]["tools"][0]["name"] == "add"
    assert requests[0]["tools"][0]["input_schema"]["required"] == ["a", "b"]
    tool_use = blocks(requests[1]["messages"][1], "tool_use")[0]
    result = requests[1]["messages"][2]["content"][0]
    assert result == {"type": "tool_result", "tool_use_id": tool_use["id"], "content": "42"}
    chat = claude_magic.get_chat()
    assert [m["role"] for m in chat.messages] == ["user", "assistant", "user", "assistant"]
    assert chat.turns[-1].stop_reason == "end_turn"
    assert "[tool_use add]" in out and "[tool_result add] 42" in out
    frame = claude_magic.usage_frame()
    assert frame["stop_reason"].tolist() == ["tool_use", "end_turn"]  # one row per API call


def test_two_tools_in_one_response_run_in_order(shell):
    claude(shell, "--tools get_weather,add", 'Use get_weather for "Oslo" and add 1 and 2')
    assert shell.user_ns["calls"] == [("get_weather", "Oslo"), ("add", 1, 2)]
    second = sent_messages()[1]["messages"]
    ids = [b["id"] for b in blocks(second[1], "tool_use")]
    results = second[2]["content"]
    assert [r["tool_use_id"] for r in results] == ids  # one user turn, matching ids in order
    assert results[0]["content"] == '{"city": "Oslo", "temp_c": 21}'


def test_a_tool_that_raises_becomes_an_error_result(shell, capsys):
    claude(shell, "--tools broken", "Call broken with 3")
    result = sent_messages()[1]["messages"][2]["content"][0]
    assert result["is_error"] is True
    assert result["content"] == "RuntimeError: sensor offline"
    assert "[tool_error broken]" in capsys.readouterr().out
    assert claude_magic.get_chat().turns[-1].stop_reason == "end_turn"  # the model recovered


def test_invalid_input_is_an_error_result_and_the_tool_is_not_called(shell):
    claude_magic.simulator().script(
        {
            "content": [{"type": "tool_use", "name": "add", "input": {"a": "two", "b": 1}}],
            "stop_reason": "tool_use",
        }
    )
    claude(shell, "--tools add", "add things")
    result = sent_messages()[1]["messages"][2]["content"][0]
    assert result["is_error"] is True and "Invalid input for tool add" in result["content"]
    assert shell.user_ns["calls"] == []


def test_max_iterations_stops_the_loop_and_leaves_the_chat_unchanged(shell, capsys):
    loop = {
        "content": [{"type": "tool_use", "name": "add", "input": {"a": 1, "b": 1}}],
        "stop_reason": "tool_use",
    }
    for _ in range(3):
        claude_magic.simulator().script(loop)
    with pytest.raises(ExchangeFailed, match="Stopped after 2 API calls.*raise --max-iterations"):
        claude(shell, "--tools add --max-iterations 2", "loop forever")
    assert shell.user_ns["calls"] == [("add", 1, 1)]  # the last call's tool was not run: its
    # result could not be sent, and a re-run would run it again
    assert claude_magic.get_chat().messages == []
    assert len(claude_magic.usage_frame()) == 2  # both billed calls are in the ledger
    assert "Not added to the chat" in capsys.readouterr().out


def test_pause_turn_is_resumed(shell):
    sim = claude_magic.simulator()
    search = {
        "type": "server_tool_use",
        "id": "srvtoolu_01",
        "name": "web_search",
        "input": {"query": "q"},
    }
    sim.script(
        {
            "content": [{"type": "text", "text": "Working on it…"}, search],
            "stop_reason": "pause_turn",
        }
    )
    sim.script("Done.")
    claude(shell, "--server-tools web_search", "long job")
    requests = sent_messages()
    assert len(requests) == 2
    assert requests[1]["messages"][-1]["role"] == "assistant"  # the paused turn was sent back
    assert claude_magic.get_chat().turns[-1].text() == "Working on it…\n\nDone."


def test_unknown_tool_names_fail_before_any_request(shell):
    with pytest.raises(UsageError, match="nope"):
        claude(shell, "--tools add,nope", "hi")
    shell.run_cell("not_callable = 3")
    with pytest.raises(UsageError, match="not_callable"):
        claude(shell, "--tools not_callable", "hi")
    assert sent_messages() == []


def test_tools_subcommand_shows_the_schema(shell, capsys):
    shell.run_line_magic("claude", "tools add")
    out = capsys.readouterr().out
    assert '"name": "add"' in out and '"The first number."' in out


def test_server_tool_blocks_are_shown(shell, capsys):
    claude(shell, "--server-tools web_search", "Search the web for tide tables")
    out = capsys.readouterr().out
    request = sent_messages()[0]
    assert request["tools"][0]["name"] == "web_search"
    reply = claude_magic.get_chat().messages[-1]
    kinds = [b["type"] for b in reply["content"]]
    assert "server_tool_use" in kinds and "web_search_tool_result" in kinds
    assert "[server_tool_use web_search]" in out and "web_search_tool_result" in out
    assert claude_magic.usage_frame()["web_search_requests"].tolist() == [1]


def test_interrupt_during_a_tool_call_leaves_the_chat_unchanged(tmp_path):
    kernel = Kernel(cwd=str(tmp_path))
    try:
        kernel.run(
            "%load_ext claude_magic\n%config ClaudeMagics.view = 'text'\nimport claude_magic"
        )
        kernel.run(
            "import time\ndef slow(n: int) -> int:\n    'Sleeps.'\n    time.sleep(30)\n    return n"
        )
        kernel.run("%%claude\nfirst", cell_id="c1")
        before = kernel.value("claude_magic.get_chat().messages")
        msg_id = kernel.send("%%claude --tools slow\nCall slow with 5", cell_id="c2")
        time.sleep(2.0)
        kernel.interrupt()
        result = kernel.collect(msg_id, timeout=20)
        assert result.error is not None and result.error["ename"] == "Interrupted"
        assert "[tool_use slow]" in result.stdout and "Not added to the chat" in result.stdout
        assert kernel.value("claude_magic.get_chat().messages") == before
        assert kernel.run("%%claude\nstill here", cell_id="c3").error is None
    finally:
        kernel.close()
