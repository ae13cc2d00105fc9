"""The kernel budget: a call that would pass it is refused before anything is sent."""

from __future__ import annotations

import json
import math

import pytest

from claude_magic.budget import Budget, BudgetExceeded, billed_usd, budget_from_env
from claude_magic.chat import Chat
from claude_magic.exchange import Exchange
from claude_magic.offline import Simulator
from claude_magic.protocol import NullView
from claude_magic.request import RequestOptions, user_message
from claude_magic.usage import Ledger


def billed_row(cost: float, **flags: bool) -> dict:
    return {"cost_usd": cost, "offline": False, "replayed": False, **flags}


def test_only_real_api_calls_count_as_billed() -> None:
    rows = [
        billed_row(0.25),
        billed_row(1.0, offline=True),  # the simulator: free
        billed_row(2.0, replayed=True),  # a recording: free
        billed_row(math.nan),  # an unknown price cannot be capped
        billed_row(0.05),
    ]
    assert billed_usd(rows) == pytest.approx(0.30)


def test_the_env_variable_is_read_and_checked() -> None:
    assert budget_from_env({}) is None
    assert budget_from_env({"CLAUDE_MAGIC_BUDGET_USD": " 2.5 "}) == 2.5
    for bad in ("two", "-1", "nan"):
        with pytest.raises(ValueError, match="CLAUDE_MAGIC_BUDGET_USD"):
            budget_from_env({"CLAUDE_MAGIC_BUDGET_USD": bad})


def test_a_call_past_the_budget_sends_nothing_and_changes_nothing() -> None:
    sim, chat, ledger = Simulator(), Chat("x"), Ledger()
    ledger.rows.append(billed_row(0.99))
    budget = Budget(1.00, lambda: ledger.rows)
    prompt = "word " * 40_000  # ~50K tokens: $0.10 of Sonnet 5.5 input at $2/M
    exchange = Exchange(
        client=sim.client(),
        chat=chat,
        user=user_message(prompt),
        options=RequestOptions(model="claude-sonnet-5-5", max_tokens=100),
        view=NullView(),
        offline=False,
        on_call=lambda call, turn: ledger.record(call, chat="x", cell_id=None, execution_count=1),
        budget=budget,
    )
    with pytest.raises(BudgetExceeded) as caught:
        exchange.run()
    message = str(caught.value)
    assert "spent $0.99 of its $1.00 budget" in message
    assert "Nothing was sent" in message and "%config ClaudeMagics.budget_usd = " in message
    assert sim.requests == [] or all(r.path != "/v1/messages" for r in sim.requests)
    assert chat.messages == [] and len(ledger) == 1


def test_a_call_within_the_budget_goes_through_and_is_counted() -> None:
    sim, chat, ledger = Simulator(), Chat("x"), Ledger()
    budget = Budget(1.00, lambda: ledger.rows)
    Exchange(
        client=sim.client(),
        chat=chat,
        user=user_message("hello"),
        options=RequestOptions(model="claude-sonnet-5-5", max_tokens=100),
        view=NullView(),
        offline=False,
        on_call=lambda call, turn: ledger.record(call, chat="x", cell_id=None, execution_count=1),
        budget=budget,
    ).run()
    assert len(chat) == 1 and 0 < budget.spent_usd < 0.01
    assert budget.left_usd == pytest.approx(1.0 - budget.spent_usd)


