"""The usage ledger: one row per API call, as a DataFrame, per-cell sums and a chart.

Live calls go into a `Ledger`; saved notebooks give the same frame through
`usage_from_notebooks`. Both build it with `frame_from_rows`, so the columns and dtypes
never drift apart. pandas and matplotlib are imported inside the functions that use them,
keeping `import claude_magic` fast. No IPython or widget import.
"""

from __future__ import annotations

import math
import numbers
import os
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import pricing
from .formatting import usd
from .notebook import UnreadableNotebook, expand_paths, iter_turns
from .record import SkippedRecord
from .turn import CallRecord

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

TOKEN_COLUMNS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_creation_5m_input_tokens",
    "cache_creation_1h_input_tokens",
    "cache_read_input_tokens",
    "web_search_requests",
    "web_fetch_requests",
)
DTYPES: dict[str, str] = {
    "timestamp": "datetime64[ns, UTC]",
    "notebook": "string",
    "cell_id": "string",
    "execution_count": "Int64",
    "chat": "string",
    "model": "string",
    **dict.fromkeys(TOKEN_COLUMNS, "int64"),
    "cost_usd": "float64",
    "service_tier": "string",
    "inference_geo": "string",
    "batch_id": "string",
    "stop_reason": "string",
    "ttft_s": "float64",
    "total_s": "float64",
    "request_id": "string",
    "offline": "bool",
    "error": "string",
    "estimated": "bool",
    "replayed": "bool",
}
COLUMNS: tuple[str, ...] = tuple(DTYPES)


class UsageReadWarning(UserWarning):
    """A notebook could not be read for usage and was skipped."""


def call_row(
    call: CallRecord,
    *,
    chat: str,
    cell_id: str | None,
    execution_count: int | None,
    notebook: str | None = None,
    batch_id: str | None = None,
) -> dict[str, Any]:
    """One ledger row for one call; prices it now if the record carries no cost.
    `batch_id` tags a request of a Message Batch (`claude_magic.batch`)."""
    five, hour = call.cache_creation_split()
    tools = call.server_tool_requests()
    tier = call.usage.get("service_tier")  # "standard", "batch", ...; absent in old records
    geo = call.usage.get("inference_geo")  # "us" costs more on recent models; often absent
    cost = call.cost_usd
    if cost is None or (isinstance(cost, float) and math.isnan(cost)):
        cost = pricing.cost_usd(call.model, call.usage)  # batch discount per service_tier
    return {
        "timestamp": call.started_at,
        "notebook": notebook,
        "cell_id": cell_id,
        "execution_count": execution_count,
        "chat": chat,
        "model": call.model,
        "input_tokens": call.counter("input_tokens"),
        "output_tokens": call.counter("output_tokens"),
        "cache_creation_input_tokens": call.counter("cache_creation_input_tokens"),
        "cache_creation_5m_input_tokens": five,
        "cache_creation_1h_input_tokens": hour,
        "cache_read_input_tokens": call.counter("cache_read_input_tokens"),
        "web_search_requests": tools.get("web_search_requests", 0),
        "web_fetch_requests": tools.get("web_fetch_requests", 0),
        "cost_usd": cost,
        "service_tier": tier if isinstance(tier, str) else None,
        "inference_geo": geo if isinstance(geo, str) else None,
        "batch_id": batch_id,
        "stop_reason": call.stop_reason,
        "ttft_s": call.ttft_s,
        "total_s": call.total_s,
        "request_id": call.request_id,
        "offline": bool(call.offline),
        "error": call.error,
        "estimated": bool(call.estimated),
        "replayed": bool(call.replayed),
    }


