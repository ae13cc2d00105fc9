"""Conversation integrity in a real kernel, driven like JupyterLab (cellId metadata).

A chat must never hold what the API rejects on the next request, a cell owns one turn in
one chat, and every way out of an exchange closes its live widgets.
"""

from __future__ import annotations

import json

import pytest

from tests.kernel import Kernel

SETUP = "%load_ext claude_magic\nimport claude_magic\nsim = claude_magic.simulator()"


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    k = Kernel(cwd=str(tmp_path_factory.mktemp("integrity")))
    assert k.run(SETUP).error is None
    yield k
    k.close()


@pytest.fixture(autouse=True)
def _fresh(kernel):
    result = kernel.run("%claude reset\nsim.reset()")
    assert result.error is None, result.error_text


def cells(kernel: Kernel, chat: str = "default") -> list[str]:
    return kernel.value(f"[t.cell_id for t in claude_magic.get_chat({chat!r}).turns]")


def test_a_cell_rerun_in_another_chat_leaves_no_turn_behind(kernel):
    kernel.run("%%claude\nMy name is Ada.", cell_id="c1")
    kernel.run("%%claude\nAnd I like tea.", cell_id="c2")
    moved = kernel.run("%%claude -c other\nMy name is Ada.", cell_id="c1")
    assert moved.error is None, moved.error_text
    assert cells(kernel) == ["c2"]
    assert cells(kernel, "other") == ["c1"]
    assert "moved from chat 'default'" in json.dumps(moved.displays())


def test_a_tool_call_cut_by_max_tokens_never_enters_the_chat(kernel):
    kernel.run("def add(a: int, b: int) -> int:\n    return a + b")
    kernel.run(
        "sim.script({'content': [{'type': 'text', 'text': 'Adding.'}, "
        "{'type': 'tool_use', 'name': 'add', 'input': {'a': 2}}], 'stop_reason': 'max_tokens'})"
    )
    cut = kernel.run("%%claude --tools add\nUse add on 2 and 3.", cell_id="t1")
    assert cut.error is not None and "max_tokens" in cut.error_text
    blocks = kernel.value(
        "[b['type'] for m in claude_magic.get_chat().messages for b in m['content']]"
    )
    assert "tool_use" not in blocks
    after = kernel.run("%%claude\nHello again.", cell_id="t2")
    assert after.error is None, after.error_text


def test_a_refusal_without_content_does_not_break_later_cells(kernel):
    kernel.run("sim.script({'content': [], 'stop_reason': 'refusal'})")
    refused = kernel.run("%%claude\nSomething refused.", cell_id="r1")
    assert refused.error is not None and "refusal" in refused.error_text
    assert kernel.value("claude_magic.get_chat().messages") == []
    after = kernel.run("%%claude\nSomething fine.", cell_id="r2")
    assert after.error is None, after.error_text


def test_a_tool_that_runs_claude_gets_an_error_not_a_recursion(kernel):
    kernel.run(
        "def ask(question: str) -> str:\n"
        "    get_ipython().run_cell_magic('claude', '-c inner', question)\n"
        "    return 'asked'"
    )
    result = kernel.run("%%claude --tools ask\nUse ask on 'why?'.", cell_id="n1")
    assert result.error is None, result.error_text
    assert "cannot run inside another exchange" in json.dumps(result.displays())
    calls = kernel.value("len([r for r in sim.requests if r.path == '/v1/messages'])")
    assert calls == 2


def test_sys_exit_in_a_tool_closes_every_widget(kernel):
    kernel.run("import sys\ndef leave() -> str:\n    sys.exit(3)")
    result = kernel.run("%%claude --tools leave\nUse leave now.", cell_id="x1")
    opened = len(result.of_type("comm_open"))
    closed = sum(
        1 for m in result.of_type("comm_msg", "comm_close") if m["msg_type"] == "comm_close"
    )
    assert opened > 0 and closed == opened
    assert "Not added to the chat" in json.dumps(result.displays())
    assert kernel.value("claude_magic.get_chat().messages") == []


def test_a_broken_stream_is_costed_from_what_arrived(kernel):
    kernel.run("sim.script(' '.join(f'word{i}' for i in range(330)))\nsim.error_after(60)")
    result = kernel.run("%%claude\nTalk.", cell_id="b1")
    assert result.error is not None
    row = kernel.value(
        "[int(claude_magic.usage_frame().iloc[-1].output_tokens), "
        "bool(claude_magic.usage_frame().iloc[-1].estimated)]"
    )
    assert row[0] > 150 and row[1] is True
