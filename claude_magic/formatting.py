"""Counts and dollar amounts in words, the same way everywhere something is printed.

`plural(2, "turn")` is "2 turns", never "2 turn(s)"; `usd(0.00004)` is "$0.00004", never
"$0.0000" for a cost that is not zero. Pure logic: no IPython import.
"""

from __future__ import annotations

import math


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` and `word`, with `many` (default `word + "s"`) unless count is exactly 1."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def usd(value: float) -> str:
    """Dollars with two significant digits below $1 and cents above; "n/a" for no price."""
    if math.isnan(value):
        return "n/a"
    if value == 0:
        return "$0"
    if abs(value) >= 1:
        return f"${value:,.2f}"
    digits = max(2, 1 - math.floor(math.log10(abs(value))))
    return f"${value:.{digits}f}"