def frame_from_rows(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The usage DataFrame (COLUMNS, in order, with DTYPES) from ledger rows."""
    import pandas as pd

    rows = list(rows)
    data = {}
    for column, dtype in DTYPES.items():
        values = [row.get(column) for row in rows]
        if column == "timestamp":
            # A malformed timestamp in an old record becomes NaT rather than losing the file.
            parsed = pd.to_datetime(
                pd.Series(values, dtype=object), utc=True, format="ISO8601", errors="coerce"
            )
            data[column] = parsed.astype(dtype)
        else:
            data[column] = pd.Series(values, dtype=dtype)
    return pd.DataFrame(data, columns=list(COLUMNS))


class Ledger:
    """Every API call of the session, failed ones included (they may have been billed)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def record(
        self,
        call: CallRecord,
        *,
        chat: str,
        cell_id: str | None,
        execution_count: int | None,
        notebook: str | None = None,
        batch_id: str | None = None,
    ) -> None:
        """Add one call's row."""
        self.rows.append(
            call_row(
                call,
                chat=chat,
                cell_id=cell_id,
                execution_count=execution_count,
                notebook=notebook,
                batch_id=batch_id,
            )
        )

    def frame(self) -> pd.DataFrame:
        return frame_from_rows(self.rows)

    def clear(self) -> None:
        self.rows.clear()

    def __len__(self) -> int:
        return len(self.rows)


def summarize_by_cell(df: pd.DataFrame) -> pd.DataFrame:
    """Per-cell totals: one row per (notebook, cell, chat), in first-seen order.

    A cell without an id (terminal IPython has none) is keyed by its execution count
    instead. `uncached_input_tokens` is the API's `input_tokens` (already the uncached
    part). A cell's cost is nan if any of its calls has an unknown price.
    """
    import pandas as pd

    sums = [c for c in TOKEN_COLUMNS if c in df.columns]
    has_exec = df["execution_count"].notna()
    key = (
        df["cell_id"]
        .astype(object)
        .where(
            df["cell_id"].notna(),
            "[" + df["execution_count"].astype("string").where(has_exec, "?") + "]",
        )
    )
    keys = [df["notebook"].fillna(""), key.rename("_cell"), df["chat"].fillna("")]
    grouped = df.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        notebook=("notebook", "first"),
        cell_id=("cell_id", "first"),
        chat=("chat", "first"),
        execution_count=("execution_count", "last"),
        calls=("chat", "size"),
        **{c: (c, "sum") for c in sums},
        cost_usd=("cost_usd", lambda s: s.sum(skipna=False)),
    ).reset_index(drop=True)
    out.insert(len(out.columns) - 1, "uncached_input_tokens", out["input_tokens"])
    for column in ("notebook", "cell_id", "chat"):
        out[column] = out[column].astype("string")
    out["execution_count"] = out["execution_count"].astype("Int64")
    out["calls"] = out["calls"].astype("int64")
    out["cost_usd"] = pd.to_numeric(out["cost_usd"]).astype("float64")
    return out


def in_execution_order(cells: pd.DataFrame) -> pd.DataFrame:
    """`summarize_by_cell` rows by notebook, then execution count; cells without a count
    keep their first-seen order after the others."""
    keys = [c for c in ("notebook", "execution_count") if c in cells.columns]
    ordered = cells.sort_values(keys, kind="stable", na_position="last")
    return ordered.reset_index(drop=True)


TABLE_TOKENS = (
    ("input_tokens", "input"),
    ("cache_creation_input_tokens", "cache write"),
    ("cache_read_input_tokens", "cache read"),
    ("output_tokens", "output"),
)


def usage_table(cells: pd.DataFrame) -> pd.DataFrame:
    """What `%claude usage` shows: one row per cell (`[n]`, or the start of its id), chat,
    calls, tokens by kind and cost in dollars; a notebook column only when there is one."""
    import pandas as pd

    counts, ids = cells["execution_count"].astype(object), cells["cell_id"].astype(object)
    table = pd.DataFrame(
        {
            "cell": [_cell_label(ec, cid) for ec, cid in zip(counts, ids, strict=True)],
            "chat": cells["chat"].fillna("").tolist(),
            "calls": cells["calls"].tolist(),
            **{label: cells[column].tolist() for column, label in TABLE_TOKENS},
            "cost": [usd(float(v)) for v in cells["cost_usd"]],
        }
    )
    if cells["notebook"].notna().any():
        table.insert(0, "notebook", cells["notebook"].fillna("").tolist())
    return table.set_index("cell")


