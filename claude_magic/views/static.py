"""The final, static mimebundle: it replaces the live view and is what the .ipynb keeps.

Three forms: text/html (JupyterLab, Notebook 7, VS Code, nbconvert and GitHub pick it; the
same markup the live view showed, so the switch does not move anything), text/plain
(terminals and text-only readers) and the turn record (restore and usage read it). No
text/markdown: every frontend that renders Markdown prefers the HTML, it would be a fourth
copy of the reply in the file, and it is rendered unsanitized in live JupyterLab outputs.
"""

from __future__ import annotations

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
    rendered: Mapping[str, str] | None = None,
    budget: float | None = None,
) -> dict[str, Any]:
    """The committed turn as text/html and text/plain, plus the turn record itself.

    `rendered` maps a text block's text to its `render.text_html` when the caller already
    has it (the live view rendered it while streaming).
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


def failed_bundle(turn: Turn, *, offline: bool, kept: Turn | None = None) -> dict[str, Any]:
    """What arrived before the failure, marked as not added (it was not committed). The
    reason is the error the cell raises next, shown once, below this.

    `kept` is the cell's earlier turn, which the chat still holds: this output replaces the
    one that carried its record, so it carries the record on (restore must find it).
    """
    if not (turn.replies or turn.calls):  # nothing arrived: the error alone says it all
        bundle: dict[str, Any] = {"text/plain": ""}
    else:
        error = render.not_added(kept is not None)
        bundle = _bundle(
            turn, offline=offline, running_cost=None, notes=(), error=error, rendered={}
        )
    if kept is not None:
        bundle[TURN_MIME] = kept.to_record()
    return bundle


def _bundle(
    turn: Turn,
    *,
    offline: bool,
    running_cost: float | None,
    notes: Sequence[str],
    error: str | None,
    rendered: Mapping[str, str],
    budget: float | None = None,
) -> dict[str, str]:
    blocks = list(render.reply_blocks(turn.replies))
    footer = dict(calls=turn.calls, offline=offline, running_cost=running_cost, budget=budget)
    plain = [*notes, *(render.block_text(b, name) for b, name in blocks)]
    cards = [render.note_html(note) for note in notes]
    for block, name in blocks:
        text = str(block.get("text", "")) if block.get("type") == "text" else None
        known = rendered.get(text) if text is not None else None
        cards.append(known or render.block_html(block, name))
    plain.append(render.footer_text(**footer))
    cards.append(render.footer_html(**footer))
    if error:
        plain.append(error)
        cards.append(render.note_html(error, error=True))
    body = "".join(cards)
    return {
        "text/plain": "\n\n".join(p for p in plain if p),
        "text/html": f'<div class="cm-turn">{render.style_tag(body)}{body}</div>',
    }
