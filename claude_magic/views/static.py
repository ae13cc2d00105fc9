"""The final, static mimebundle: it replaces the live view and is what the .ipynb keeps.

Every frontend picks its own mimetype (JupyterLab and VS Code: text/html; text-only
readers: text/plain), so each form carries the whole reply. text/markdown is rendered
unsanitized in live JupyterLab outputs, so model text in it goes through
`render.safe_markdown`, and other blocks are embedded as the (escaped) HTML cards.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from typing import Any

from ..turn import TURN_MIME, Turn
from . import render


def static_bundle(
    turn: Turn,
    *,
    offline: bool,
    running_cost: float | None,
    notes: Sequence[str] = (),
    rendered: Mapping[str, tuple[str, str]] | None = None,
    budget: float | None = None,
) -> dict[str, Any]:
    """The committed turn in four mimetypes, the last being the turn record itself.

    `rendered` maps a text block's text to its `render.text_html` and `render.safe_markdown`
    forms when the caller already has them (the live view rendered them while streaming).
    """
    bundle = _bundle(
        turn,
        offline=offline,
        running_cost=running_cost,
        notes=notes,
        error=None,
        rendered=rendered or {},
        budget=budget,
    )
    bundle[TURN_MIME] = turn.to_record()
    return bundle


def failed_bundle(turn: Turn, message: str, *, offline: bool) -> dict[str, Any]:
    """The partial reply plus a visible error; no turn record (it was not committed)."""
    return _bundle(turn, offline=offline, running_cost=None, notes=(), error=message, rendered={})


def _bundle(
    turn: Turn,
    *,
    offline: bool,
    running_cost: float | None,
    notes: Sequence[str],
    error: str | None,
    rendered: Mapping[str, tuple[str, str]],
    budget: float | None = None,
) -> dict[str, str]:
    blocks = list(render.reply_blocks(turn.replies))
    footer = dict(calls=turn.calls, offline=offline, running_cost=running_cost, budget=budget)
    plain = [render.block_text(b, name) for b, name in blocks]
    marks, cards = [], []
    for block, name in blocks:
        text = str(block.get("text", "")) if block.get("type") == "text" else None
        known = rendered.get(text) if text is not None else None
        html_, mark = known or (render.block_html(block, name), _block_markdown(block, name))
        cards.append(html_)
        marks.append(mark)
    footer_html = render.footer_html(**footer)
    plain.append(render.footer_text(**footer))
    marks.append(_one_line(footer_html))
    cards.append(footer_html)
    for note in reversed(notes):
        plain.insert(0, note)
        marks.insert(0, f"*{html.escape(note)}*")
        cards.insert(0, _note_html(note, error=False))
    if error:
        plain.append(error)
        marks.append(_one_line(_note_html(error, error=True)))
        cards.append(_note_html(error, error=True))
    return {
        "text/plain": "\n\n".join(p for p in plain if p),
        "text/markdown": "\n\n".join(marks),
        "text/html": f'<div class="cm-turn">{"".join(cards)}</div>',
    }


def _block_markdown(block: dict[str, Any], tool_name: str | None) -> str:
    if block.get("type") == "text":
        return render.safe_markdown(str(block.get("text", "")))
    return _one_line(render.block_html(block, tool_name))


def _one_line(fragment: str) -> str:
    """HTML kept as one Markdown HTML block: a blank line would end it mid-card."""
    return fragment.replace("\n", "&#10;")


def _note_html(text: str, *, error: bool) -> str:
    color = "#c00" if error else "#777"
    return f'<div class="cm-note" style="color:{color};margin:4px 0">{html.escape(text)}</div>'