SEGMENTS = (
    ("uncached_input_tokens", "uncached input"),
    ("cache_creation_input_tokens", "cache write"),
    ("cache_read_input_tokens", "cache read"),
    ("output_tokens", "output"),
)


def _cell_label(execution_count: Any, cell_id: Any) -> str:
    """'[3]' for a cell with an execution count, else the start of its id."""
    if isinstance(execution_count, numbers.Integral):
        return f"[{execution_count}]"
    return cell_id[:8] if isinstance(cell_id, str) else "?"


def plot_usage(df: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """Stacked token bars per cell, with cost (USD) on a second axis; never calls show()."""
    from matplotlib.figure import Figure

    if ax is None:
        # A bare Figure (not pyplot): no global state, no duplicate inline display.
        ax = Figure(figsize=(8, 4), layout="constrained").subplots()
    fig = ax.get_figure()
    if len(df) == 0:
        ax.text(0.5, 0.5, "no usage yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    cells = df if "calls" in df.columns else summarize_by_cell(df)
    x = list(range(len(cells)))
    bottom = [0.0] * len(cells)
    for column, label in SEGMENTS:
        heights = [float(v) for v in cells[column]]
        ax.bar(x, heights, bottom=bottom, label=label)
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    counts, ids = cells["execution_count"].astype(object), cells["cell_id"].astype(object)
    ax.set_xticks(x, [_cell_label(ec, cid) for ec, cid in zip(counts, ids, strict=True)])
    ax.set_xlabel("cell")
    ax.set_ylabel("tokens")
    cost_ax = ax.twinx()
    cost_ax.plot(x, cells["cost_usd"].astype(float).tolist(), "o-", color="black", label="cost")
    cost_ax.set_ylabel("cost (USD)")
    cost_ax.set_ylim(bottom=0)
    handles, labels = ax.get_legend_handles_labels()
    more_handles, more_labels = cost_ax.get_legend_handles_labels()
    ax.legend(  # above the axes, where it hides no bar
        handles + more_handles,
        labels + more_labels,
        loc="lower left",
        bbox_to_anchor=(0, 1.01),
        ncols=5,
        fontsize="small",
        frameon=False,
    )
    return fig


def usage_from_notebooks(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> pd.DataFrame:
    """The usage frame of saved notebooks (path, glob, folder or list).

    An unreadable file, or a record in it that fails validation, is skipped with one
    warning naming the file (and cell); the rest is read. A path that does not exist, a
    glob that matches nothing and a folder without notebooks warn too (a typo would
    otherwise read as "no usage").
    """

    def skipped(record: SkippedRecord) -> None:
        warnings.warn(str(record), UsageReadWarning, stacklevel=4)

    rows: list[dict[str, Any]] = []
    for path in _notebook_paths(paths):
        try:
            found = [
                call_row(
                    call,
                    chat=turn.chat,
                    cell_id=turn.cell_id,
                    execution_count=turn.execution_count,
                    notebook=str(path),
                )
                for turn in iter_turns(path, on_skip=skipped)
                for call in turn.calls
            ]
        except UnreadableNotebook as exc:  # skip the file, don't fail the folder
            warnings.warn(f"skipped: {exc}", UsageReadWarning, stacklevel=2)
            continue
        rows.extend(found)
    return frame_from_rows(rows)


def _notebook_paths(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
) -> list[Path]:
    """`expand_paths`, with a warning for each path, glob or folder that gives no notebook."""
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    found: list[Path] = []
    for item in items:
        matched = expand_paths(item)
        text = os.fspath(item)
        if os.path.isdir(text) and not matched:
            why = "a folder without notebooks"
        elif not matched:
            why = "no notebook matches this pattern"
        elif len(matched) == 1 and not matched[0].exists():
            why = "no such file or folder"
        else:
            found.extend(matched)
            continue
        warnings.warn(f"skipping {text}: {why}", UsageReadWarning, stacklevel=4)
    return found
