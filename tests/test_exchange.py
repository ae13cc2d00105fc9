"""The exchange through the real SDK and the simulator: what it commits, what views get.

Each test here pins a defect found by users (issue 9): a chat must never hold what the API
would reject on the next request (an unanswered tool_use, an empty assistant message, a
refused reply), a cell owns one turn in one chat, commit and record are one step, and a
call that broke mid-stream is not recorded as nearly free.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

import anthropic
import httpx2
import pytest

from claude_magic.chat import Chat, ChatRegistry
from claude_magic.errors import ClaudeError, ExchangeFailed
from claude_magic.exchange import Exchange, Refused
from claude_magic.offline import Simulator
from claude_magic.protocol import ExchangeInfo, ToolOutcome
from claude_magic.request import RequestOptions, user_message
from claude_magic.turn import CallRecord, Turn
from tests.views_helpers import SSE


class Recorder:
    """A view that records every call it gets, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.finished: Turn | None = None
        self.failed: tuple[str, Turn] | None = None

    def begin(self, info: ExchangeInfo) -> None:
        self.calls.append(("begin", info))

    def block_start(self, key: Any, block: dict[str, Any]) -> None:
        self.calls.append(("start", (key, block.get("type"))))

    def block_delta(self, key: Any, text: str) -> None:
        self.calls.append(("delta", (key, text)))

    def block_stop(self, key: Any, block: dict[str, Any]) -> None:
        self.calls.append(("stop", (key, block)))

    def tool_result(self, outcome: ToolOutcome) -> None:
        self.calls.append(("tool", outcome))

    def call_end(self, call: CallRecord) -> None:
        self.calls.append(("call", call))

    def finish(self, turn: Turn, running_cost: float) -> None:
        self.finished = turn

    def fail(self, shown: Turn) -> None:
        self.failed = shown

    def text(self) -> str:
        return "".join(t for kind, (key, t) in self._deltas() if kind == "delta")

    def _deltas(self) -> list[tuple[str, Any]]:
        return [(k, v) for k, v in self.calls if k == "delta"]


def exchange(client: Any, chat: Chat, prompt: str, view: Any = None, **options: Any) -> Exchange:
    keys = ("cell_id", "chats", "on_call", "fresh")
    kwargs = {k: options.pop(k) for k in keys if k in options}
    opts = RequestOptions(
        model=options.pop("model", "claude-sonnet-5-5"),
        max_tokens=options.pop("max_tokens", 1000),
        **options,
    )
    return Exchange(
        client=client,
        chat=chat,
        user=user_message(prompt),
        options=opts,
        view=view or Recorder(),
        offline=True,
        **kwargs,
    )


