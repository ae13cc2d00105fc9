"""The simulator core: state plus ``handle(method, path, headers, body) -> SimResponse``.

No I/O and no SDK here; transport.py and server.py are thin adapters over ``handle``.
"""

from __future__ import annotations

import copy
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from . import catalog
from .batches import DEFAULT_SECONDS_PER_REQUEST, BatchStore
from .batches import MAX_BYTES as BATCH_MAX_BYTES
from .caching import PromptCache
from .errors import ApiError, invalid, request_id_for
from .recording import DEFAULT_MAX_BYTES, DEFAULT_MAX_ENTRIES, RecordedRequest, RequestLog
from .replies import Reply, block_id, generate
from .signing import DEFAULT_SECRET, Signer
from .stream import Event, error_event, finalize, message_json, recorded_message, sse_events
from .tokens import count_input_tokens
from .validation import check_auth, parse_json, validate_request

REDACTED = "REDACTED"
_SECRET_HEADERS = ("authorization", "x-api-key")


class StreamDropped(Exception):
    """Raised by a stream's chunk iterator where the connection should drop."""


@dataclass
class SimResponse:
    """One answer of ``Simulator.handle``: a JSON body, raw bytes, or a paced event stream.

    A stream is ``timed``: (seconds to wait first, chunk) pairs, so each adapter waits its own
    way (the sync transport and the server sleep in ``chunks``; the async transport awaits
    ``asyncio.sleep`` and so stays cancellable). Its iterator raises StreamDropped where the
    connection should drop.
    """

    status: int
    headers: dict[str, str]
    json: Any = None
    content: bytes | None = None  # a non-JSON body (e.g. JSONL), sent as is
    timed: Iterator[tuple[float, bytes]] | None = None
    sleep: Callable[[float], None] = time.sleep

    @property
    def is_stream(self) -> bool:
        return self.timed is not None

    @property
    def body(self) -> bytes:
        """The whole body of a response that is not a stream."""
        return self.content if self.content is not None else json.dumps(self.json).encode()

    def chunks(self) -> Iterator[bytes]:
        """The stream's chunks, sleeping before each as paced (closing it closes the stream)."""
        assert self.timed is not None, "not a stream"
        timed = self.timed
        try:
            for delay, chunk in timed:
                if delay > 0:
                    self.sleep(delay)
                yield chunk
        finally:
            close = getattr(timed, "close", None)
            if close is not None:
                close()


@dataclass
class _StreamFault:
    kind: str  # "error" | "drop"
    after: int
    error_type: str = "overloaded_error"
    message: str = "Overloaded"


