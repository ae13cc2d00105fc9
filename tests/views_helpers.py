"""Test helpers for the views: real SDK stream events from SSE text, and a comm recorder."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import anthropic
import httpx2

RICH_REPLY = r"""Here is how the three options compare on a 10,000-row frame:

| method | time (ms) | memory |
|:-------|----------:|-------:|
| `apply` | 412.0 | high |
| vectorized | 3.1 | low |
| `numba` | 1.7 | low |

The vectorized form wins because NumPy runs the loop in C:

```python
import numpy as np

def scale(x: np.ndarray, factor: float = 0.5) -> np.ndarray:
    # one pass over the array, no Python loop
    return np.clip(x * factor, 0, None)
```

With $N$ rows the cost grows as $0.1\,N$ microseconds, and the error is bounded by

$$
\epsilon \le \frac{1}{\sqrt{N}}
$$

so a cloud run that costs $5 and $10 today stays cheap. Keep in mind:

- ~~`iterrows`~~ is the slowest of all;
- `apply` with `raw=True` is **much** faster;
- see the [pandas docs](https://pandas.pydata.org/docs/) for details.
"""
"""A reply with what rendering must get right: a table, highlighted code, math, currency
(the benchmarks, the browser tests and the screenshots use it)."""


def _event(data: dict[str, Any]) -> str:
    return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n"


@dataclass
class SSE:
    """Builds one streamed message: add blocks in order, then `.text()` is the SSE body."""

    stop_reason: str = "end_turn"
    model: str = "claude-sonnet-5-5"
    parts: list[str] = field(default_factory=list)
    index: int = 0

    def _block(self, start: dict[str, Any], deltas: list[dict[str, Any]]) -> SSE:
        i = self.index
        self.parts.append(
            _event({"type": "content_block_start", "index": i, "content_block": start})
        )
        for delta in deltas:
            self.parts.append(_event({"type": "content_block_delta", "index": i, "delta": delta}))
        self.parts.append(_event({"type": "content_block_stop", "index": i}))
        self.index += 1
        return self

    def text(self, *chunks: str) -> SSE:
        deltas = [{"type": "text_delta", "text": c} for c in chunks]
        return self._block({"type": "text", "text": ""}, deltas)

    def thinking(self, *chunks: str, signature: str = "sig-abc") -> SSE:
        deltas = [{"type": "thinking_delta", "thinking": c} for c in chunks]
        deltas.append({"type": "signature_delta", "signature": signature})
        return self._block({"type": "thinking", "thinking": "", "signature": ""}, deltas)

    def tool_use(self, name: str, input_value: dict[str, Any], *, server: bool = False) -> SSE:
        raw = json.dumps(input_value)
        third = max(1, len(raw) // 3)
        pieces = [raw[i : i + third] for i in range(0, len(raw), third)]
        kind = "server_tool_use" if server else "tool_use"
        start = {"type": kind, "id": f"toolu_{self.index}", "name": name, "input": {}}
        deltas = [{"type": "input_json_delta", "partial_json": p} for p in pieces]
        return self._block(start, deltas)

    def block(self, content_block: dict[str, Any]) -> SSE:
        """A block that arrives whole (server tool results, unknown future types)."""
        return self._block(content_block, [])

    def body(self) -> bytes:
        start = {
            "type": "message_start",
            "message": {
                "id": "msg_test",
                "type": "message",
                "role": "assistant",
                "content": [],
                "model": self.model,
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {"input_tokens": 25, "output_tokens": 1},
            },
        }
        end = [
            {
                "type": "message_delta",
                "delta": {"stop_reason": self.stop_reason, "stop_sequence": None},
                "usage": {"output_tokens": 15},
            },
            {"type": "message_stop"},
        ]
        text = _event(start) + "".join(self.parts) + "".join(_event(e) for e in end)
        return text.encode()


def stream_events(sse: SSE | bytes) -> list[Any]:
    """The SDK's own events (synthesized ones included) for an SSE body, without a network."""
    body = sse.body() if isinstance(sse, SSE) else sse

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})

    client = anthropic.Anthropic(
        api_key="x",
        base_url="http://t",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    messages = [{"role": "user", "content": "hi"}]
    with client.messages.stream(model="claude-sonnet-5-5", max_tokens=1000, messages=messages) as s:
        return list(s)


class CommLog:
    """Every comm message widgets send (open, update, close) with its JSON size."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any], int]] = []

    @property
    def bytes(self) -> int:
        return sum(size for _, _, size in self.messages)

    @property
    def payload(self) -> int:
        """UTF-8 bytes of what the updates carry for the view: a custom message's content, or
        the values of a state update (ipywidgets' framing and comm_open/close left out)."""
        total = 0
        for kind, data, _ in self.messages:
            if kind != "comm_msg":
                continue
            custom = data.get("method") == "custom"
            values = [data.get("content")] if custom else list((data.get("state") or {}).values())
            total += sum(len(json.dumps(v, ensure_ascii=False).encode()) for v in values)
        return total

    def count(self, msg_type: str) -> int:
        return sum(1 for kind, _, _ in self.messages if kind == msg_type)

    def values(self) -> list[str]:
        """Every string trait value that went to the frontend."""
        found = []
        for _, data, _ in self.messages:
            state = (data or {}).get("state") or {}
            found += [v for v in state.values() if isinstance(v, str)]
        return found


def record_comms(monkeypatch: Any) -> CommLog:
    """Route every new widget comm into a `CommLog` (ipywidgets calls comm.create_comm)."""
    import comm
    from comm.base_comm import BaseComm

    log = CommLog()

    class RecordingComm(BaseComm):
        def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, **_: Any):
            log.messages.append((msg_type, data or {}, len(json.dumps(data, default=str))))

    monkeypatch.setattr(comm, "create_comm", lambda **kw: RecordingComm(**kw))
    return log


def feed(view: Any, events: list[Any], prefill: str | None = None) -> Any:
    """Hand one call's SDK events to `view` exactly as the exchange does; returns the feed
    (call `.start_call()` and `.event()` on it again for a later call)."""
    from claude_magic.exchange import ViewFeed

    feeder = ViewFeed(view, prefill)
    feeder.start_call()
    for event in events:
        feeder.event(event)
    feeder.end_call()
    return feeder


def started_feed(view: Any, prefill: str | None = None) -> Any:
    """A ViewFeed with its first call started, for tests that look between events."""
    from claude_magic.exchange import ViewFeed

    feeder = ViewFeed(view, prefill)
    feeder.start_call()
    return feeder


class LiveClient:
    """What the live view's front-end (claude_magic/views/reply.js) makes of its messages,
    in Python: blocks, text appended as text, pieces expanded from their skeletons.

    `inserted` is every string the browser would insert as HTML (server HTML and expanded
    pieces); streamed text only ever goes in escaped, as the browser's text nodes do.
    """

    def __init__(self) -> None:
        self.n = 0
        self.numbers: list[int] = []
        self.gap = False
        self.blocks: list[dict[str, Any]] = []
        self.footer = ""
        self.current = -1
        self.inserted: list[str] = []

    def receive(self, message: list[Any]) -> None:
        n, *ops = message
        self.numbers.append(n)
        if n <= self.n:
            return
        self.gap = self.gap or n != self.n + 1
        self.n = n
        for op in ops:
            self._apply(op)

    def _apply(self, op: Any) -> None:
        from claude_magic.views.markup import expand

        if isinstance(op, str):
            self._append(self.current, op)
            return
        kind, *args = op
        if kind == "f":
            self.footer = args[0]
            self.inserted.append(args[0])
            return
        i, arg = args
        if kind == "a":
            self._grow(i)
            self.blocks[i] = {"html": arg, "src": "", "cur": 0, "pieces": []}
            self.current = i
            self.inserted.append(arg)
        elif kind == "t":
            self.current = i
            self._append(i, arg)
        elif kind == "p":
            block = self.blocks[i]
            piece, block["cur"] = expand(arg, block["src"], block["cur"])
            block["pieces"].append(piece)
            self.inserted.append(piece)
        elif kind == "r":
            self.blocks[i] = {"html": arg, "src": "", "cur": 0, "pieces": []}
            self.inserted.append(arg)

    def _grow(self, i: int) -> None:
        while len(self.blocks) <= i:
            self.blocks.append({"html": "", "src": "", "cur": 0, "pieces": []})

    def _append(self, i: int, text: str) -> None:
        if 0 <= i < len(self.blocks):
            self.blocks[i]["src"] += text

    def block_html(self, i: int) -> str:
        """Block `i` as the page shows it (a text block's unfinished rest as a cm-tail)."""
        import html
        import re

        block = self.blocks[i]
        if 'class="cm-text' in block["html"].split(">", 1)[0]:
            rest = re.sub(r"^\s*\n", "", _utf16_slice(block["src"], block["cur"]))
            tail = f'<p class="cm-tail">{html.escape(rest)}</p>' if rest else ""
            inner = "".join(block["pieces"]) + tail
            return block["html"].replace("></div>", f">{inner}</div>", 1)
        text = html.escape(block["src"])
        slot = r"(<[^>]*\bcm-slot\b[^>]*>)"
        return re.sub(slot, lambda m: m.group(1) + text, block["html"], count=1)

    def html(self) -> str:
        return "".join(self.block_html(i) for i in range(len(self.blocks))) + self.footer


def _utf16_slice(text: str, start: int) -> str:
    return text.encode("utf-16-le")[2 * start :].decode("utf-16-le")


def live_messages(log: CommLog) -> list[list[Any]]:
    """The live view's messages in a recorded comm log."""
    return [
        data["content"]
        for kind, data, _ in log.messages
        if kind == "comm_msg" and data.get("method") == "custom"
    ]


def live_client(messages: list[list[Any]]) -> LiveClient:
    client = LiveClient()
    for message in messages:
        client.receive(message)
    return client