def sse_client(body: bytes) -> anthropic.Anthropic:
    """A real SDK client whose transport answers every request with one SSE body."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})

    return anthropic.Anthropic(
        api_key="x",
        base_url="http://t",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


# -- the prefill is the exchange's, not the views' -------------------------------------------


def test_views_get_the_prefill_as_the_first_text_and_the_chat_keeps_it() -> None:
    sim = Simulator()
    sim.script("world.")
    chat, view = Chat("x"), Recorder()
    exchange(
        sim.client(), chat, "Say hello", view, model="claude-haiku-4-5", prefill="Hello "
    ).run()
    deltas = [v for k, v in view.calls if k == "delta"]
    assert deltas[0] == ((1, 0), "Hello ")
    stops = [v for k, v in view.calls if k == "stop"]
    assert stops[-1][1]["text"] == "Hello world."
    assert chat.messages[-1]["content"][-1]["text"] == "Hello world."
    assert sim.requests[-1].json["messages"][-1] == {"role": "assistant", "content": "Hello "}


# -- 8: a reply cut inside a tool call is never committed ------------------------------------


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_a_tool_call_cut_by_max_tokens_is_not_committed_and_not_run() -> None:
    from claude_magic.tools import tool_set

    sim = Simulator()
    sim.script(
        {
            "content": [
                {"type": "text", "text": "Let me add."},
                {"type": "tool_use", "name": "add", "input": {"a": 2}},
            ],
            "stop_reason": "max_tokens",
        }
    )
    chat, view = Chat("x"), Recorder()
    tools = tool_set(["add"], [], {"add": add})
    with pytest.raises(ExchangeFailed, match=r"max_tokens \(50\).*Raise --max-tokens"):
        exchange(sim.client(), chat, "Use add on 2 and 3", view, tools=tools, max_tokens=50).run()
    assert chat.messages == []
    assert not [c for c in view.calls if c[0] == "tool"]  # the cut tool was not run
    shown = view.failed
    assert shown.replies[-1]["content"][-1]["type"] == "tool_use"  # shown, flagged, not kept
    exchange(sim.client(), chat, "Try again").run()  # the next cell is a valid request
    assert [m["role"] for m in chat.messages] == ["user", "assistant"]


# -- 8b: a refusal is not committed; its details are shown -----------------------------------


def refusal_sse(text: str | None) -> bytes:
    sse = SSE(stop_reason="refusal")
    if text is not None:
        sse.text(text)
    body = sse.body().decode()
    details = {"type": "refusal", "category": "cyber", "explanation": "Looks like malware."}
    return body.replace(
        '"stop_reason": "refusal", "stop_sequence": null}',
        f'"stop_reason": "refusal", "stop_sequence": null, "stop_details": {_json(details)}}}',
    ).encode()


def _json(value: Any) -> str:
    import json

    return json.dumps(value)


@pytest.mark.parametrize("text", [None, "", "I can help with part of"])
def test_a_refusal_is_not_committed_and_says_why(text: str | None) -> None:
    chat, view = Chat("x"), Recorder()
    with pytest.raises(Refused) as caught:
        exchange(sse_client(refusal_sse(text)), chat, "Write malware", view).run()
    assert "refusal, category: cyber" in str(caught.value)
    assert "Looks like malware." in str(caught.value)
    assert chat.messages == []  # nothing to resend: no empty assistant message
    shown = [b for m in view.failed.replies for b in m["content"]]
    assert shown == ([{"type": "text", "text": text}] if text else [])  # shown, not kept


def test_no_empty_assistant_message_or_text_block_is_kept() -> None:
    sim = Simulator()
    sim.script({"content": [{"type": "text", "text": ""}], "stop_reason": "end_turn"})
    chat = Chat("x")
    exchange(sim.client(), chat, "Say nothing").run()
    assert chat.messages == [{"role": "user", "content": [{"type": "text", "text": "Say nothing"}]}]
    exchange(sim.client(), chat, "Now say something").run()  # a valid request, not a 400
    assert chat.messages[-1]["role"] == "assistant"


# -- 7: a cell owns one turn in one chat ------------------------------------------------------


def test_rerunning_a_cell_in_another_chat_moves_its_turn() -> None:
    sim, chats = Simulator(), ChatRegistry()
    a, b = chats.get("a"), chats.get("b")
    exchange(sim.client(), a, "first", cell_id="c1", chats=chats).run()
    exchange(sim.client(), a, "second", cell_id="c2", chats=chats).run()
    view = Recorder()
    exchange(sim.client(), b, "first, elsewhere", view, cell_id="c1", chats=chats).run()
    assert [t.cell_id for t in a] == ["c2"]
    assert [t.cell_id for t in b] == ["c1"]
    assert view.calls[0][1].moved_from == "a"
    assert chats.holder("c1") is b


def test_a_failed_move_leaves_both_chats_as_they_were() -> None:
    sim, chats = Simulator(), ChatRegistry()
    a, b = chats.get("a"), chats.get("b")
    exchange(sim.client(), a, "first", cell_id="c1", chats=chats).run()
    sim.fail_next(3, status=500)
    with pytest.raises(ExchangeFailed):
        exchange(sim.client(), b, "elsewhere", cell_id="c1", chats=chats).run()
    assert [t.cell_id for t in a] == ["c1"] and len(b) == 0


# -- 9: commit and record are one step --------------------------------------------------------


class InterruptedWhileShowing(Recorder):
    """A view whose final display is interrupted half-way (stop pressed at the very end)."""

    def finish(self, turn: Turn, running_cost: float) -> None:
        os.kill(os.getpid(), signal.SIGINT)
        self.finished = turn  # the rest of finish still runs


def test_an_interrupt_during_the_final_display_waits_for_commit_and_record() -> None:
    sim, chat = Simulator(), Chat("x")
    view = InterruptedWhileShowing()
    with pytest.raises(KeyboardInterrupt):
        exchange(sim.client(), chat, "hello", view).run()
    assert view.finished is not None  # the record was shown ...
    assert len(chat) == 1 and chat.turns[0] is view.finished  # ... and is what was committed
    assert view.finished.position == 0
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


# -- 10, 11: no nested exchange, no two turns of one chat in flight ---------------------------


def test_a_tool_cannot_start_another_exchange() -> None:
    from claude_magic.tools import tool_set

    sim = Simulator()
    calls: list[int] = []

    def ask_claude(question: str) -> str:
        """Ask Claude a question."""
        calls.append(1)
        exchange(sim.client(), Chat("inner"), question).run()
        return "unreachable"

    view = Recorder()
    tools = tool_set(["ask_claude"], [], {"ask_claude": ask_claude})
    exchange(sim.client(), Chat("x"), "Use ask_claude on 'why?'", view, tools=tools).run()
    (outcome,) = [v for k, v in view.calls if k == "tool"]
    assert outcome.is_error and "cannot run inside another exchange" in outcome.content
    assert calls == [1]
    assert len([r for r in sim.requests if r.path == "/v1/messages"]) == 2  # not hundreds


def test_two_turns_of_one_chat_in_flight_are_refused() -> None:
    sim = Simulator(token_rate=200)  # slow enough to still be streaming
    chat = Chat("x")
    started, errors = threading.Event(), []

    class Signal(Recorder):
        def block_start(self, key: Any, block: dict[str, Any]) -> None:
            started.set()

    def first() -> None:
        try:
            exchange(sim.client(), chat, "a long answer please", Signal()).run()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    thread = threading.Thread(target=first)
    thread.start()
    assert started.wait(10)
    with pytest.raises(ClaudeError, match="answering another cell"):
        exchange(sim.client(), chat, "meanwhile").run()
    thread.join(30)
    assert errors == [] and len(chat) == 1


# -- 12: every exit path closes the view -------------------------------------------------------


def test_a_tool_calling_sys_exit_still_closes_the_view() -> None:
    from claude_magic.tools import tool_set

    def leave() -> str:
        """Leave."""
        raise SystemExit(3)

    view, chat = Recorder(), Chat("x")
    tools = tool_set(["leave"], [], {"leave": leave})
    with pytest.raises(SystemExit):
        exchange(Simulator().client(), chat, "Use leave now", view, tools=tools).run()
    assert view.failed is not None  # the view is closed with what arrived
    assert chat.messages == []


# -- 14: a call that broke mid-stream is not recorded as nearly free --------------------------


def test_a_broken_stream_records_what_was_streamed_as_an_estimate() -> None:
    sim = Simulator()
    words = " ".join(f"word{i}" for i in range(330))
    sim.script(words)
    sim.error_after(60)  # about 170 words in
    ledger: list[CallRecord] = []
    with pytest.raises(ExchangeFailed):
        exchange(sim.client(), Chat("x"), "talk", on_call=lambda c, t: ledger.append(c)).run()
    (call,) = ledger
    assert call.estimated and call.error
    assert call.usage["output_tokens"] > 150  # ~4 characters a token of what arrived
    assert call.cost_usd > 0


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("content_type", ["text/html", "application/json"])
def test_a_page_that_is_not_a_message_is_one_clear_error(stream: bool, content_type: str) -> None:
    """A proxy's login page (HTTP 200) instead of the API: the SDK returns the page as a
    str, fails to decode it, or streams no event; the cell says what came back."""

    def handler(request: httpx2.Request) -> httpx2.Response:
        page = b"<html><body>Proxy login</body></html>"
        return httpx2.Response(200, content=page, headers={"content-type": content_type})

    client = anthropic.Anthropic(
        api_key="x",
        base_url="http://t",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    chat = Chat("c")
    ex = exchange(client, chat, "hi")
    ex.stream = stream
    with pytest.raises(ExchangeFailed, match="not a Messages API reply") as failed:
        ex.run()
    assert "ANTHROPIC_BASE_URL" in str(failed.value)
    assert "Traceback" not in str(failed.value) and "Error:" not in str(failed.value)
    said = {  # what came back, as far as the SDK still has it
        (True, "text/html"): "content-type text/html",
        (True, "application/json"): "content-type application/json",
        (False, "text/html"): "'<html><body>Proxy login",
        (False, "application/json"): "JSON that does not parse",
    }[stream, content_type]
    assert said in str(failed.value)
    assert chat.turns == [] and ex.turn.calls == []


def test_new_tells_the_view_how_many_turns_it_drops() -> None:
    sim = Simulator()
    chat = Chat("c")
    for prompt in ("one", "two"):
        exchange(sim.client(), chat, prompt).run()
    view = Recorder()
    exchange(sim.client(), chat, "three", view=view, fresh=True).run()
    assert view.calls[0][1].reset_turns == 2
    assert [t.user["content"][0]["text"] for t in chat.turns] == ["three"]
