"""A rendered piece of reply as markup over text the browser already has.

The live view streams a text block's raw text to the browser as it arrives; when a
Markdown block is finished, its HTML (from `render`, the one renderer) replaces that raw
text. Sending the HTML itself would send every byte of the reply twice, so the piece goes as
a *skeleton*: the HTML with every text run that occurs in the source replaced by a mark: `<C>`
copies the next C characters of the source (HTML-escaped), `<S,C>` first skips S
characters of Markdown syntax such as `**` or a fence line. A tag never starts with a
digit, and text in HTML never holds a raw `<`, so marks and HTML cannot be confused. Text
that is not found in the source stays as the (escaped) HTML it was.

Safety does not depend on the source: the browser only ever inserts the server's HTML as
HTML and escapes what it copies, so a lost message makes a piece wrong, never active.
Counts are in UTF-16 code units, the units of JavaScript strings.
"""

from __future__ import annotations

import html
import re

_PARTS = re.compile(r"(<[^>]*>)|([^<]+)")


def units(text: str) -> int:
    """Length of `text` in UTF-16 code units (JavaScript's `string.length`)."""
    return len(text) if text.isascii() else len(text.encode("utf-16-le")) // 2


def skeleton(piece_html: str, source: str) -> str:
    """`piece_html` (rendered from `source`) with its text runs replaced by copy/skip marks;
    the marks consume all of `source`, so the browser's cursor ends where the piece ends."""
    out: list[str] = []
    pos = 0
    for tag, run in _PARTS.findall(piece_html):
        if tag:
            out.append(tag)
            continue
        text = html.unescape(run)
        # Whitespace between tags is usually the renderer's own line break, not source
        # text: taken from the source only where it is next, never searched further on.
        found = pos if source.startswith(text, pos) else -1
        if found < 0 and not text.isspace():
            found = source.find(text, pos)
        if found < 0:
            out.append(run)
            continue
        skip = f"{units(source[pos:found])}," if found > pos else ""
        out.append(f"<{skip}{units(text)}>")
        pos = found + len(text)
    if pos < len(source):
        out.append(f"<{units(source[pos:])},0>")
    return "".join(out)


_MARK = re.compile(r"<(\d+)(?:,(\d+))?>")


def expand(skeleton_text: str, source: str, cursor: int = 0) -> tuple[str, int]:
    """What the browser builds from a skeleton (reply.js `expand`, for tests): the HTML and
    the cursor after it, `source` read from UTF-16 offset `cursor` on."""
    out: list[str] = []
    data = source.encode("utf-16-le")
    parts = _MARK.split(skeleton_text)
    for i in range(0, len(parts), 3):
        out.append(parts[i])
        if i + 1 < len(parts):
            first, second = int(parts[i + 1]), parts[i + 2]
            skip, copy = (first, int(second)) if second is not None else (0, first)
            cursor += skip
            out.append(html.escape(data[2 * cursor : 2 * (cursor + copy)].decode("utf-16-le")))
            cursor += copy
    return "".join(out), cursor
