"""Deterministic reply generation: what the offline "model" answers.

Replies are Markdown, start with ``**[offline simulator]**`` and echo what was received, so
tests can assert on them. The same request always gives the same reply; ids and signatures
depend on the message id (a per-simulator counter). Rules, in order:

1. the latest user turn holds ``tool_result`` blocks -> a text that quotes them (end_turn);
2. a server tool (web_search_*, web_fetch_*, code_execution_*) is offered and the prompt asks
   to search / fetch / run code -> server_tool_use + its result block + a text (end_turn);
3. custom tools are offered and the prompt names them (or tool_choice forces one) -> a short
   text then one tool_use per named tool, input built from its input_schema (tool_use);
4. otherwise a text reply summarising the prompt and its attachments (end_turn).

A thinking block comes first when thinking is on (see thinking_mode()). With structured
outputs (``output_config.format``) the text of the reply is one JSON value built from the
schema (schemas.structured_value); a turn that calls tools has no text block then.
"""

from __future__ import annotations

import ast
import base64
import binascii
import hashlib
import json
import operator
import re
from dataclasses import dataclass, field
from typing import Any

from ..formatting import plural
from .catalog import ModelInfo
from .schemas import format_of, structured_value, tool_input

BANNER = "**[offline simulator]**"

_FILLER = [
    "The simulator answers from rules, not from a model, so the wording is predictable.",
    "Every reply is deterministic: the same request always produces the same text.",
    "Streaming splits this text into small deltas of a few words each.",
    "Token counts are an approximation of about four characters per token.",
    "Prompt caching, thinking blocks and tool calls follow the real wire protocol.",
    "Errors and faults can be scripted to rehearse retries and dropped connections.",
    "Markdown renders as usual: **bold**, `code` and lists all appear here.",
    "No network access and no API key are needed to run this conversation.",
]

_SERVER_PREFIXES = {
    "web_search_": "web_search",
    "web_fetch_": "web_fetch",
    "code_execution_": "code_execution",
}


@dataclass
class Reply:
    content: list[dict]
    stop_reason: str = "end_turn"
    hidden_thinking: dict[int, str] = field(default_factory=dict)  # block index -> text
    usage_overrides: dict = field(default_factory=dict)
    stop_details: dict | None = None  # e.g. {"type": "refusal", "category": ..., ...}
    recorded: dict | None = None  # a whole recorded Message, replayed as is


def stable_hash(*parts: Any) -> str:
    raw = "\x1f".join(json.dumps(p, sort_keys=True, default=str) for p in parts)
    return hashlib.sha256(raw.encode()).hexdigest()


def block_id(prefix: str, message_id: str, n: int) -> str:
    digest = stable_hash(message_id, n)[:20]
    return f"{prefix}_01{digest}"


# ---------------------------------------------------------------- reading the request


def as_blocks(content: Any) -> list[dict]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content if isinstance(b, dict)] if isinstance(content, list) else []


def text_of(content: Any) -> str:
    return "\n".join(b.get("text", "") for b in as_blocks(content) if b.get("type") == "text")


def last_user_index(messages: list[dict]) -> int | None:
    for i in range(len(messages) - 1, -1, -1):
        if messages[i].get("role") == "user":
            return i
    return None


def describe_media(block: dict) -> str:
    """'image/png, 67 bytes' style description of an image or document block."""
    source = block.get("source") or {}
    kind = source.get("type")
    if kind == "base64":
        try:
            size = len(base64.b64decode(source.get("data", ""), validate=False))
        except (binascii.Error, ValueError):
            size = 0
        return f"{source.get('media_type', 'unknown')}, {size} bytes (base64)"
    if kind == "url":
        return f"url source {source.get('url', '')} (not downloaded, 0 bytes)"
    if kind == "text":
        data = str(source.get("data", ""))
        return f"{source.get('media_type', 'text/plain')}, {len(data.encode())} bytes (text)"
    if kind == "file":
        return f"file {source.get('file_id', '')} (Files API, not available offline)"
    return f"{kind or 'unknown'} source"


# ---------------------------------------------------------------- thinking


