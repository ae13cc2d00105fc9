"""Deterministic token counting: a documented approximation, not Claude's tokenizer.

Formula (all integers, ceil = round up):

* text (``text`` blocks, string content, system text, thinking text): ``ceil(chars / 4)``
* every message: +4 (role and turn markers), every system block: +2
* image: 1,000 per image; PDF / document: 2,000 per document (plus its title/context text)
* ``tool_use`` in the history: 10 + tokens of its name and JSON input
* ``tool_result``: 5 + tokens of its content (text, images)
* each tool definition: 20 + tokens of its JSON definition; +300 once when any tool is offered
* a structured-output format (``output_config.format``): 20 + tokens of its JSON schema, as the
  first segment of the prompt, so changing the format invalidates the prompt cache (as the
  docs say it does)
* every request: +3

The same function serves ``/v1/messages/count_tokens`` and ``usage`` on ``/v1/messages``, so
``count_tokens == input_tokens + cache_creation_input_tokens + cache_read_input_tokens``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from .schemas import format_of

REQUEST_TOKENS = 3
MESSAGE_TOKENS = 4
SYSTEM_BLOCK_TOKENS = 2
IMAGE_TOKENS = 1000
DOCUMENT_TOKENS = 2000
TOOL_USE_TOKENS = 10
TOOL_RESULT_TOKENS = 5
TOOL_DEF_TOKENS = 20
TOOLS_PREAMBLE_TOKENS = 300
FORMAT_TOKENS = 20


def text_tokens(text: str) -> int:
    return math.ceil(len(text) / 4)


def json_tokens(value: Any) -> int:
    return text_tokens(json.dumps(value, sort_keys=True, separators=(",", ":")))


@dataclass
class Segment:
    """One cacheable unit of the prompt, in cache-prefix order (tools, system, messages)."""

    path: str  # e.g. "tools.0", "system.0", "messages.1.content.2"
    tokens: int
    cache_control: dict | None
    cacheable: bool = True
    key: str = ""  # canonical JSON of the block, for cache keys


def block_tokens(block: Any) -> int:
    if isinstance(block, str):
        return text_tokens(block)
    if not isinstance(block, dict):
        return 0
    kind = block.get("type")
    if kind == "text":
        return text_tokens(str(block.get("text", "")))
    if kind == "image":
        return IMAGE_TOKENS
    if kind == "document":
        extra = text_tokens(str(block.get("title") or "")) + text_tokens(
            str(block.get("context") or "")
        )
        source = block.get("source") or {}
        if source.get("type") == "text":
            return text_tokens(str(source.get("data", ""))) + extra
        return DOCUMENT_TOKENS + extra
    if kind == "thinking":
        return text_tokens(str(block.get("thinking", "")))
    if kind == "redacted_thinking":
        return text_tokens(str(block.get("data", ""))) // 4
    if kind in ("tool_use", "server_tool_use"):
        return (
            TOOL_USE_TOKENS
            + text_tokens(str(block.get("name", "")))
            + json_tokens(block.get("input", {}))
        )
    if kind == "tool_result":
        content = block.get("content", "")
        if isinstance(content, list):
            return TOOL_RESULT_TOKENS + sum(block_tokens(b) for b in content)
        return TOOL_RESULT_TOKENS + text_tokens(str(content))
    # server tool results and anything else: size of its JSON
    return json_tokens(block)


def _strip_cc(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_cc(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_strip_cc(v) for v in value]
    return value


def _canon(value: Any) -> str:
    """Canonical JSON of a block, without its cache_control marker."""
    return json.dumps(_strip_cc(value), sort_keys=True, separators=(",", ":"), default=str)


def segments(body: dict) -> list[Segment]:
    """Split a request into cache-prefix segments with their token counts."""
    out: list[Segment] = []
    fmt = format_of(body)
    if fmt is not None:
        cost = FORMAT_TOKENS + json_tokens(fmt.get("schema", {}))
        out.append(Segment("output_config.format", cost, None, False, _canon(fmt)))
    tools = body.get("tools") or []
    for i, tool in enumerate(tools):
        cost = TOOL_DEF_TOKENS + json_tokens(tool)
        if i == 0:
            cost += TOOLS_PREAMBLE_TOKENS
        cc = tool.get("cache_control") if isinstance(tool, dict) else None
        out.append(Segment(f"tools.{i}", cost, cc, True, _canon(tool)))
    system = body.get("system")
    if isinstance(system, str):
        if system:
            out.append(
                Segment(
                    "system", SYSTEM_BLOCK_TOKENS + text_tokens(system), None, True, _canon(system)
                )
            )
    elif isinstance(system, list):
        for i, blk in enumerate(system):
            cc = blk.get("cache_control") if isinstance(blk, dict) else None
            out.append(
                Segment(
                    f"system.{i}", SYSTEM_BLOCK_TOKENS + block_tokens(blk), cc, True, _canon(blk)
                )
            )
    for mi, msg in enumerate(body.get("messages") or []):
        role = msg.get("role", "") if isinstance(msg, dict) else ""
        content = msg.get("content", "") if isinstance(msg, dict) else ""
        if isinstance(content, str):
            out.append(
                Segment(
                    f"messages.{mi}",
                    MESSAGE_TOKENS + text_tokens(content),
                    None,
                    True,
                    _canon([role, content]),
                )
            )
            continue
        blocks = content if isinstance(content, list) else []
        if not blocks:
            out.append(Segment(f"messages.{mi}", MESSAGE_TOKENS, None, False, _canon([role])))
        for bi, blk in enumerate(blocks):
            cost = block_tokens(blk) + (MESSAGE_TOKENS if bi == 0 else 0)
            cc = blk.get("cache_control") if isinstance(blk, dict) else None
            kind = blk.get("type") if isinstance(blk, dict) else "text"
            cacheable = kind not in ("thinking", "redacted_thinking")
            out.append(
                Segment(f"messages.{mi}.content.{bi}", cost, cc, cacheable, _canon([role, bi, blk]))
            )
    return out


def count_input_tokens(body: dict) -> int:
    """Total input tokens of a request (what count_tokens reports)."""
    return REQUEST_TOKENS + sum(s.tokens for s in segments(body))


def output_block_tokens(block: dict, hidden_thinking: str = "") -> int:
    """Output tokens charged for a generated block (omitted thinking is still charged)."""
    kind = block.get("type")
    if kind == "text":
        return text_tokens(block.get("text", ""))
    if kind == "thinking":
        return text_tokens(block.get("thinking", "") or hidden_thinking)
    if kind in ("tool_use", "server_tool_use"):
        return json_tokens(block.get("input", {})) + text_tokens(block.get("name", ""))
    return 0  # server tool results are produced by the platform, not the model