class Simulator:
    """A local implementation of the Messages API with scripted replies and faults."""

    max_request_bytes = 32 * 1024 * 1024
    max_batch_bytes = BATCH_MAX_BYTES
    base_url = "https://offline.claude-magic.invalid"

    def __init__(
        self,
        token_rate: float | None = None,
        clock: Callable[[], float] | None = None,
        *,
        secret: bytes = DEFAULT_SECRET,
        sleep: Callable[[float], None] = time.sleep,
        log_limit: int = DEFAULT_MAX_ENTRIES,
        log_bytes: int = DEFAULT_MAX_BYTES,
        batch_clock: Callable[[], float] | None = None,
        batch_seconds_per_request: float = DEFAULT_SECONDS_PER_REQUEST,
    ) -> None:
        self.token_rate = token_rate
        self.clock = clock or time.monotonic
        self.signer = Signer(secret)  # signs thinking blocks, remembers those it sent
        self.sleep = sleep
        self.cache = PromptCache(lambda: self.clock())
        # The most recent requests (see recording.py): at most `log_limit` of them and
        # `log_bytes` of bodies, the newest always kept whole.
        self.requests = RequestLog(log_limit, log_bytes)
        self._lock = threading.RLock()
        self._queue: deque[Reply] = deque()
        self._failures: deque[ApiError] = deque()
        self._stream_faults: deque[_StreamFault] = deque()
        self._message_count = 0
        self._request_ids = 0
        self.last_exception: BaseException | None = None  # the last unexpected error (a 500)
        # Message Batches (batches.py): epoch time from `batch_clock` (default time.time) plus
        # `batches.advance(seconds)`; request k of a batch is done (k + 1) *
        # `batch_seconds_per_request` after its creation.
        self.batches = BatchStore(
            lambda params, headers: self._message(params, headers, tier="batch"),
            self._next_request_id,
            batch_clock,
            batch_seconds_per_request,
        )

    # ------------------------------------------------------------------ public controls

    def script(self, reply: str | dict) -> object:
        """Queue the next reply of /v1/messages (or of the next batch row).

        A str is one text block. A dict with a ``content`` list of blocks (and optionally
        ``stop_reason``, ``stop_details``, ``usage`` counters to override) is a scripted
        reply: missing ids are filled in, thinking blocks without a signature are signed,
        max_tokens and stop_sequences apply. A dict with ``"type": "message"`` is a Message
        as the API returned it (e.g. ``message.model_dump()``) and is replayed verbatim:
        content blocks with their signatures and ids, stop_reason, stop_sequence,
        stop_details, every usage counter and, when present, ``id`` and ``model``; it still
        streams as SSE, paced by ``token_rate``, and its thinking blocks are accepted back in
        a later request's history as long as they are unchanged.
        Returns a handle for `unscript`.
        """
        queued = _scripted(reply)
        with self._lock:
            self._queue.append(queued)
        return queued

    def unscript(self, handles: Iterable[object]) -> None:
        """Withdraw scripted replies not used yet (a replayed cell that stopped early must
        not leave its recorded answers to whatever asks next)."""
        withdrawn = {id(h) for h in handles}
        with self._lock:
            self._queue = deque(r for r in self._queue if id(r) not in withdrawn)

    def fail_next(
        self,
        n: int = 1,
        status: int = 529,
        retry_after: float | None = None,
        message: str | None = None,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        """The next `n` /v1/messages calls answer HTTP `status` with an API error body.

        `headers` are added to each response (e.g. the ``anthropic-ratelimit-*`` headers of a
        429, or ``x-should-retry``, which overrides the SDK's choice to retry).
        """
        headers = dict(headers or {})
        if retry_after is not None:
            headers["retry-after"] = _fmt_num(retry_after)
        with self._lock:
            for _ in range(n):
                self._failures.append(ApiError(status, message, error_type, headers))

    def error_after(
        self, k: int, error_type: str = "overloaded_error", message: str | None = None
    ) -> None:
        """The next stream sends `k` events, then an `event: error`, then ends."""
        err = ApiError(529, message, error_type)
        with self._lock:
            self._stream_faults.append(_StreamFault("error", k, err.error_type, err.message))

    def drop_after(self, k: int) -> None:
        """The next stream sends `k` events, then the connection drops."""
        with self._lock:
            self._stream_faults.append(_StreamFault("drop", k))

    def reset(self) -> None:
        with self._lock:
            self._queue.clear()
            self._failures.clear()
            self._stream_faults.clear()
            self.cache.clear()
            self.requests.clear()
        self.batches.clear()  # outside our lock: batch processing takes its lock, then ours

    def transport(self):
        from .transport import SimulatorTransport

        return SimulatorTransport(self)

    def client(self, **kwargs: Any):
        """An ``anthropic.Anthropic`` client wired to this simulator in-process."""
        import anthropic

        kwargs.setdefault("api_key", "offline-simulator")
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault("http_client", anthropic.DefaultHttpxClient(transport=self.transport()))
        return anthropic.Anthropic(**kwargs)

    def async_client(self, **kwargs: Any):
        """An ``anthropic.AsyncAnthropic`` client wired to this simulator in-process."""
        import anthropic

        kwargs.setdefault("api_key", "offline-simulator")
        kwargs.setdefault("base_url", self.base_url)
        kwargs.setdefault(
            "http_client", anthropic.DefaultAsyncHttpxClient(transport=self.transport())
        )
        return anthropic.AsyncAnthropic(**kwargs)

    # ------------------------------------------------------------------ the core

    def handle(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | Any,
        body: bytes = b"",
        origin: str | None = None,
    ) -> SimResponse:
        """Answer one HTTP request. Never raises: unexpected errors become 500 api_error.

        `origin` ("scheme://host[:port]") is where the client reached the simulator; URLs
        the simulator hands out (a batch's results_url) start with it (default: base_url).
        """
        hdrs = {str(k).lower(): str(v) for k, v in dict(headers).items()}
        rid = self._next_request_id()
        try:
            origin = origin or self.base_url
            return self._route(method.upper(), path, hdrs, body or b"", rid, origin)
        except ApiError as exc:
            return self._error(exc, rid)
        except Exception as exc:  # noqa: BLE001 - the simulator must never leak a traceback
            self.last_exception = exc
            return self._error(
                ApiError(
                    500,
                    f"Internal server error (offline simulator: {type(exc).__name__})",
                    "api_error",
                ),
                rid,
            )

    def _next_request_id(self) -> str:
        with self._lock:
            self._request_ids += 1
            return request_id_for(self._request_ids)

    def _error(self, exc: ApiError, rid: str) -> SimResponse:
        headers = {"content-type": "application/json", "request-id": rid, **exc.headers}
        return SimResponse(exc.status, headers, json=exc.body(rid))

    def _record(self, method: str, path: str, query: dict, headers: dict, body: bytes) -> None:
        safe = {k: (REDACTED if k in _SECRET_HEADERS else v) for k, v in headers.items()}
        self.requests.append(RecordedRequest(method, path, safe, body, query))

    def _route(
        self, method: str, raw_path: str, headers: dict, body: bytes, rid: str, origin: str
    ) -> SimResponse:
        parts = urlsplit(raw_path)
        path = parts.path.rstrip("/") or "/"
        query = parse_qs(parts.query)
        limit = self.max_batch_bytes if path == "/v1/messages/batches" else self.max_request_bytes
        if len(body) > limit:
            self._record(method, path, query, headers, b"")
            raise ApiError(
                413, "Request exceeds the maximum allowed number of bytes.", "request_too_large"
            )
        self._record(method, path, query, headers, body)
        found = next(
            ((methods, m) for pattern, methods in _ROUTES if (m := pattern.fullmatch(path))), None
        )
        if found is None:
            raise ApiError(404, f"Not found: {method} {path}", "not_found_error")
        methods, match = found
        if method not in methods:
            raise ApiError(405, f"Method {method} not allowed for {path}", "invalid_request_error")
        check_auth(headers)
        fn = getattr(self, methods[method])
        params = {k: unquote(v) for k, v in match.groupdict().items()}
        return fn(query=query, headers=headers, body=body, rid=rid, origin=origin, **params)

    def _json(self, data: Any, rid: str) -> SimResponse:
        return SimResponse(200, {"content-type": "application/json", "request-id": rid}, json=data)

    # ------------------------------------------------------------------ routes

    def _count_tokens(self, *, headers: dict, body: bytes, rid: str, **_: Any) -> SimResponse:
        data = parse_json(body)
        validate_request(data, headers, count_only=True, signer=self.signer)
        return self._json({"input_tokens": count_input_tokens(data)}, rid)

    def _messages(self, *, headers: dict, body: bytes, rid: str, **_: Any) -> SimResponse:
        with self._lock:
            if self._failures:
                raise self._failures.popleft()
        data = parse_json(body)
        message = self._message(data, headers)
        if not data.get("stream"):
            return self._json(message, rid)
        with self._lock:
            fault = self._stream_faults.popleft() if self._stream_faults else None
        headers_out = {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
            "request-id": rid,
        }
        timed = self._pace(sse_events(message), fault)
        return SimResponse(200, headers_out, timed=timed, sleep=self.sleep)

    def _message(self, data: dict, headers: dict, tier: str = "standard") -> dict:
        """The Message JSON /v1/messages answers for `data` (validated here; ApiError if not)."""
        model = validate_request(data, headers, signer=self.signer)
        total = count_input_tokens(data)
        if total > model.max_input_tokens:
            raise invalid(f"prompt is too long: {total} tokens > {model.max_input_tokens} maximum")
        with self._lock:
            self._message_count += 1
            msg_id = f"msg_offline_{self._message_count:04d}"
            scripted = self._queue.popleft() if self._queue else None
            cache = self.cache.account(data, model, total)
        if scripted is not None and scripted.recorded is not None:
            usage = dict(cache.usage_fields(), service_tier=tier)
            message = recorded_message(scripted.recorded, msg_id, model.id, usage)
        else:
            message = self._generated(data, model, msg_id, scripted, cache.usage_fields(), tier)
        self.signer.remember(message["content"])
        return message

    def _generated(
        self,
        data: dict,
        model: catalog.ModelInfo,
        msg_id: str,
        scripted: Reply | None,
        usage: dict[str, Any],
        tier: str,
    ) -> dict:
        reply = _bind_script(scripted, msg_id) if scripted else generate(data, model, msg_id)
        final = finalize(reply, data, msg_id, self.signer.secret)
        usage["output_tokens"] = final.output_tokens
        searches = sum(
            1
            for b in final.content
            if b.get("type") == "server_tool_use" and b.get("name") == "web_search"
        )
        fetches = sum(
            1
            for b in final.content
            if b.get("type") == "server_tool_use" and b.get("name") == "web_fetch"
        )
        if searches or fetches:
            usage["server_tool_use"] = {
                "web_search_requests": searches,
                "web_fetch_requests": fetches,
            }
        usage["service_tier"] = tier
        usage.update(reply.usage_overrides)
        return message_json(msg_id, model.id, final, usage)

    def _pace(
        self, events: list[Event], fault: _StreamFault | None
    ) -> Iterator[tuple[float, bytes]]:
        """(delay, chunk) per event: an event carrying n output tokens waits n / token_rate."""
        for n, event in enumerate(events):
            if fault is not None and n == fault.after:
                if fault.kind == "drop":
                    raise StreamDropped(f"connection dropped after {n} events")
                yield 0.0, error_event(fault.error_type, fault.message).encode()
                return
            rate = self.token_rate
            yield (event.tokens / rate if rate and event.tokens else 0.0), event.encode()

    def _list_models(self, *, query: dict, rid: str, **_: Any) -> SimResponse:
        models = [m.to_api() for m in catalog.MODELS.values() if m.lifecycle != "retired"]
        return self._json(_page(models, query, "model"), rid)

    def _get_model(self, *, model_id: str, rid: str, **_: Any) -> SimResponse:
        model = catalog.get_model(model_id)
        if model is None:
            raise ApiError(404, f"model: {model_id}", "not_found_error")
        return self._json(model.to_api(), rid)

    # ------------------------------------------------------------------ message batches

    def _create_batch(self, *, headers: dict, body: bytes, rid: str, origin: str, **_: Any):
        return self._json(self.batches.create(parse_json(body), headers, origin), rid)

    def _list_batches(self, *, query: dict, rid: str, **_: Any) -> SimResponse:
        return self._json(_page(self.batches.list(), query, "message_batch"), rid)

    def _get_batch(self, *, batch_id: str, rid: str, **_: Any) -> SimResponse:
        return self._json(self.batches.retrieve(batch_id), rid)

    def _delete_batch(self, *, batch_id: str, rid: str, **_: Any) -> SimResponse:
        return self._json(self.batches.delete(batch_id), rid)

    def _cancel_batch(self, *, batch_id: str, rid: str, **_: Any) -> SimResponse:
        return self._json(self.batches.cancel(batch_id), rid)

    def _batch_results(self, *, batch_id: str, rid: str, **_: Any) -> SimResponse:
        headers = {"content-type": "application/binary", "request-id": rid}
        return SimResponse(200, headers, content=self.batches.results(batch_id))


_ROUTES: list[tuple[re.Pattern[str], dict[str, str]]] = [
    (re.compile(p), methods)
    for p, methods in [
        (r"/v1/messages", {"POST": "_messages"}),
        (r"/v1/messages/count_tokens", {"POST": "_count_tokens"}),
        (r"/v1/messages/batches", {"POST": "_create_batch", "GET": "_list_batches"}),
        (
            r"/v1/messages/batches/(?P<batch_id>[^/]+)",
            {"GET": "_get_batch", "DELETE": "_delete_batch"},
        ),
        (r"/v1/messages/batches/(?P<batch_id>[^/]+)/cancel", {"POST": "_cancel_batch"}),
        (r"/v1/messages/batches/(?P<batch_id>[^/]+)/results", {"GET": "_batch_results"}),
        (r"/v1/models", {"GET": "_list_models"}),
        (r"/v1/models/(?P<model_id>.+)", {"GET": "_get_model"}),
    ]
]


def _page(items: list[dict], query: dict, kind: str) -> dict[str, Any]:
    """One page of a list endpoint: `limit` (1-1000, default 20), `after_id` / `before_id`."""
    ids = [item["id"] for item in items]
    try:
        limit = int(query.get("limit", ["20"])[0])
    except ValueError:
        raise invalid("limit: Input should be a valid integer") from None
    if not 1 <= limit <= 1000:
        raise invalid("limit: Input should be between 1 and 1000")
    after = query.get("after_id", [None])[0]
    before = query.get("before_id", [None])[0]
    for anchor in (after, before):
        if anchor is not None and anchor not in ids:
            raise ApiError(404, f"{kind}: {anchor}", "not_found_error")
    if before is not None:
        end = ids.index(before)
        window = items[max(0, end - limit) : end]
        has_more = end - limit > 0
    else:
        start = ids.index(after) + 1 if after is not None else 0
        window = items[start : start + limit]
        has_more = start + limit < len(items)
    return {
        "data": window,
        "has_more": has_more,
        "first_id": window[0]["id"] if window else None,
        "last_id": window[-1]["id"] if window else None,
    }


def _fmt_num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _scripted(reply: str | dict) -> Reply:
    if isinstance(reply, str):
        return Reply(content=[{"type": "text", "text": reply}], stop_reason="end_turn")
    if not isinstance(reply, dict) or not isinstance(reply.get("content", []), list):
        raise TypeError("script() takes a str or a dict with a 'content' list of blocks")
    if reply.get("type") == "message":
        return Reply(content=[], recorded=copy.deepcopy(reply))
    content = copy.deepcopy(reply.get("content", []))
    stop = reply.get("stop_reason") or (
        "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"
    )
    return Reply(
        content=content,
        stop_reason=stop,
        usage_overrides=dict(reply.get("usage") or {}),
        stop_details=copy.deepcopy(reply.get("stop_details")),
    )


def _bind_script(reply: Reply, msg_id: str) -> Reply:
    """Give scripted blocks ids where missing (thinking signatures come in finalize)."""
    bound = copy.deepcopy(reply)
    for n, block in enumerate(bound.content, start=1):
        if block.get("type") in ("tool_use", "server_tool_use") and not block.get("id"):
            prefix = "toolu" if block["type"] == "tool_use" else "srvtoolu"
            block["id"] = block_id(prefix, msg_id, n)
            block.setdefault("input", {})
        if block.get("type") == "thinking":
            block.setdefault("thinking", "")
            block.setdefault("signature", "")
    return bound