def thinking_mode(body: dict, model: ModelInfo) -> str | None:
    """None (no thinking block), "omitted" or "summarized"."""
    cfg = body.get("thinking")
    if cfg is None:
        return "omitted" if model.thinks_by_default else None
    kind = cfg.get("type")
    if kind in ("disabled", "between_tools"):
        return None
    default = "omitted" if model.thinks_by_default else "summarized"
    return cfg.get("display") or default


def thinking_summary(prompt: str, plan: str) -> str:
    gist = " ".join(prompt.split()[:12]).rstrip(".!?") or "(no text)"
    return (
        f"The user wrote: \u201c{gist}\u201d. This is the offline simulator, so I will "
        f"{plan}. I should keep the answer deterministic and mention that it is simulated."
    )


# ---------------------------------------------------------------- safe arithmetic

_OPS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
    ast.FloorDiv: operator.floordiv,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _arith(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _arith(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
        right = _arith(node.right)
        if isinstance(node.op, ast.Pow) and abs(right) > 64:
            raise ValueError("exponent too large")
        return _OPS[type(node.op)](_arith(node.left), right)
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
        return _OPS[type(node.op)](_arith(node.operand))
    raise ValueError("not arithmetic")


def run_code(prompt: str) -> tuple[str, str, int, str]:
    """(code, stdout, return code, stderr) for a pretend code execution."""
    fenced = re.search(r"```(?:python)?\n(.*?)```", prompt, re.S)
    expr = re.search(r"[\d(][\d\s+\-*/%().]*[\d)]", prompt)
    if fenced:
        code = fenced.group(1).strip()
    elif expr and re.search(r"[+\-*/%]", expr.group(0)):
        code = f"print({expr.group(0).strip()})"
    else:
        code = 'print("hello from the offline simulator")'
    m = re.fullmatch(r"print\((.*)\)", code.strip(), re.S)
    if m:
        try:
            return code, f"{_arith(ast.parse(m.group(1), mode='eval'))}\n", 0, ""
        except (ValueError, SyntaxError, ZeroDivisionError, TypeError, OverflowError):
            try:
                return code, f"{ast.literal_eval(m.group(1))}\n", 0, ""
            except (ValueError, SyntaxError):
                pass
    return code, "", 0, "offline simulator: code was not executed\n"


# ---------------------------------------------------------------- the generator


def _filler(prompt: str, n: int = 3) -> list[str]:
    h = int(stable_hash(prompt)[:8], 16)
    return [_FILLER[(h + i * 3) % len(_FILLER)] for i in range(n)]


def _quote(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "\u2026"


def _wants(prompt: str, kind: str) -> bool:
    p = prompt.lower()
    if kind == "web_search":
        return bool(re.search(r"\b(search|look up|lookup|google|latest|news)\b", p))
    if kind == "web_fetch":
        return "fetch" in p or bool(re.search(r"https?://", p))
    return bool(re.search(r"\b(run|execute|compute|calculate|code)\b", p))


def _server_tools(tools: list[dict]) -> dict[str, dict]:
    found: dict[str, dict] = {}
    for t in tools:
        kind = str(t.get("type", ""))
        for prefix, name in _SERVER_PREFIXES.items():
            if kind.startswith(prefix):
                found[name] = t
    return found


def _custom_tools(tools: list[dict]) -> list[dict]:
    return [t for t in tools if "input_schema" in t and t.get("type") in (None, "custom")]


def _mentioned(tool: dict, prompt: str) -> bool:
    name = str(tool.get("name", ""))
    low = prompt.lower()
    return bool(name) and (name.lower() in low or name.replace("_", " ").lower() in low)


class Generator:
    def __init__(self, body: dict, model: ModelInfo, message_id: str) -> None:
        self.body = body
        self.model = model
        self.message_id = message_id
        self.messages: list[dict] = [m for m in body.get("messages") or [] if isinstance(m, dict)]
        ui = last_user_index(self.messages)
        self.user_blocks = as_blocks(self.messages[ui].get("content")) if ui is not None else []
        self.prompt = text_of(self.user_blocks)
        self.prefill = (
            text_of(self.messages[-1].get("content"))
            if self.messages and self.messages[-1].get("role") == "assistant"
            else None
        )
        self.tools = [t for t in body.get("tools") or [] if isinstance(t, dict)]
        self._ids = 0

    def next_id(self, prefix: str) -> str:
        self._ids += 1
        return block_id(prefix, self.message_id, self._ids)

    def generate(self) -> Reply:
        mode = thinking_mode(self.body, self.model)
        results = [b for b in self.user_blocks if b.get("type") == "tool_result"]
        server = _server_tools(self.tools)
        wanted_server = [
            k
            for k in ("web_search", "web_fetch", "code_execution")
            if k in server and _wants(self.prompt, k)
        ]
        if results:
            plan, blocks, stop = "summarise the tool results", self._tool_results(results), None
        elif wanted_server:
            plan, blocks, stop = (
                f"use the {wanted_server[0]} server tool",
                self._server(wanted_server[0], server[wanted_server[0]]),
                None,
            )
        else:
            calls = self._chosen_tools()
            if calls:
                names = ", ".join(t["name"] for t in calls)
                plan, blocks, stop = f"call {names}", self._tool_calls(calls), "tool_use"
            else:
                plan, blocks, stop = "answer with a summary of the request", [self._text()], None
        fmt = format_of(self.body)
        if fmt is not None:
            plan += " as JSON matching the requested schema"
            blocks = self._as_structured(blocks, stop, fmt.get("schema") or {})
        reply = Reply(content=[], stop_reason=stop or "end_turn")
        if mode is not None:
            summary = thinking_summary(self.prompt, plan)
            reply.content.append(
                {
                    "type": "thinking",
                    "thinking": summary if mode == "summarized" else "",
                    "signature": "",
                }
            )
            if mode != "summarized":
                reply.hidden_thinking[0] = summary
        reply.content.extend(blocks)
        return reply

    # ---- branches

    def _as_structured(self, blocks: list[dict], stop: str | None, schema: dict) -> list[dict]:
        """Structured outputs: the model's own text is the JSON answer, so the text blocks give
        way to one JSON text block at the end (none in a turn that stops to call tools)."""
        kept = [b for b in blocks if b.get("type") != "text"]
        if stop == "tool_use":
            return kept
        source = self.prompt or "\n".join(
            text_of(m.get("content")) for m in self.messages if m.get("role") == "user"
        )
        value = structured_value(schema, source)
        return [*kept, {"type": "text", "text": json.dumps(value, ensure_ascii=False)}]

    def _text(self) -> dict:
        lines = [f"{BANNER} Simulated reply from `{self.model.id}` (no model was called)."]
        if self.prefill is not None:
            lines = [
                f" \u2026 {BANNER} continuing your prefill \u201c{_quote(self.prefill, 80)}\u201d."
            ]
        lines += ["", f"> {_quote(self.prompt) or '(no text in your message)'}", ""]
        words = len(self.prompt.split())
        lines.append("What I received:")
        lines.append("")
        lines.append(
            f"- your message: {plural(words, 'word')}, {plural(len(self.prompt), 'character')}"
        )
        lines.append(f"- conversation: {plural(len(self.messages), 'message')}")
        system = self.body.get("system")
        if system:
            sys_text = system if isinstance(system, str) else text_of(system)
            lines.append(f"- system prompt: {plural(len(sys_text), 'character')}")
        for b in self.user_blocks:
            if b.get("type") == "image":
                lines.append(f"- image: {describe_media(b)}")
            elif b.get("type") == "document":
                lines.append(f"- document: {describe_media(b)}")
        if self.tools:
            names = ", ".join(f"`{t.get('name', t.get('type'))}`" for t in self.tools)
            lines.append(f"- tools offered: {names}")
        lines += ["", *_filler(self.prompt)]
        return {"type": "text", "text": "\n".join(lines)}

    def _chosen_tools(self) -> list[dict]:
        custom = _custom_tools(self.tools)
        if not custom:
            return []
        choice = self.body.get("tool_choice") or {"type": "auto"}
        kind = choice.get("type")
        if kind == "none":
            return []
        if kind == "tool":
            return [t for t in custom if t.get("name") == choice.get("name")][:1]
        chosen = [t for t in custom if _mentioned(t, self.prompt)]
        if kind == "any" and not chosen:
            chosen = custom[:1]
        if choice.get("disable_parallel_tool_use"):
            chosen = chosen[:1]
        return chosen

    def _tool_calls(self, tools: list[dict]) -> list[dict]:
        names = " and ".join(f"`{t['name']}`" for t in tools)
        blocks: list[dict] = [{"type": "text", "text": f"{BANNER} I'll call {names}."}]
        for t in tools:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": self.next_id("toolu"),
                    "name": t["name"],
                    "input": tool_input(t, self.prompt),
                }
            )
        return blocks

    def _tool_results(self, results: list[dict]) -> list[dict]:
        names = {}
        for m in self.messages:
            if m.get("role") == "assistant":
                for b in as_blocks(m.get("content")):
                    if b.get("type") == "tool_use":
                        names[b.get("id")] = b.get("name")
        lines = [f"{BANNER} I received {plural(len(results), 'tool result')}:", ""]
        for r in results:
            content = r.get("content", "")
            text = content if isinstance(content, str) else text_of(content)
            tool = names.get(r.get("tool_use_id"), "unknown tool")
            status = "returned an error" if r.get("is_error") else "returned"
            lines.append(
                f"- `{tool}` ({r.get('tool_use_id')}) {status}: \u201c{_quote(text, 200)}\u201d"
            )
        if any(r.get("is_error") for r in results):
            lines += ["", "At least one tool reported an error (is_error was true)."]
        lines += ["", "Based on these results, that completes the request."]
        return [{"type": "text", "text": "\n".join(lines)}]

    def _server(self, kind: str, tool: dict) -> list[dict]:
        use_id = self.next_id("srvtoolu")
        if kind == "web_search":
            query = (
                re.sub(r"(?i)^.*?\b(search( the web)?( for)?|look up)\b\s*", "", self.prompt).strip(
                    " ?."
                )
                or self.prompt
            )
            slug = re.sub(r"[^a-z0-9]+", "-", query.lower()).strip("-")[:40] or "query"
            results = [
                {
                    "type": "web_search_result",
                    "url": f"https://example.com/{slug}/{i}",
                    "title": f"Offline result {i} for {query[:60]}",
                    "encrypted_content": base64.b64encode(f"offline:{query}:{i}".encode()).decode(),
                    "page_age": f"{i + 1} days ago",
                }
                for i in (1, 2)
            ]
            text = (
                f"{BANNER} I searched the web for \u201c{query}\u201d. "
                f"According to [{results[0]['title']}]({results[0]['url']}) and "
                f"[{results[1]['title']}]({results[1]['url']}), these are simulated "
                "results: no search was performed."
            )
            return [
                _server_tool_use(use_id, "web_search", {"query": query}),
                {"type": "web_search_tool_result", "tool_use_id": use_id, "content": results},
                {"type": "text", "text": text},
            ]
        if kind == "web_fetch":
            m = re.search(r"https?://[^\s)\"'>]+", self.prompt)
            url = m.group(0).rstrip(".,") if m else "https://example.com/"
            page = f"Offline copy of {url}. The simulator does not access the network."
            return [
                _server_tool_use(use_id, "web_fetch", {"url": url}),
                {
                    "type": "web_fetch_tool_result",
                    "tool_use_id": use_id,
                    "content": {
                        "type": "web_fetch_result",
                        "url": url,
                        "retrieved_at": "2026-01-01T00:00:00Z",
                        "content": {
                            "type": "document",
                            "title": f"Offline page {url}",
                            "source": {"type": "text", "media_type": "text/plain", "data": page},
                        },
                    },
                },
                {"type": "text", "text": f"{BANNER} I fetched {url}. It says: \u201c{page}\u201d"},
            ]
        code, stdout, rc, stderr = run_code(self.prompt)
        return [
            _server_tool_use(use_id, "code_execution", {"code": code}),
            {
                "type": "code_execution_tool_result",
                "tool_use_id": use_id,
                "content": {
                    "type": "code_execution_result",
                    "stdout": stdout,
                    "stderr": stderr,
                    "return_code": rc,
                    "content": [],
                },
            },
            {
                "type": "text",
                "text": f"{BANNER} I ran the code:\n\n```python\n{code}\n```\n\n"
                f"Output:\n\n```\n{stdout or stderr}```",
            },
        ]


def generate(body: dict, model: ModelInfo, message_id: str) -> Reply:
    return Generator(body, model, message_id).generate()


def _server_tool_use(use_id: str, name: str, tool_input: dict[str, Any]) -> dict[str, Any]:
    """The server_tool_use block that opens each simulated server-tool call."""
    return {"type": "server_tool_use", "id": use_id, "name": name, "input": tool_input}
