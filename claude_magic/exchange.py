"""One exchange: the API calls of one cell, streamed into a View, committed when complete.

The SDK's `messages.stream()` folds each call's events into a message; this module folds
what spans calls into a `Turn` (the tool loop and `pause_turn` resumptions), records every
billed call in the ledger (failed ones too), and commits the turn to its chat only when the
exchange completes. On an error, a dropped stream or an interrupt the chat is unchanged, the
view keeps the partial reply and says what happened. No IPython or widget import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .chat import Chat
from .errors import ExchangeFailed, TruncatedStream, explain
from .request import RequestOptions, build_request, merge_prefill
from .turn import CallRecord, Turn
from .views.base import ExchangeInfo, View

DEFAULT_MAX_ITERATIONS = 10
FINAL_STOP_REASONS = ("end_turn", "max_tokens", "stop_sequence", "refusal")
# Fields of response content blocks that are not part of the request's block params.
_RESPONSE_ONLY_FIELDS = ("parsed_output",)


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
    tools: Sequence[Any] = ()
    """LocalTool objects (see tools.py) the model may call; their schemas are in options."""
    max_iterations: int = DEFAULT_MAX_ITERATIONS
    on_call: Callable[[CallRecord, Turn], None] = lambda call, turn: None
    """Called with every billed call (the usage ledger), failed ones included."""
    clock: Callable[[], float] = time.perf_counter
    stream: bool = True
    """False sends non-streaming requests (the view then shows only the final record)."""
    fresh: bool = False
    """`--new`: send no history, and empty the chat when (only when) the turn commits."""
    turn: Turn = field(init=False)
    last_message: Any = field(init=False, default=None)
    """The last call's `anthropic` Message object (for `-o/--out`)."""

    def __post_init__(self) -> None:
        self.turn = Turn(
            chat=self.chat.name,
            cell_id=self.cell_id,
            user=self.user,
            model=self.options.model,
            execution_count=self.execution_count,
            system=self.options.system,
        )

    def run(self) -> tuple[Turn, int]:
        """Run the exchange; returns the committed turn and how many later turns it dropped."""
        if self.fresh:
            history, dropped = [], 0
        else:
            history, dropped = self.chat.history_for(self.cell_id)
        self.view.begin(
            ExchangeInfo(
                chat=self.chat.name,
                model=self.options.model,
                offline=self.offline,
                cell_id=self.cell_id,
                dropped_turns=max(dropped - 1, 0),
                prefill=self.options.prefill,
            )
        )
        try:
            self._loop(history)
        except KeyboardInterrupt:
            self.view.fail(
                "Interrupted. Nothing was added to the chat; the partial reply above is "
                "not part of the conversation. Run the cell again to retry.",
                self.turn,
            )
            raise
        except Exception as exc:
            message = exc.args[0] if isinstance(exc, ExchangeFailed) else self._explain(exc)
            self.view.fail(message, self.turn)
            if isinstance(exc, ExchangeFailed):
                raise
            raise ExchangeFailed(message, self.turn) from exc
        if self.fresh:
            self.chat.reset()
        dropped_later = self.chat.commit(self.turn)
        self.view.finish(self.turn, self.chat.cost_usd)
        return self.turn, dropped_later

    def _explain(self, exc: BaseException) -> str:
        return explain(exc, model=self.options.model, offline=self.offline)

    def _loop(self, history: list[dict[str, Any]]) -> None:
        for _ in range(self.max_iterations):
            request = build_request(history, self.user, self.options, self.turn.replies)
            first_call = not self.turn.replies
            message = self._call(request)
            content = message["content"]
            if first_call:
                content = merge_prefill(content, self.options.prefill)
            self.turn.replies.append({"role": "assistant", "content": content})
            stop_reason = message["stop_reason"]
            if stop_reason == "tool_use":
                self.turn.replies.append(self._run_tools(content))
            elif stop_reason != "pause_turn":
                return
        raise ExchangeFailed(
            f"Stopped after {self.max_iterations} API calls and the model still wants to "
            "continue (tool loop). Nothing was added to the chat; raise --max-iterations "
            "or change the prompt.",
            self.turn,
        )

    def _call(self, request: dict[str, Any]) -> dict[str, Any]:
        """One streamed API call; returns the final message as a plain dict."""
        started_at = datetime.now(timezone.utc).isoformat()
        start = self.clock()
        ttft: float | None = None
        stream = None
        try:
            if not self.stream:
                final = self.client.messages.create(**request, timeout=600)
                request_id = getattr(final, "_request_id", None)
            else:
                with self.client.messages.stream(**request) as stream:
                    for event in stream:
                        if ttft is None and event.type == "content_block_delta":
                            ttft = self.clock() - start
                        self.view.on_event(event)
                    final = stream.get_final_message()
                request_id = stream.request_id
        except BaseException as exc:
            snapshot = _snapshot(stream)
            if snapshot is not None:  # message_start arrived: the call was billed
                self._record(snapshot, started_at, start, ttft, error=_error_text(exc))
            raise
        self.last_message = final
        message = _message_dict(final)
        if message["stop_reason"] is None:
            self._record(message, started_at, start, ttft, error="stream ended early")
            raise TruncatedStream()
        self._record(message, started_at, start, ttft, request_id=request_id)
        return message

    def _record(
        self,
        message: dict[str, Any],
        started_at: str,
        start: float,
        ttft: float | None,
        *,
        request_id: str | None = None,
        error: str | None = None,
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
            cost_usd=cost_usd(model, usage),
            error=error,
        )
        self.turn.calls.append(call)
        self.on_call(call, self.turn)
        self.view.on_call_end(call)

    def _run_tools(self, content: list[dict[str, Any]]) -> dict[str, Any]:
        """Run every tool_use block of a response, in order; one user turn of results."""
        from .tools import run_tool_uses, tool_result_block

        tool_uses = [block for block in content if block.get("type") == "tool_use"]
        results = []
        for outcome in run_tool_uses(list(self.tools), tool_uses):
            self.view.on_tool_result(outcome)
            results.append(tool_result_block(outcome))
        return {"role": "user", "content": results}


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
    return {
        "id": message.id,
        "model": message.model,
        "content": [block_param(b) for b in message.content],
        "stop_reason": message.stop_reason,
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


def _error_text(exc: BaseException) -> str:
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted"
    return f"{type(exc).__name__}: {exc}"[:500]