def test_a_classroom_budget_in_a_kernel_refuses_before_sending(tmp_path):
    """Against an API that is not the simulator: nothing reaches it once the cap is hit."""
    from tests.fake_api import FakeApi
    from tests.kernel import Kernel

    with FakeApi() as api:
        env = {
            "ANTHROPIC_API_KEY": "sk-class-not-real",
            "ANTHROPIC_BASE_URL": api.url,
            "CLAUDE_MAGIC_BUDGET_USD": "5",
        }
        kernel = Kernel(env=env, cwd=str(tmp_path))
        try:
            assert kernel.run("%load_ext claude_magic\nimport claude_magic").error is None
            first = kernel.run("%%claude\nHello.", cell_id="a")
            assert first.error is None, first.error_text
            assert "budget left $5.00" in json.dumps(first.displays())  # $5 less $0.0003
            kernel.run("%config ClaudeMagics.budget_usd = 0.0000001")  # explicit beats the hub
            before = kernel.value("claude_magic.get_chat().messages")
            rows = kernel.value("len(claude_magic.usage_frame())")
            sent = len(api.requests)
            refused = kernel.run("%%claude\nAnd again.", cell_id="b")
            assert refused.error is not None and refused.error["ename"] == "BudgetExceeded"
            assert "Nothing was sent" in refused.error_text
            assert "%config ClaudeMagics.budget_usd = " in refused.error_text
            assert len(api.requests) == sent
            assert kernel.value("claude_magic.get_chat().messages") == before
            assert kernel.value("len(claude_magic.usage_frame())") == rows
            offline = kernel.run("%%claude --offline\nFree practice.", cell_id="c")
            assert offline.error is None, offline.error_text  # the simulator costs nothing
        finally:
            kernel.close()


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def test_a_tool_loop_stopped_by_the_budget_says_its_first_call_went_out() -> None:
    """Mid loop, "nothing was sent" would be false: the first call was billed."""
    from claude_magic.tools import tool_set

    sim, chat, ledger = Simulator(), Chat("x"), Ledger()
    use = {"type": "tool_use", "id": "toolu_1", "name": "add", "input": {"a": 2, "b": 3}}
    sim.script({"content": [use], "stop_reason": "tool_use", "usage": {"input_tokens": 600_000}})
    sim.script("Five.")
    options = RequestOptions(model="claude-sonnet-5-5", max_tokens=100)
    options.tools = tool_set(["add"], [], {"add": add})
    exchange = Exchange(
        client=sim.client(),
        chat=chat,
        user=user_message("Use add on 2 and 3."),
        options=options,
        view=NullView(),
        offline=False,
        on_call=lambda call, turn: ledger.record(call, chat="x", cell_id=None, execution_count=1),
        budget=Budget(1.00, lambda: ledger.rows),  # the first call bills $1.20
    )
    with pytest.raises(BudgetExceeded) as caught:
        exchange.run()
    message = str(caught.value)
    assert "spent $1.20 of its $1.00 budget" in message
    assert "the next call of this cell's tool loop" in message
    assert "Nothing was sent" not in message and "earlier calls were" in message
    assert len(ledger) == 1 and chat.messages == []
    assert len([r for r in sim.requests if r.path == "/v1/messages"]) == 1


def test_a_limit_below_a_cent_is_shown_as_set() -> None:
    ledger = Ledger()
    ledger.rows.append(billed_row(0.0002))
    with pytest.raises(BudgetExceeded, match=r"spent \$0.00020 of its \$0.00090 budget"):
        Budget(0.0009, lambda: ledger.rows).check_cost(0.0008, what="this call")


def test_a_bad_hub_budget_is_one_line_in_a_batch_too(tmp_path) -> None:
    from tests.fake_api import FakeApi
    from tests.kernel import Kernel

    with FakeApi() as api:
        env = {
            "ANTHROPIC_API_KEY": "sk-class-not-real",
            "ANTHROPIC_BASE_URL": api.url,
            "CLAUDE_MAGIC_BUDGET_USD": "two",
        }
        kernel = Kernel(env=env, cwd=str(tmp_path))
        try:
            code = (
                "import claude_magic, pandas as pd\n"
                "claude_magic.batch(pd.DataFrame({'q': ['a']}), '{q}', progress=False)"
            )
            result = kernel.run(code)
            assert result.error is not None and result.error["ename"] == "BadBudget"
            assert result.error["traceback"] == [
                "\x1b[31mBadBudget\x1b[0m: CLAUDE_MAGIC_BUDGET_USD='two' is not an amount "
                "in US dollars (e.g. 2.50)"
            ]
            assert not api.batches
        finally:
            kernel.close()


