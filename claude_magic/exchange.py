"""One exchange: the API calls of one cell, streamed into a View, committed when complete.

The SDK's `messages.stream()` folds each call's events into a message; this module folds
what spans calls into a `Turn` (the tool loop and `pause_turn` resumptions), owns the
partial reply of the call in flight and the prefill, records every billed call in the
ledger (failed ones too, with what was streamed as an estimate), and commits the turn to
its chat only when the exchange completes. On an error, a dropped stream, an interrupt, a
refusal or a reply cut off inside a tool call, the chat is unchanged and the view keeps the
partial reply and says what happened. No IPython or widget import.
"""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .chat import Chat, ChatRegistry
from .errors import ClaudeError, ExchangeFailed, TruncatedStream, explain
from .formatting import plural
from .offline.tokens import text_tokens
from .protocol import BlockKey, ExchangeInfo, View
from .request import RequestOptions, build_request, merge_prefill
from .turn import CallRecord, Turn, message_blocks

DEFAULT_MAX_ITERATIONS = 10
_DELTA_TEXT = {
    "text_delta": "text",
    "thinking_delta": "thinking",
    "input_json_delta": "partial_json",
}
"""The field of each streamed delta type that carries text a view appends."""
_STREAMED_FIELDS = {"text": "text", "thinking": "thinking"}
# Fields of response content blocks that are not part of the request's block params.
_RESPONSE_ONLY_FIELDS = ("parsed_output",)
_running = threading.local()
"""`.exchange`: the exchange running in this thread (a tool may not start another)."""


class Refused(ExchangeFailed):
    """The model refused (stop_reason "refusal"); the refused turn was not committed."""


