"""A stand-in for the real Messages API that is NOT the project's simulator.

Tests that must not only agree with our own simulator (recording a "teacher" notebook for
replay, say) talk to this instead: a small loopback server written from the documented
wire format (api-notes.md §3), with its own SSE writer, its own wording, thinking blocks
signed with signatures the simulator has never seen, and usage it makes up per request.

Replies: a thinking block (display omitted: empty text plus a signature), then either a
`tool_use` of the first offered tool when the prompt says "use <tool>" (stop_reason
tool_use), or a text that quotes the prompt and counts the requests (end_turn). With
`output_config.format` the text is JSON built from the schema and the prompt (strings quote
the prompt, integers are its length), so each row of a batch gets its own answer. A request
without `"stream": true` gets the Message as JSON.

Message Batches (the documented shapes of /v1/messages/batches): a batch is `in_progress`
(every request counted as `processing`) for its first `polls_to_end` retrieves, then
`ended`; its results are JSONL in reverse submission order at a `results_url`; a row whose
prompt is longer than `max_prompt_chars` ends `errored` with the API's "prompt is too long"
error, the rest `succeeded` with `usage.service_tier: "batch"`. `fail_next(n)` makes the
next n /v1/messages calls answer 529 with a `retry-after` header.
"""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _sse(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


def _prompt(messages: list[dict[str, Any]]) -> str:
    content = messages[-1]["content"]
    if isinstance(content, str):
        return content
    return " ".join(str(b.get("text", "")) for b in content if b.get("type") == "text")


def _value(schema: dict[str, Any], prompt: str, root: dict[str, Any]) -> Any:
    """A value of `schema` made from the prompt (this fake's own rule, not the simulator's)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return _value((root.get("$defs") or root.get("definitions") or {})[name], prompt, root)
    if "enum" in schema:
        return schema["enum"][len(prompt) % len(schema["enum"])]
    if "anyOf" in schema:
        return _value(next(s for s in schema["anyOf"] if s.get("type") != "null"), prompt, root)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next(k for k in kind if k != "null")
    if kind == "object":
        props = schema.get("properties") or {}
        return {k: _value(v, prompt, root) for k, v in props.items()}
    if kind == "array":
        return [_value(schema.get("items") or {"type": "string"}, prompt, root)]
    if kind == "integer":
        return len(prompt)
    if kind == "number":
        return len(prompt) / 2
    if kind == "boolean":
        return len(prompt) % 2 == 0
    return prompt.strip()[:40]


CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class FakeApi:
    """`with FakeApi() as api:` serves on `api.url`; `api.requests` holds every body."""

    def __init__(self, *, polls_to_end: int = 2, max_prompt_chars: int | None = None) -> None:
        self.requests: list[dict[str, Any]] = []
        self.batches: dict[str, dict[str, Any]] = {}
        self.polls_to_end = polls_to_end
        self.max_prompt_chars = max_prompt_chars
        self.failures = 0
        self.batch_service_tier: str | None = "batch"
        """usage.service_tier of batch results (None: left out, as a proxy might)."""
        self.lock = threading.Lock()
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def send(self, status: int, payload: bytes, **headers: str) -> None:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                for name, value in headers.items():
                    self.send_header(name.replace("_", "-"), value)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                parts = self.path.rstrip("/").split("/")  # /v1/messages/batches/{id}[/results]
                batch = owner.batches.get(parts[4]) if len(parts) >= 5 else None
                if batch is None:
                    error = {"type": "not_found_error", "message": f"Not found: {self.path}"}
                    self.send(404, json.dumps({"type": "error", "error": error}).encode())
                elif len(parts) == 6 and parts[5] == "results":
                    lines = [json.dumps(r) for r in reversed(batch["results"])]
                    self.send(200, ("\n".join(lines) + "\n").encode())
                else:
                    with owner.lock:
                        batch["polls"] += 1
                    self.send(200, json.dumps(owner.batch_json(batch)).encode())

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                body = json.loads(self.rfile.read(int(self.headers["content-length"])) or b"{}")
                path = self.path.rstrip("/")
                with owner.lock:
                    owner.requests.append(body)
                    n = len(owner.requests)
                if path == "/v1/messages/count_tokens":
                    payload = json.dumps({"input_tokens": len(json.dumps(body)) // 4}).encode()
                    self.send(200, payload)
                    return
                if path == "/v1/messages/batches":
                    status, answer = owner.create_batch(body, self.headers.get("host", ""))
                    self.send(status, json.dumps(answer).encode())
                    return
                if path.startswith("/v1/messages/batches/") and path.endswith("/cancel"):
                    batch = owner.batches[path.split("/")[4]]
                    batch["canceled"] = True
                    self.send(200, json.dumps(owner.batch_json(batch)).encode())
                    return
                with owner.lock:
                    failing, owner.failures = owner.failures > 0, max(owner.failures - 1, 0)
                if failing:
                    error = {"type": "overloaded_error", "message": "Overloaded (fake)"}
                    payload = json.dumps({"type": "error", "error": error}).encode()
                    self.send(529, payload, retry_after="0")
                    return
                if not body.get("stream"):
                    self.send(200, json.dumps(owner.message(body, n)).encode())
                    return
                events = owner.reply(body, n)
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("request-id", f"req_fake_{len(owner.requests):03d}")
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                for chunk in events:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.write(b"0\r\n\r\n")

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> FakeApi:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, n: int = 1) -> None:
        """The next `n` /v1/messages calls answer 529 overloaded, with `retry-after: 0`."""
        with self.lock:
            self.failures += n

    # -- Message Batches -----------------------------------------------------------------

    def create_batch(self, body: dict[str, Any], host: str) -> tuple[int, dict[str, Any]]:
        requests = body.get("requests") or []
        ids = [r.get("custom_id") for r in requests]
        bad = [i for i in ids if not isinstance(i, str) or not CUSTOM_ID.fullmatch(i)]
        if bad or len(set(ids)) != len(ids) or not requests:
            error = {"type": "invalid_request_error", "message": f"bad custom_id(s): {bad[:3]}"}
            return 400, {"type": "error", "error": error}
        with self.lock:
            batch_id = f"msgbatch_fake{len(self.batches) + 1:03d}"
            batch = {"id": batch_id, "polls": 0, "canceled": False, "host": host, "results": []}
            self.batches[batch_id] = batch
        for request in requests:
            batch["results"].append({"custom_id": request["custom_id"],
                                     "result": self.batch_result(request["params"])})  # fmt: skip
        return 200, self.batch_json(batch)

    def batch_result(self, params: dict[str, Any]) -> dict[str, Any]:
        prompt = _prompt(params["messages"])
        if self.max_prompt_chars is not None and len(prompt) > self.max_prompt_chars:
            error = {
                "type": "invalid_request_error",
                "message": f"prompt is too long: {len(prompt)} tokens > "
                f"{self.max_prompt_chars} maximum",
            }
            return {"type": "errored", "error": {"type": "error", "error": error}}
        with self.lock:
            self.requests.append(params)
            n = len(self.requests)
        message = self.message(params, n)
        message["usage"].pop("service_tier", None)
        if self.batch_service_tier is not None:
            message["usage"]["service_tier"] = self.batch_service_tier
        return {"type": "succeeded", "message": message}

    def batch_json(self, batch: dict[str, Any]) -> dict[str, Any]:
        ended = batch["polls"] >= self.polls_to_end or batch["canceled"]
        results = batch["results"]
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            for r in results:
                counts[r["result"]["type"]] += 1
        else:
            counts["processing"] = len(results)
        when = "2026-11-30T12:00:00.000000Z"
        return {
            "id": batch["id"],
            "type": "message_batch",
            "processing_status": "ended" if ended else "in_progress",
            "request_counts": counts,
            "ended_at": when if ended else None,
            "created_at": when,
            "expires_at": "2026-12-01T12:00:00.000000Z",
            "archived_at": None,
            "cancel_initiated_at": when if batch["canceled"] else None,
            "results_url": f"http://{batch['host']}/v1/messages/batches/{batch['id']}/results"
            if ended
            else None,
        }

    # -- replies -------------------------------------------------------------------------

    def message(self, body: dict[str, Any], n: int) -> dict[str, Any]:
        """The whole Message for a request that does not stream."""
        prompt = _prompt(body["messages"])
        schema = ((body.get("output_config") or {}).get("format") or {}).get("schema")
        if schema is not None:
            text = json.dumps(_value(schema, prompt, schema))
        else:
            text = f"Real answer {n} to “{prompt.strip()[:60]}”, from the recorded API."
        return {
            "id": f"msg_real_{n:03d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [
                {"type": "thinking", "thinking": "", "signature": f"RealSig{n:03d}" + "x" * 40},
                {"type": "text", "text": text},
            ],
            "stop_reason": "end_turn",
            "stop_sequence": None,
            "usage": {
                "input_tokens": 40 + len(prompt) // 4,
                "output_tokens": 10 + len(text) // 4,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
                "service_tier": "standard",
            },
        }

    def reply(self, body: dict[str, Any], n: int) -> list[bytes]:
        """The SSE events of reply number `n` to a /v1/messages request."""
        prompt = _prompt(body["messages"])
        tools = [t["name"] for t in body.get("tools") or [] if "name" in t]
        last = body["messages"][-1]["content"]
        answering_tools = isinstance(last, list) and any(
            b.get("type") == "tool_result" for b in last
        )
        wanted = next((t for t in tools if f"use {t}" in prompt.lower()), None)
        blocks: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [
            (
                {"type": "thinking", "thinking": "", "signature": ""},
                [
                    {"type": "thinking_delta", "thinking": ""},
                    {"type": "signature_delta", "signature": f"RealSig{n:03d}" + "x" * 40},
                ],
            )
        ]
        if wanted and not answering_tools:
            args = json.dumps({"a": 2, "b": 3})
            start = {"type": "tool_use", "id": f"toolu_real_{n:03d}", "name": wanted, "input": {}}
            deltas = [{"type": "input_json_delta", "partial_json": args[i : i + 5]}
                      for i in range(0, len(args), 5)]  # fmt: skip
            blocks.append((start, deltas))
            stop = "tool_use"
            text = args
        else:
            if answering_tools:
                results = [b for b in last if b.get("type") == "tool_result"]
                text = f"Real answer {n}: the tool said {results[0].get('content')!r}."
            else:
                text = f"Real answer {n} to “{prompt.strip()[:60]}”, from the recorded API."
            words = text.split(" ")
            deltas = [{"type": "text_delta", "text": w + " "} for w in words[:-1]]
            deltas.append({"type": "text_delta", "text": words[-1]})
            blocks.append(({"type": "text", "text": ""}, deltas))
            stop = "end_turn"
        usage = {"input_tokens": 40 + n, "output_tokens": 1}
        start = {
            "id": f"msg_real_{n:03d}",
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**usage, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0},
        }
        events = [_sse("message_start", {"type": "message_start", "message": start})]
        for index, (block, deltas) in enumerate(blocks):
            events.append(
                _sse(
                    "content_block_start",
                    {"type": "content_block_start", "index": index, "content_block": block},
                )
            )
            for delta in deltas:
                events.append(
                    _sse(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": index, "delta": delta},
                    )
                )
            stop_event = {"type": "content_block_stop", "index": index}
            events.append(_sse("content_block_stop", stop_event))
        events.append(
            _sse(
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": 10 + len(text) // 4},
                },
            )
        )
        events.append(_sse("message_stop", {"type": "message_stop"}))
        return events