def test_batches_not_read_yet_hold_their_worst_case(tmp_path) -> None:
    """A loop of `batch(..., wait=False)` cannot pass the budget: each running batch holds
    its worst case until its results are read (then its billed rows count instead)."""
    from tests.fake_api import FakeApi
    from tests.kernel import Kernel

    with FakeApi() as api:
        env = {
            "ANTHROPIC_API_KEY": "sk-class-not-real",
            "ANTHROPIC_BASE_URL": api.url,
            "CLAUDE_MAGIC_BUDGET_USD": "0.015",  # one batch's worst case ($0.010), not two
        }
        kernel = Kernel(env=env, cwd=str(tmp_path))
        try:
            setup = "import claude_magic, pandas as pd\ndf = pd.DataFrame({'q': ['a', 'b']})"
            assert kernel.run(setup).error is None
            submit = "claude_magic.batch(df, '{q}', wait=False, progress=False, poll_interval=0.01)"
            first = kernel.run(f"j1 = {submit}")
            assert first.error is None, first.error_text
            second = kernel.run(f"j2 = {submit}")
            assert second.error is not None and second.error["ename"] == "BudgetExceeded"
            assert "is held for batches not read yet" in second.error_text
            assert len(api.batches) == 1
            assert kernel.run("j1.wait()").error is None  # read: its real cost counts now
            third = kernel.run(f"j3 = {submit}")
            assert third.error is None, third.error_text
            assert len(api.batches) == 2
        finally:
            kernel.close()


def test_the_setting_help_says_none_leaves_the_hub_limit() -> None:
    """`budget_usd = None` does not lift CLAUDE_MAGIC_BUDGET_USD; the help must not say so."""
    from claude_magic.magics import ClaudeMagics

    help_text = ClaudeMagics.class_traits()["budget_usd"].help
    assert "None (the default): CLAUDE_MAGIC_BUDGET_USD decides" in help_text
    assert "(None: no limit)" not in help_text


def test_a_paused_turn_stopped_by_the_budget_says_its_first_call_went_out() -> None:
    from claude_magic.tools import ToolSet, server_tool_specs

    sim, chat, ledger = Simulator(), Chat("x"), Ledger()
    search = {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {}}
    sim.script(
        {
            "content": [{"type": "text", "text": "Working on it…"}, search],
            "stop_reason": "pause_turn",
            "usage": {"input_tokens": 600_000},
        }
    )
    options = RequestOptions(model="claude-sonnet-5-5", max_tokens=100)
    options.tools = ToolSet(server=tuple(server_tool_specs(["web_search"])))
    exchange = Exchange(
        client=sim.client(),
        chat=chat,
        user=user_message("Search for tide tables."),
        options=options,
        view=NullView(),
        offline=False,
        on_call=lambda call, turn: ledger.record(call, chat="x", cell_id=None, execution_count=1),
        budget=Budget(1.00, lambda: ledger.rows),
    )
    with pytest.raises(BudgetExceeded, match="the next call of this cell") as caught:
        exchange.run()
    assert "Nothing was sent" not in str(caught.value) and len(ledger) == 1


def test_a_prefill_is_not_taken_for_a_later_call() -> None:
    sim, ledger = Simulator(), Ledger()
    ledger.rows.append(billed_row(0.99))
    exchange = Exchange(
        client=sim.client(),
        chat=Chat("x"),
        user=user_message("word " * 40_000),
        options=RequestOptions(model="claude-haiku-4-5", max_tokens=100, prefill="{"),
        view=NullView(),
        offline=False,
        on_call=lambda call, turn: ledger.record(call, chat="x", cell_id=None, execution_count=1),
        budget=Budget(1.00, lambda: ledger.rows),
    )
    with pytest.raises(BudgetExceeded, match="Nothing was sent"):
        exchange.run()