@dataclass
class Exchange:
    """Everything one cell's exchange needs; `run()` does it."""

    client: Any
    chat: Chat
    user: dict[str, Any]
    options: RequestOptions
    view: View
    offline: bool
    cell_id: str | None = None
    execution_count: int | None = None
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    on_call: Callable[[CallRecord, Turn], None] = lambda call, turn: None
    """Called with every billed call (the usage ledger), failed ones included."""
    clock: Callable[[], float] = time.perf_counter
    stream: bool = True
    """False sends non-streaming requests (the view then shows only the final record)."""
    fresh: bool = False
    """`--new`: send no history, and empty the chat when (only when) the turn commits."""
    chats: ChatRegistry | None = None
    """The kernel's chats: a cell owns one turn in one chat, so committing here removes the
    cell's earlier turn from any other chat."""
    notice: str | None = None
    """A line the view shows before the reply (e.g. a replay that fell back)."""
    replayed: bool = False
    """The client plays a recording (`%claude replay`): its calls are marked replayed."""
    budget: Any = None
    """The kernel's `Budget` (None: no cap): every request is checked before it is sent,
    and the footer shows what is left."""
    turn: Turn = field(init=False)
    last_message: Any = field(init=False, default=None)
    """The last call's `anthropic` Message object (for `-o/--out`)."""
    _partial: dict[str, Any] | None = field(init=False, default=None)
    """The assistant message of the call in flight (or the last one, refused or cut)."""
    _feed: ViewFeed = field(init=False)

    def __post_init__(self) -> None:
        self.turn = Turn(
            chat=self.chat.name,
            cell_id=self.cell_id,
            user=self.user,
            model=self.options.model,
            execution_count=self.execution_count,
            system=self.options.system,
        )
        self._feed = ViewFeed(self.view, self.options.prefill)

    # -- the exchange ---------------------------------------------------------------------

    def run(self) -> tuple[Turn, int]:
        """Run the exchange; returns the committed turn and how many later turns it dropped."""
        if getattr(_running, "exchange", None) is not None:
            raise ClaudeError(
                "A %%claude cell cannot run inside another exchange (a tool that runs "
                "%%claude, or get_ipython().run_cell_magic from a tool). Return data from "
                "the tool instead; the model can ask a follow-up itself."
            )
        if not self.chat.lock.acquire(blocking=False):
            raise ClaudeError(
                f"Chat {self.chat.name!r} is answering another cell right now (a thread or "
                "an async task). Wait for it to finish, or use another chat with -c NAME."
            )
        _running.exchange = self
        try:
            return self._run()
        finally:
            _running.exchange = None
            self.chat.lock.release()

    def _run(self) -> tuple[Turn, int]:
        history, dropped = ([], 0) if self.fresh else self.chat.history_for(self.cell_id)
        moved_from = self._other_chat()
        self.view.begin(
            ExchangeInfo(
                chat=self.chat.name,
                model=self.options.model,
                offline=self.offline,
                cell_id=self.cell_id,
                dropped_turns=max(dropped - 1, 0),
                reset_turns=len(self.chat) if self.fresh else 0,
                moved_from=moved_from.name if moved_from else None,
                notice=self.notice,
                budget_left_usd=self.budget.left_usd if self.budget is not None else None,
                kept=self._kept_turn(moved_from),
            )
        )
        try:
            self._loop(history)
        except ClaudeError:  # ExchangeFailed, BudgetExceeded: already in plain words
            self._fail()
            raise
        except Exception as exc:
            self._fail()
            raise ExchangeFailed(self._explain(exc), self.turn) from exc
        except BaseException:  # an interrupt, or SystemExit from a tool: close the view too
            self._fail()
            raise
        return self._commit(moved_from)

    def _other_chat(self) -> Chat | None:
        """The other chat holding this cell's earlier turn, if the cell moved chats."""
        if self.chats is None or self.cell_id is None:
            return None
        holder = self.chats.holder(self.cell_id)
        return holder if holder is not None and holder is not self.chat else None

    def _kept_turn(self, moved_from: Chat | None) -> Turn | None:
        """The turn this cell has in a chat now (it stays there if the exchange fails)."""
        holder = moved_from or self.chat
        index = holder.index_of(self.cell_id)
        return holder.turns[index] if index is not None else None

    def _cells_after_commit(self, moved_from: Chat | None) -> dict[str, list[str]] | None:
        """Every chat's cell ids as the commit will leave them (None if a turn has no id)."""
        if self.chats is None or self.cell_id is None:
            return None
        cells: dict[str, list[str | None]] = {c.name: [t.cell_id for t in c] for c in self.chats}
        if moved_from is not None:
            cells[moved_from.name].remove(self.cell_id)
        kept = self.chat.turns[: self.turn.position]
        cells[self.chat.name] = [*(t.cell_id for t in kept), self.cell_id]
        if any(None in ids for ids in cells.values()):
            return None
        return {name: ids for name, ids in cells.items() if ids}  # type: ignore[misc]

    def _commit(self, moved_from: Chat | None) -> tuple[Turn, int]:
        """Show the final record and commit the turn as one step: an interrupt that arrives
        meanwhile is held until both are done (then raised), so the notebook's record and
        the chat never disagree."""
        if self.fresh:
            running_cost, self.turn.position = self.turn.cost_usd, 0
        else:
            running_cost = self.chat.cost_before(self.cell_id) + self.turn.cost_usd
            self.turn.position = self.chat.position_for(self.cell_id)
        self.turn.chat_cells = self._cells_after_commit(moved_from)
        with _interrupts_held():
            self.view.finish(self.turn, running_cost)
            if moved_from is not None:
                moved_from.remove(self.cell_id)
            if self.fresh:
                self.chat.reset()
            dropped_later = self.chat.commit(self.turn)
        return self.turn, dropped_later

    def _fail(self) -> None:
        """Show what arrived (the partial reply included); the error raised next says why."""
        replies = [*self.turn.replies, *([self._partial] if self._partial else [])]
        shown = Turn(
            chat=self.turn.chat,
            cell_id=self.turn.cell_id,
            user=self.turn.user,
            replies=replies,
            calls=self.turn.calls,
            model=self.turn.model,
            execution_count=self.turn.execution_count,
        )
        self.view.fail(shown)

    def _explain(self, exc: BaseException) -> str:
        return explain(exc, model=self.options.model, offline=self.offline)

    def _loop(self, history: list[dict[str, Any]]) -> None:
        for call in range(1, self.max_iterations + 1):
            request = build_request(history, self.user, self.options, self.turn.replies)
            message = self._call(request, later_call=call > 1)
            self._partial = self._reply(message["content"])
            content = self._partial["content"]
            stop_reason = message["stop_reason"]
            _check_reply(message, content, self.options)
            self._partial = None
            if content:  # an empty assistant message would make every later request a 400
                self.turn.replies.append({"role": "assistant", "content": content})
            if stop_reason not in ("tool_use", "pause_turn"):
                return
            if call == self.max_iterations:
                break
            if stop_reason == "tool_use":
                self.turn.replies.append(self._run_tools(content))
        raise ExchangeFailed(self._out_of_iterations(content), self.turn)

    def _out_of_iterations(self, content: list[dict[str, Any]]) -> str:
        """Why the loop stopped; tools the last reply asked for are not run (their results
        could not be sent, and running the cell again would run them again)."""
        names = [str(b.get("name")) for b in content if b.get("type") == "tool_use"]
        calls = plural(self.max_iterations, "API call")
        wants = (
            f"the model asked for {', '.join(names)}, which was not run (its result would "
            "need another call)"
            if names
            else "the model still wants to continue (pause_turn)"
        )
        return (
            f"Stopped after {calls} (--max-iterations {self.max_iterations}): {wants}. "
            "Nothing was added to the chat; raise --max-iterations or change the prompt."
        )

    # -- one API call ---------------------------------------------------------------------

    def _call(self, request: dict[str, Any], *, later_call: bool = False) -> dict[str, Any]:
        """One API call (streamed unless --no-stream); returns the final message as a dict."""
        if self.budget is not None:
            self.budget.check(request, later_call=later_call)
        self._feed.start_call()
        started_at = datetime.now(timezone.utc).isoformat()
        start = self.clock()
        ttft: float | None = None
        stream = None
        try:
            if not self.stream:
                try:
                    final = self.client.messages.create(**request)
                except json.JSONDecodeError:
                    raise ExchangeFailed(self._not_a_message("JSON that does not parse")) from None
                if isinstance(final, str):  # the SDK's answer to a 200 body that is not JSON
                    raise ExchangeFailed(self._not_a_message(f"not JSON: {final[:60]!r}"))
                request_id = getattr(final, "_request_id", None)
            else:
                with self.client.messages.stream(**request) as stream:
                    started = False
                    for event in stream:
                        started = started or event.type == "message_start"
                        if ttft is None and event.type == "content_block_delta":
                            ttft = self.clock() - start
                        self._feed.event(event)
                    if not started:  # the SDK skips what is not an SSE event
                        kind = stream.response.headers.get("content-type") or "none"
                        raise ExchangeFailed(
                            self._not_a_message(f"content-type {kind}, no stream events")
                        )
                    final = stream.get_final_message()
                request_id = stream.request_id
                self._feed.end_call()
        except BaseException as exc:
            snapshot = _snapshot(stream)
            if snapshot is not None:  # message_start arrived: the call was billed
                self._partial = self._reply(snapshot["content"])
                usage, estimated = _streamed_usage(snapshot)
                snapshot["usage"] = usage
                self._record(
                    snapshot, started_at, start, ttft, error=_error_text(exc), estimated=estimated
                )
            raise
        self.last_message = final
        message = _message_dict(final)
        if message["stop_reason"] is None:
            self._partial = self._reply(message["content"])
            self._record(message, started_at, start, ttft, error="stream ended early")
            raise TruncatedStream()
        self._record(message, started_at, start, ttft, request_id=request_id)
        return message

    def _not_a_message(self, what: str) -> str:
        where = "the offline simulator" if self.offline else "the Claude API"
        return (
            f"The answer from {where} is not a Messages API reply (HTTP 200, {what}): a proxy "
            "or login page, or ANTHROPIC_BASE_URL pointing at something else? Nothing was "
            "added to the chat."
        )

    def _reply(self, content: list[dict[str, Any]]) -> dict[str, Any]:
        """A call's content as the chat keeps it: the first call's text starts with the
        prefill, and empty text blocks (which the API rejects when sent back) are gone."""
        kept = [b for b in content if not _empty_text(b)]
        if self._feed.calls == 1:
            kept = merge_prefill(kept, self.options.prefill)
        return {"role": "assistant", "content": kept}

    def _record(
        self,
        message: dict[str, Any],
        started_at: str,
        start: float,
        ttft: float | None,
        *,
        request_id: str | None = None,
        error: str | None = None,
        estimated: bool = False,
    ) -> None:
        from .pricing import cost_usd

        model = message.get("model") or self.options.model
        usage = message.get("usage") or {}
        call = CallRecord(
            model=model,
            usage=usage,
            stop_reason=message.get("stop_reason"),
            request_id=request_id,
            started_at=started_at,
            ttft_s=ttft,
            total_s=self.clock() - start,
            offline=self.offline,
            cost_usd=cost_usd(model, usage, batch=usage.get("service_tier") == "batch"),
            error=error,
            estimated=estimated,
            replayed=self.replayed,
        )
        self.turn.calls.append(call)
        self.on_call(call, self.turn)
        self.view.call_end(call)

    def _run_tools(self, content: list[dict[str, Any]]) -> dict[str, Any]:
        """Run every tool_use block of a response, in order; one user turn of results."""
        from .tools import tool_result_block

        tool_uses = [block for block in content if block.get("type") == "tool_use"]
        results = []
        for outcome in self.options.tools.run(tool_uses):
            self.view.tool_result(outcome)
            results.append(tool_result_block(outcome))
        return {"role": "user", "content": results}


