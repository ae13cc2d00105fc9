"""Turn a Reply into the final Message JSON and into the SSE event sequence of the real API.

Truncation: ``max_tokens`` cuts generated output at that many tokens of the approximation in
tokens.py (text is cut at 4 characters per token; a tool_use that does not fit is dropped),
giving stop_reason "max_tokens". ``stop_sequences`` stop text at the first occurrence of any
sequence (the sequence is not included) with stop_reason "stop_sequence".
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .replies import Reply
from .signing import DEFAULT_SECRET, sign
from .tokens import output_block_tokens, text_tokens

WORDS_PER_DELTA = 3
JSON_CHARS_PER_DELTA = 12
THINKING_WORDS_PER_DELTA = 6


@dataclass
class Final:
    content: list[dict]
    stop_reason: str | None
    stop_sequence: str | None
    output_tokens: int
    stop_details: dict | None = None


@dataclass
class Event:
    name: str
    data: dict
    tokens: int = 0  # output tokens this event carries (for token-rate pacing)

    def encode(self) -> bytes:
        return f"event: {self.name}\ndata: {json.dumps(self.data)}\n\n".encode()


@dataclass
class Outcome:
    message: dict
    events: list[Event] = field(default_factory=list)


def _first_stop(text: str, stops: list[str]) -> tuple[int, str] | None:
    best: tuple[int, str] | None = None
    for s in stops:
        if not s:
            continue
        i = text.find(s)
        if i >= 0 and (best is None or i < best[0]):
            best = (i, s)
    return best


def finalize(reply: Reply, body: dict, message_id: str, secret: bytes = DEFAULT_SECRET) -> Final:
    """Apply stop_sequences and max_tokens, sign thinking blocks, count output tokens."""
    budget = body.get("max_tokens")
    budget = budget if isinstance(budget, int) else 10**9
    stops = [s for s in body.get("stop_sequences") or [] if isinstance(s, str)]
    used = 0
    out: list[dict] = []
    stop_reason: str | None = reply.stop_reason
    stop_sequence = None
    for i, raw in enumerate(reply.content):
        block = dict(raw)
        kind = block.get("type")
        remaining = budget - used
        if kind == "text":
            text = block.get("text", "")
            hit = _first_stop(text, stops)
            ended = False
            if hit is not None:
                text, ended = text[: hit[0]], True
            if text_tokens(text) > remaining:
                text = text[: remaining * 4]
                hit, ended = None, True
                stop_reason = "max_tokens"
            elif hit is not None:
                stop_reason, stop_sequence = "stop_sequence", hit[1]
            block["text"] = text
            used += text_tokens(text)
            if text:
                out.append(block)
            if ended:
                break
            continue
        if kind == "thinking":
            hidden = reply.hidden_thinking.get(i, "")
            cost = output_block_tokens(block, hidden)
            if cost > remaining:
                block["thinking"] = block.get("thinking", "")[: remaining * 4]
                block["signature"] = sign(block["thinking"], message_id, secret)
                out.append(block)
                used = budget
                stop_reason = "max_tokens"
                break
            if not block.get("signature"):
                block["signature"] = sign(block.get("thinking", ""), message_id, secret)
            used += cost
            out.append(block)
            continue
        cost = output_block_tokens(block)
        if cost > remaining:
            stop_reason = "max_tokens"
            break
        used += cost
        out.append(block)
    if stop_reason == "tool_use" and not any(b.get("type") == "tool_use" for b in out):
        stop_reason = "end_turn"
    details = reply.stop_details if stop_reason == reply.stop_reason else None
    # A refusal before any output is not billed (output_tokens 0); any other reply costs >= 1.
    floor = 0 if stop_reason == "refusal" and not out else 1
    return Final(out, stop_reason, stop_sequence, max(used, floor), details)


def message_json(message_id: str, model: str, final: Final, usage: dict) -> dict[str, Any]:
    return {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": final.content,
        "stop_reason": final.stop_reason,
        "stop_sequence": final.stop_sequence,
        "stop_details": final.stop_details,
        "usage": usage,
    }


def split_words(text: str, per: int) -> list[str]:
    pieces = [p for p in re.split(r"(?<=\s)(?=\S)", text) if p]
    return ["".join(pieces[i : i + per]) for i in range(0, len(pieces), per)] or [text]


def _block_shell(block: dict) -> dict:
    """The block as content_block_start carries it: everything but what the deltas add."""
    kind = block.get("type")
    if kind == "text":
        shell = {k: v for k, v in block.items() if k != "citations"}
        shell["text"] = ""
        if block.get("citations") is not None:
            shell["citations"] = []  # filled by citations_delta events
        return shell
    if kind == "thinking":
        return dict(block, thinking="", signature="")
    if kind in ("tool_use", "server_tool_use"):
        return dict(block, input={})
    return block  # result blocks and redacted_thinking arrive whole


def _deltas(block: dict) -> list[tuple[dict, int]]:
    kind = block.get("type")
    if kind == "text":
        cites = [
            ({"type": "citations_delta", "citation": c}, 0) for c in block.get("citations") or []
        ]
        return cites + [
            ({"type": "text_delta", "text": t}, text_tokens(t))
            for t in split_words(block["text"], WORDS_PER_DELTA)
        ]
    if kind == "thinking":
        text = block.get("thinking", "")
        parts = split_words(text, THINKING_WORDS_PER_DELTA) if text else [""]
        out = [({"type": "thinking_delta", "thinking": t}, text_tokens(t)) for t in parts]
        out.append(({"type": "signature_delta", "signature": block.get("signature", "")}, 0))
        return out
    if kind in ("tool_use", "server_tool_use"):
        raw = json.dumps(block.get("input", {}))
        chunks = [""] + [
            raw[i : i + JSON_CHARS_PER_DELTA] for i in range(0, len(raw), JSON_CHARS_PER_DELTA)
        ]
        return [({"type": "input_json_delta", "partial_json": c}, text_tokens(c)) for c in chunks]
    return []


def recorded_message(recorded: dict, message_id: str, model: str, usage: dict) -> dict:
    """A recorded Message replayed as is: its content, stop fields, usage counters and any
    other top-level field; `message_id`, `model` and the simulator's `usage` fill what the
    record leaves out (no truncation, no signing: the record is what the API sent)."""
    content = recorded.get("content") or []
    stop = recorded.get("stop_reason") or (
        "tool_use" if any(b.get("type") == "tool_use" for b in content) else "end_turn"
    )
    output = sum(output_block_tokens(b) for b in content if isinstance(b, dict))
    message = {
        "id": message_id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "stop_sequence": None,
        "stop_details": None,
        **{k: v for k, v in recorded.items() if v is not None or k not in ("id", "model")},
        "content": content,
        "stop_reason": stop,
    }
    message["usage"] = {**usage, "output_tokens": output, **(recorded.get("usage") or {})}
    return message


def sse_events(message: dict) -> list[Event]:
    """The event sequence for a final message (whose usage is the cumulative final usage)."""
    usage = message["usage"]
    start_usage = {k: v for k, v in usage.items() if k != "server_tool_use"}
    start_usage["output_tokens"] = 1
    start = dict(
        message,
        content=[],
        stop_reason=None,
        stop_sequence=None,
        stop_details=None,
        usage=start_usage,
    )
    events = [Event("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        events.append(
            Event(
                "content_block_start",
                {
                    "type": "content_block_start",
                    "index": index,
                    "content_block": _block_shell(block),
                },
            )
        )
        if index == 0:
            events.append(Event("ping", {"type": "ping"}))
        for delta, tokens in _deltas(block):
            events.append(
                Event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                    tokens,
                )
            )
        events.append(Event("content_block_stop", {"type": "content_block_stop", "index": index}))
    if not message["content"]:
        events.append(Event("ping", {"type": "ping"}))
    events.append(
        Event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": message["stop_reason"],
                    "stop_sequence": message["stop_sequence"],
                    "stop_details": message.get("stop_details"),
                    **({"container": message["container"]} if message.get("container") else {}),
                },
                "usage": usage,
            },
        )
    )
    events.append(Event("message_stop", {"type": "message_stop"}))
    return events


def error_event(error_type: str, message: str) -> Event:
    return Event("error", {"type": "error", "error": {"type": error_type, "message": message}})
