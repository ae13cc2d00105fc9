"""A DataFrame that shows what it is: the cost and price tables' titled, formatted display.

`cost_summary`, `compare_costs` and `price_table` return a `ReportFrame`: an ordinary
DataFrame (every pandas operation works, and derived frames stay ReportFrames) whose notebook
display adds a caption and formats its numbers ($0.012, 45.2%, 12,345). What the caption
says lives in `.attrs` (`title`, `notes`, `formats`), so it survives pandas operations; the
totals line is computed from the rows shown, so it never goes stale after a filter.

Imports pandas at module level: import it only where a table is built.
"""

from __future__ import annotations

import html
import math
from typing import Any

import pandas as pd

from . import formatting

TOKEN_KINDS = (
    "input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
)
"""The four token kinds of a cost table, in the order a prompt is billed."""


def percent(value: Any) -> str:
    return "–" if _missing(value) else f"{float(value):.1%}"


def integer(value: Any) -> str:
    return "" if _missing(value) else f"{int(value):,}"


def rate(value: Any) -> str:
    """A price per million tokens as written in the table (0.125, not 0.1250)."""
    return "" if _missing(value) else f"{float(value):g}"


def usd(value: Any) -> str:
    """Dollars as everywhere else (`formatting.usd`: two significant digits below $1)."""
    return "n/a" if _missing(value) else formatting.usd(float(value))


FORMATS = {"usd": usd, "percent": percent, "int": integer, "rate": rate}


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def cache_hit_rate(reads: Any, total_input: Any) -> Any:
    """Cache reads ÷ all input tokens (plain + cache writes + cache reads); nan for no input."""
    if isinstance(total_input, pd.Series):
        return (reads / total_input.where(total_input > 0)).astype("float64")
    return float(reads) / total_input if total_input else math.nan


class ReportFrame(pd.DataFrame):
    """A DataFrame with a caption (title, totals, notes) and formatted numbers on display."""

    _metadata: list[str] = []

    @property
    def _constructor(self) -> type[ReportFrame]:
        return ReportFrame

    def caption_lines(self) -> list[str]:
        """Title with totals of the rows shown, then the notes (dates, sources, caveats)."""
        title = str(self.attrs.get("title", ""))
        totals = _totals(self)
        head = " · ".join(part for part in [title, *totals] if part)
        return [line for line in [head, *self.attrs.get("notes", [])] if line]

    def formatted(self) -> pd.DataFrame:
        """A plain copy with the formatted columns as text, for display."""
        shown = pd.DataFrame(self).copy()
        for column, kind in self.attrs.get("formats", {}).items():
            if column in shown.columns:
                shown[column] = [FORMATS[kind](v) for v in shown[column].tolist()]
        return shown

    def _repr_html_(self) -> str:
        lines = self.caption_lines()
        head, notes = (lines[0], lines[1:]) if lines else ("", [])
        table = self.formatted().to_html(
            index=not isinstance(self.index, pd.RangeIndex),
            na_rep="",
            border=0,
            classes="cm-report",
            max_rows=pd.get_option("display.max_rows"),
            max_cols=pd.get_option("display.max_columns"),
            show_dimensions=False,
        )
        parts = [f"<p><strong>{html.escape(head)}</strong></p>"] if head else []
        parts += [f"<p><small>{html.escape(note)}</small></p>" for note in notes]
        # `$` as an entity and `mathjax_ignore`: JupyterLab would typeset "$0.01 … $0.02" as
        # math; values stay on one line (a model id would wrap at its hyphens).
        body = ("".join(parts) + table).replace("$", "&#36;")
        return (
            '<div class="cm-report-frame mathjax_ignore tex2jax_ignore">'
            "<style>.cm-report td { white-space: nowrap; }</style>" + body + "</div>"
        )

    def __repr__(self) -> str:
        body = pd.DataFrame.__repr__(self.formatted())
        return "\n".join([*self.caption_lines(), body])


def _totals(frame: pd.DataFrame) -> list[str]:
    """Totals of a cost summary's rows, from the columns it has (none for other tables)."""
    if "cost_usd" not in frame.columns or frame.empty:
        return []
    parts = []
    if "calls" in frame.columns:
        parts.append(f"{int(frame['calls'].sum()):,} calls")
    cost = frame["cost_usd"]
    unpriced = int(cost.isna().sum())
    parts.append(f"total {usd(cost.sum())}" + (f" (+ {unpriced} unpriced)" if unpriced else ""))
    if all(kind in frame.columns for kind in TOKEN_KINDS[:3]):
        prompt = sum(int(frame[kind].sum()) for kind in TOKEN_KINDS[:3])
        rate = cache_hit_rate(int(frame["cache_read_input_tokens"].sum()), prompt)
        parts.append(f"cache hit rate {percent(rate)}")
    if "cache_savings_usd" in frame.columns:
        parts.append(f"cache saved {usd(frame['cache_savings_usd'].sum())}")
    return parts