class ViewFeed:
    """Hands a call's SDK stream events to a view as block start / delta / stop.

    The first call's first text block starts with the prefill (a first call without text
    gets a text block of its own at its end), so views never need to know about it.
    """

    def __init__(self, view: View, prefill: str | None = None) -> None:
        self.view = view
        self.calls = 0
        self._prefill = prefill or None
        self._prefilled: BlockKey | None = None
        self._full_prefill = self._prefill

    def start_call(self) -> None:
        self.calls += 1

    def event(self, event: Any) -> None:
        kind = event.type
        if kind == "content_block_delta":
            delta = event.delta
            name = _DELTA_TEXT.get(delta.type)
            if name is not None:
                self.view.block_delta((self.calls, event.index), getattr(delta, name))
        elif kind == "content_block_start":
            key = (self.calls, event.index)
            block = block_param(event.content_block)
            self.view.block_start(key, block)
            if self._prefill and block.get("type") == "text" and self.calls == 1:
                self.view.block_delta(key, self._prefill)
                self._prefill, self._prefilled = None, key
        elif kind == "content_block_stop":
            key = (self.calls, event.index)
            block = block_param(event.content_block)
            if key == self._prefilled:
                block = merge_prefill([block], self._full_prefill)[0]
            self.view.block_stop(key, block)

    def end_call(self) -> None:
        if self._prefill and self.calls == 1:
            key = (1, -1)
            self.view.block_start(key, {"type": "text", "text": ""})
            self.view.block_delta(key, self._prefill)
            self.view.block_stop(key, {"type": "text", "text": self._prefill})
            self._prefill = None


