"""A stand-in for the real Messages API that is NOT the project's simulator.

Tests that must not only agree with our own simulator (recording a "teacher" notebook for
replay, say) talk to this instead: a small loopback server written from the documented
wire format (api-notes.md §3), with its own SSE writer, its own wording, thinking blocks
signed with signatures the simulator has never seen, and usage it makes up per request.

Replies: a thinking block (display omitted: empty text plus a signature), then either a
`tool_use` of the first offered tool when the prompt says "use <tool>" (stop_reason
tool_use), or a text that quotes the prompt and counts the requests (end_turn).
"""

from __future__ import annotations

import json
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


class FakeApi:
    """`with FakeApi() as api:` serves on `api.url`; `api.requests` holds every body."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        owner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - stdlib name
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                owner.requests.append(body)
                if self.path.rstrip("/") == "/v1/messages/count_tokens":
                    payload = json.dumps({"input_tokens": len(json.dumps(body)) // 4}).encode()
                    self.send_response(200)
                    self.send_header("content-type", "application/json")
                    self.send_header("content-length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                events = owner.reply(body, len(owner.requests))
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
