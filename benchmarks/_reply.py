"""A long Markdown reply shared by the streaming benchmarks (same text, same deltas)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.views_helpers import RICH_REPLY as RICH  # noqa: E402, F401 - one home for it

WORDS = (
    "the kernel streams tokens into widgets while pandas reads a frame and matplotlib "
    "draws axes for the notebook user who asked about broadcasting rules in NumPy"
).split()


def reply_text(words: int) -> str:
    """Markdown paragraphs of ~60 words each, with some inline code and emphasis."""
    out, para = [], []
    for i in range(words):
        word = WORDS[i % len(WORDS)]
        if i % 17 == 5:
            word = f"`{word}()`"
        elif i % 23 == 7:
            word = f"**{word}**"
        para.append(word)
        if len(para) == 60:
            out.append(" ".join(para) + ".")
            para = []
    if para:
        out.append(" ".join(para) + ".")
    return "\n\n".join(out)