def _check_reply(message: dict[str, Any], content: list[dict[str, Any]], options: Any) -> None:
    """Refuse to commit a reply the chat must not hold: a refusal, or a tool call with no
    result to follow it (the API rejects a history with an unanswered tool_use)."""
    stop_reason = message["stop_reason"]
    if stop_reason == "refusal":
        raise Refused(refusal_message(message.get("stop_details")))
    tool_uses = [b for b in content if b.get("type") == "tool_use"]
    if tool_uses and stop_reason != "tool_use":
        names = ", ".join(str(b.get("name")) for b in tool_uses)
        if stop_reason == "max_tokens":
            why = f"cut off by max_tokens ({options.max_tokens:,}) in the middle of a tool call"
            fix = "Raise --max-tokens and run the cell again."
        else:
            why = f"ended ({stop_reason}) with a tool call the model did not hand over"
            fix = "Run the cell again."
        raise ExchangeFailed(
            f"The reply was {why} ({names}), so the tool was not run and nothing was added "
            f"to the chat (a tool call without its result would break every later cell). {fix}"
        )


def refusal_message(details: dict[str, Any] | None) -> str:
    """What a refused cell says: the category and explanation when the API gives them."""
    details = details or {}
    category = details.get("category")
    explanation = details.get("explanation")
    what = "Claude declined to answer (stop_reason: refusal" + (
        f", category: {category})." if category else ")."
    )
    said = f" {explanation}" if explanation else ""
    return (
        f"{what}{said} Nothing was added to the chat: after a refusal the docs advise going "
        "on from a context without it. Rephrase the prompt and run the cell again."
    )


def _empty_text(block: dict[str, Any]) -> bool:
    """An empty text block: the API returns them, and rejects them when they are sent back."""
    return block.get("type") == "text" and not block.get("text")


@contextlib.contextmanager
def _interrupts_held() -> Iterator[None]:
    """Hold SIGINT (the kernel's interrupt) until the block is done, then raise it."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    except ValueError:  # not the main interpreter
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if held:
        raise KeyboardInterrupt


def block_param(block: Any) -> dict[str, Any]:
    """A response content block as the dict the next request sends back."""
    data = (
        block.model_dump(mode="json", exclude_none=True)
        if hasattr(block, "model_dump")
        else dict(block)
    )
    for key in _RESPONSE_ONLY_FIELDS:
        data.pop(key, None)
    return data


def _message_dict(message: Any) -> dict[str, Any]:
    usage = message.usage.model_dump(mode="json", exclude_none=True) if message.usage else {}
    details = getattr(message, "stop_details", None)
    return {
        "id": message.id,
        "model": message.model,
        "content": [block_param(b) for b in message.content],
        "stop_reason": message.stop_reason,
        "stop_details": block_param(details) if details is not None else None,
        "usage": usage,
    }


def _snapshot(stream: Any) -> dict[str, Any] | None:
    """The message so far of a stream that failed, if its message_start arrived."""
    if stream is None:
        return None
    try:
        snapshot = stream.current_message_snapshot
    except (AssertionError, AttributeError):
        return None
    return _message_dict(snapshot) | {"stop_reason": None}


def _streamed_usage(snapshot: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The usage of a call that broke mid-stream: output tokens are only known at the end,
    so what was streamed is counted (about 4 characters a token) and flagged as an estimate."""
    usage = dict(snapshot.get("usage") or {})
    streamed = 0
    for block in message_blocks(snapshot):
        field_name = _STREAMED_FIELDS.get(str(block.get("type")))
        if field_name is not None:
            streamed += text_tokens(str(block.get(field_name) or ""))
        elif "input" in block:
            streamed += text_tokens(str(block.get("input") or ""))
    reported = int(usage.get("output_tokens") or 0)
    if streamed <= reported:
        return usage, False
    return usage | {"output_tokens": streamed}, True


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"[:500]
