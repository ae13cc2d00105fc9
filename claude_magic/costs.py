"""Cost analysis of the usage ledger: the questions people ask of their spend, in pandas.

- `cost_summary(df, by=...)`: what each cell, chat, model, notebook or day cost, with its
  cache hit rate and what the cache saved;
- `reprice(df, model=, cache=, batch=)`: the same calls priced on another model, without
  caching or through the Batch API, as a ledger frame that every function here accepts;
- `compare_costs(df, models)`: one row per model: as run, without caching, at batch price;
- `plot_costs(frame)`: the bar chart of a summary or a comparison;
- `show_usage(by)`: a summary and its chart for `%claude usage --by ...`.

Any frame of `usage.COLUMNS` works (`usage_frame()`, `usage_from_notebooks()`, a `reprice`
result); extra columns are kept and missing optional ones are tolerated. Prices come from
`pricing` (one home for every rate, the Haiku 5.5 long-prompt tier and the batch discount);
an unknown price is nan, never an exception. Imports pandas: load it only when used. No
IPython import except inside `show_usage`, the one function that displays.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from . import pricing
from .formatting import plural
from .models import current_models, lookup
from .report import TOKEN_KINDS, ReportFrame, cache_hit_rate, percent, usd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

GROUPS = ("cell", "chat", "model", "notebook", "day")
THIS_KERNEL = "(this kernel)"
"""The notebook label of this kernel's own calls (their `notebook` is empty)."""
SUMMARY_COLUMNS = ("calls", *TOKEN_KINDS, "cost_usd", "cache_hit_rate", "cache_savings_usd")
COMPARISON_COLUMNS = ("as_run_usd", "no_cache_usd", "batch_usd")
_WRITE_SPLIT = ("cache_creation_5m_input_tokens", "cache_creation_1h_input_tokens")
_KEY_COLUMNS = {
    "cell": ("notebook", "cell_id", "execution_count", "chat"),
    "chat": ("chat",),
    "model": ("model",),
    "notebook": ("notebook",),
    "day": ("day",),
}
_FORMATS = {
    **dict.fromkeys(("calls", *TOKEN_KINDS), "int"),
    "cost_usd": "usd",
    "cache_savings_usd": "usd",
    "cache_hit_rate": "percent",
    **dict.fromkeys(COMPARISON_COLUMNS, "usd"),
}


def cost_summary(df: pd.DataFrame | None = None, by: str | Sequence[str] = "cell") -> ReportFrame:
    """One row per group of calls: what it cost, its cache hit rate and what caching saved.

    `df` is a usage frame (default: this kernel's `usage_frame()`); `by` is "cell", "chat",
    "model", "notebook", "day" (UTC date of the call), a list of them or a comma-separated
    string ("model,day"). Columns: the group keys, `calls`, the four token kinds, `cost_usd`
    (as recorded; nan if any call of the group has no price), `cache_hit_rate` (cache reads
    ÷ all input tokens: plain + cache writes + cache reads) and `cache_savings_usd` (what the
    cache reads would have cost as plain input, minus what they cost). Cells come in
    execution order, days in date order, other groups by cost, highest first. This kernel's
    calls have the notebook "(this kernel)".
    """
    frame = _ledger(df, need=("cost_usd",))
    keys = parse_by(by)
    pricing.check_prices_age(frame["model"].dropna().unique().tolist())
    data = pd.DataFrame(
        {kind: _counts(frame, kind).to_numpy() for kind in TOKEN_KINDS}
        | {
            "cost_usd": frame["cost_usd"].astype("float64").to_numpy(),
            "cache_savings_usd": _priced(frame)[1].to_numpy(),
            "_order": range(len(frame)),
        }
    )
    group_keys: list[str] = []
    shown: dict[str, pd.Series] = {}
    for key in keys:
        grouping, display = _key_values(frame, key)
        for column, values in grouping.items():
            if column not in group_keys:
                data[column] = values.to_numpy()
                group_keys.append(column)
        shown.update(display)
    for column, values in shown.items():
        if column not in group_keys:
            data[column] = values.to_numpy()
    out = _aggregate(data, group_keys, [c for c in shown if c not in group_keys])
    out = _sorted(out, keys)
    columns = [c for key in keys for c in _KEY_COLUMNS[key]]
    out = ReportFrame(out[list(dict.fromkeys(columns)) + list(SUMMARY_COLUMNS)])
    out.attrs.update(
        kind="summary",
        by=keys,
        title=f"Cost by {' and '.join(keys)}",
        notes=[
            *_price_notes(frame, frame["model"].tolist(), recorded=True),
            *billing_notes(frame),
        ],
        formats=_FORMATS,
    )
    return out


def reprice(
    df: pd.DataFrame | None = None,
    *,
    model: str | None = None,
    cache: bool = True,
    batch: bool | None = None,
) -> pd.DataFrame:
    """The same calls with `cost_usd` recomputed from their token counts at today's prices.

    - `model`: as if every call had run on this model (same token counts; Haiku 5.5's
      long-prompt tier is applied per call). None keeps each call's model.
    - `cache=False`: without caching: cache writes and reads become plain input tokens.
    - `batch`: True prices every call through the Batch API (50% off tokens; a call that
      already ran as a batch is not discounted twice), False at the standard price (what a
      batch call would have cost without the Batch API), None as each call ran (its
      `service_tier`). The returned `service_tier` column says which.

    Returns a frame with the input's columns (the ledger's, plus any extra) and `.attrs
    ["repriced"]` saying what was changed, so `cost_summary`, `compare_costs` and
    `plot_costs` work on it. A model without a price gives nan costs and one warning.
    """
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise TypeError(f"reprice: model must be a model id like 'claude-haiku-5-5', not {model!r}")
    if not _is_bool(cache):
        raise TypeError(f"reprice: cache must be True or False, not {cache!r}")
    if batch is not None and not _is_bool(batch):
        raise TypeError(f"reprice: batch must be True, False or None (as run), not {batch!r}")
    out = _ledger(df).copy()
    if model is not None:
        out["model"] = pd.Series(model, index=out.index, dtype="string")
    pricing.check_prices_age(out["model"].dropna().unique().tolist())
    if not cache:
        reads = _counts(out, "cache_read_input_tokens")
        writes = _counts(out, "cache_creation_input_tokens")
        out["input_tokens"] = _counts(out, "input_tokens") + writes + reads
        for column in ("cache_creation_input_tokens", *_WRITE_SPLIT, "cache_read_input_tokens"):
            if column in out.columns:
                out[column] = 0
    if batch is not None:
        tier = "batch" if batch else "standard"
        out["service_tier"] = pd.Series(tier, index=out.index, dtype="string")
    elif "service_tier" not in out.columns:
        out["service_tier"] = pd.Series(pd.NA, index=out.index, dtype="string")
    out["cost_usd"] = _priced(out)[0].to_numpy()
    changed = {"model": model, "cache": cache, "batch": batch}
    out.attrs["repriced"] = {
        **out.attrs.get("repriced", {}),
        **{k: v for k, v in changed.items() if v is not None and (k != "cache" or not v)},
    }
    return out


def compare_costs(
    df: pd.DataFrame | None = None, models: str | Iterable[str] | None = None
) -> ReportFrame:
    """What these calls would cost on each model: as run, without caching, at batch price.

    One row per model (default: the current models of the price table, models added with
    `set_prices`, and the models the calls ran on), cheapest first: `as_run_usd` (each
    call's caching and service tier as recorded), `no_cache_usd`, `batch_usd`, the price's
    `source` and `calls` (how many of the calls ran on that model). Same token counts on
    every model: tokenizers differ, so the other models' figures are estimates.
    `plot_costs` draws it.
    """
    frame = _ledger(df)
    ran_on = pd.Series(_base_ids(frame["model"].tolist()), dtype="string")
    ran = list(dict.fromkeys(ran_on.dropna().tolist()))
    if models is None:
        chosen = [m.id for m in current_models() if pricing.get_price(m.id) is not None]
        chosen += [m for m in pricing.priced_models() if lookup(m) is None]
        chosen += ran
    elif isinstance(models, str):
        chosen = [models]
    elif isinstance(models, Iterable):
        chosen = list(models)
    else:
        raise TypeError(
            f"compare_costs: models must be a model id or a list of them, not {models!r}"
        )
    bad = [m for m in chosen if not isinstance(m, str) or not m.strip()]
    if bad or not chosen:
        raise ValueError(
            "compare_costs: models must be model ids like 'claude-haiku-5-5'"
            + (f", not {bad[0]!r}" if bad else "; the list is empty")
        )
    chosen = _base_ids(chosen)  # an alias or dated snapshot id is a row of its model
    pricing.check_prices_age(chosen)
    rows = []
    for model in dict.fromkeys(chosen):
        price = pricing.get_price(model)
        rows.append(
            {
                "model": model,
                "as_run_usd": _total(reprice(frame, model=model)),
                "no_cache_usd": _total(reprice(frame, model=model, cache=False)),
                "batch_usd": _total(reprice(frame, model=model, batch=True)),
                "source": price.source if price else pd.NA,
                "calls": int((ran_on == model).sum()),
            }
        )
    out = pd.DataFrame(rows, columns=["model", *COMPARISON_COLUMNS, "source", "calls"])
    out = out.astype({"model": "string", "source": "string", "calls": "int64"})
    out = ReportFrame(
        out.sort_values("as_run_usd", na_position="last", kind="stable").reset_index(drop=True)
    )
    recorded = _total(frame) if "cost_usd" in frame.columns else math.nan
    out.attrs.update(
        kind="comparison",
        title="These calls on each model",
        notes=[
            f"Recorded: {usd(recorded)} for {len(frame):,} calls on "
            f"{', '.join(ran) or 'no model'}.",
            "Same token counts on every model (tokenizers differ: an estimate). as_run: "
            "caching and service tier as the calls ran; no_cache: cache writes and reads "
            "billed as plain input; batch: Message Batches API (50% off tokens).",
            *_price_notes(frame, out["model"].tolist(), recorded=False),
            *billing_notes(frame),
        ],
        formats=_FORMATS,
        recorded_usd=recorded,
    )
    return out


def plot_costs(frame: pd.DataFrame, ax: Axes | None = None) -> Figure:
    """A bar chart of a `cost_summary` or `compare_costs` frame; never calls show().

    A summary: one bar per group (cost, with what caching saved stacked on it, so a bar's
    full length is what the group would have cost without cache reads); cells and days
    upright in their order, other groups as horizontal bars. A comparison: per model, bars
    for as run, without caching and at batch price, with the recorded cost as a line.
    """
    from matplotlib.figure import Figure

    if not isinstance(frame, pd.DataFrame):
        raise TypeError(
            "plot_costs draws a frame from cost_summary() or compare_costs(), "
            f"not {type(frame).__name__}"
        )
    if "as_run_usd" in frame.columns:
        draw = _plot_comparison
    elif {"cost_usd", "cache_savings_usd"} <= set(frame.columns):
        draw = _plot_summary
    else:
        raise ValueError(
            "plot_costs draws a frame from cost_summary() or compare_costs(); "
            "for a usage frame use plot_costs(cost_summary(df))"
        )
    if ax is None:
        rows = max(len(frame), 1)
        if draw is _plot_comparison:
            height = min(1.8 + 0.75 * rows, 12)
        else:
            height = 4.0 if _upright(frame) else min(1.8 + 0.45 * rows, 12)
        ax = Figure(figsize=(9, height), layout="constrained").subplots()
    fig = ax.get_figure()
    if frame.empty:
        ax.text(0.5, 0.5, "no usage yet", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    draw(frame, ax)
    return fig


def show_usage(by: str | Sequence[str] = "cell", df: pd.DataFrame | None = None) -> None:
    """Display `cost_summary(df, by)` (HTML table) and its chart; what `%claude usage --by`
    shows. Prints one line instead when there are no calls; a bad `by` raises ValueError."""
    from IPython import get_ipython
    from IPython.display import display

    from .commands import enable_figure_png

    keys = parse_by(by)
    frame = _ledger(df)
    if frame.empty:
        print("No API calls yet.")
        return
    summary = cost_summary(frame, by=keys)
    display(summary)
    enable_figure_png(get_ipython())
    display(plot_costs(summary))


def parse_by(by: str | Sequence[str]) -> list[str]:
    """The groups of `by` ("model", "model,day" or a list), checked, without duplicates."""
    if isinstance(by, str):
        items = by.split(",")
    elif isinstance(by, Iterable):
        items = list(by)
    else:
        items = [by]  # a number or None: named in the error below
    keys = [str(item).strip() for item in items if str(item).strip()]
    bad = [k for k in items if not isinstance(k, str) or k.strip() not in (*GROUPS, "")]
    if bad or not keys:
        raise ValueError(f"by must be one of {', '.join(GROUPS)} or a list of them, not {by!r}")
    return list(dict.fromkeys(keys))


# --- frames -------------------------------------------------------------------------------


def _ledger(df: pd.DataFrame | None, need: tuple[str, ...] = ()) -> pd.DataFrame:
    """The frame to analyse (this kernel's ledger by default), checked for the columns used."""
    if df is None:
        from .session import current

        return current().ledger.frame()
    if not isinstance(df, pd.DataFrame):
        raise TypeError(
            "expected a usage DataFrame (usage_frame(), usage_from_notebooks() or reprice()), "
            f"not {type(df).__name__}"
        )
    if "calls" in df.columns or df.attrs.get("kind") in ("summary", "comparison"):
        raise ValueError(
            "this is a summary (one row per group), not a usage frame (one row per call): "
            "pass the frame it was made from, e.g. reprice(df) then cost_summary(...)"
        )
    missing = [c for c in ("model", *TOKEN_KINDS, *need) if c not in df.columns]
    if missing:
        raise ValueError(
            f"not a usage frame: no column {', '.join(missing)} "
            "(use usage_frame(), usage_from_notebooks() or reprice())"
        )
    return df


def _counts(frame: pd.DataFrame, column: str) -> Any:
    """A token counter column as int64 (0 where missing or empty)."""
    if column not in frame.columns:
        return pd.Series(0, index=frame.index, dtype="int64")
    return pd.to_numeric(frame[column], errors="coerce").fillna(0).astype("int64")


def _billed(frame: pd.DataFrame) -> tuple[dict[str, pd.Series], pd.Series, pd.Series, pd.Series]:
    """Each row's billed token counts (by `pricing.RATES` kind), batch flag, web searches and
    US-only flag (`inference_geo == "us"`)."""
    writes = _counts(frame, "cache_creation_input_tokens")
    five, hour = (_counts(frame, column) for column in _WRITE_SPLIT)
    split = five + hour == writes  # a frame without the 5m/1h split: every write is 5m
    tokens = {
        "input": _counts(frame, "input_tokens"),
        "output": _counts(frame, "output_tokens"),
        "cache_write_5m": five.where(split, writes),
        "cache_write_1h": hour.where(split, 0),
        "cache_read": _counts(frame, "cache_read_input_tokens"),
    }
    return (
        tokens,
        _flag(frame, "service_tier", "batch"),
        _counts(frame, "web_search_requests"),
        _flag(frame, "inference_geo", "us"),
    )


def _flag(frame: pd.DataFrame, column: str, value: str) -> pd.Series:
    """Where a text column holds `value` (False where it is missing, or has no such column)."""
    if column not in frame.columns:
        return pd.Series(False, index=frame.index)
    return (frame[column].astype("string") == value).fillna(False).astype(bool)


def _priced(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Cost and cache savings of every row at the prices in use (`pricing.call_charges` does
    the arithmetic, per model); nan for a row whose model has no price or no model."""
    index = frame.index
    frame = frame.reset_index(drop=True)  # a concatenated frame may repeat index labels
    tokens, batch, searches, us_only = _billed(frame)
    cost = pd.Series(math.nan, index=frame.index, dtype="float64")
    saved = cost.copy()
    models = frame["model"].astype("string")
    for model in models.dropna().unique():
        rows = (models == model).fillna(False).astype(bool)
        charged = pricing.call_charges(
            str(model),
            {kind: counts[rows] for kind, counts in tokens.items()},
            batch=batch[rows],
            web_searches=searches[rows],
            us_only=us_only[rows],
        )
        if charged is not None:
            cost[rows], saved[rows] = charged
    return cost.set_axis(index), saved.set_axis(index)


def _is_bool(value: Any) -> bool:
    """True or False (numpy's too), not a string or a number that merely looks like one."""
    return pd.api.types.is_bool(value)


def _total(frame: pd.DataFrame) -> float:
    """Total cost; nan if any call has no price."""
    return float(frame["cost_usd"].astype("float64").sum(skipna=False))


def _base_ids(models: Iterable[Any]) -> list[Any]:
    """Model ids as the price table names them (a dated snapshot counts as its model)."""
    out = []
    for model in models:
        known = lookup(model) if isinstance(model, str) else None
        out.append(known.id if known else model if isinstance(model, str) else pd.NA)
    return out


def _key_values(frame: pd.DataFrame, key: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """The columns a group key groups by, and the columns it only shows (a cell's id, last
    execution count and chat)."""
    n = len(frame)

    def column(name: str, dtype: str = "string") -> pd.Series:
        if name in frame.columns:
            return frame[name].astype(dtype).reset_index(drop=True)
        return pd.Series(pd.NA, index=range(n), dtype=dtype)

    notebook = column("notebook").fillna(THIS_KERNEL)
    if key == "notebook":
        return {"notebook": notebook}, {}
    if key in ("chat", "model"):
        return {key: column(key)}, {}
    if key == "day":
        if "timestamp" not in frame.columns:
            raise ValueError("by='day' needs the frame's timestamp column")
        stamps = pd.to_datetime(frame["timestamp"], utc=True, errors="coerce")
        return {"day": stamps.dt.date.reset_index(drop=True)}, {}
    # A cell is its id in its notebook; without an id (terminal IPython) its execution count.
    cell_id, count = column("cell_id"), column("execution_count", "Int64")
    fallback = "[" + count.astype("string").fillna("?") + "]"
    grouping = {"notebook": notebook, "_cell": cell_id.fillna(fallback)}
    return grouping, {"cell_id": cell_id, "execution_count": count, "chat": column("chat")}


_SHOWN = {
    "cell_id": "first",
    "execution_count": "last",  # the latest run of the cell
    "chat": lambda s: ", ".join(dict.fromkeys(s.dropna())) or pd.NA,
}


def _aggregate(data: pd.DataFrame, keys: list[str], shown: list[str]) -> pd.DataFrame:
    """Sum the calls of each group; nan cost or savings if any call of the group has none."""
    data = data.assign(
        _cost_nan=data["cost_usd"].isna(), _savings_nan=data["cache_savings_usd"].isna()
    )
    grouped = data.groupby(keys, sort=False, dropna=False)
    out = grouped.agg(
        calls=("_order", "size"),
        _first=("_order", "min"),
        **{kind: (kind, "sum") for kind in TOKEN_KINDS},
        cost_usd=("cost_usd", "sum"),
        cache_savings_usd=("cache_savings_usd", "sum"),
        _cost_nan=("_cost_nan", "any"),
        _savings_nan=("_savings_nan", "any"),
        **{column: (column, _SHOWN[column]) for column in shown},
    ).reset_index()
    out["cost_usd"] = out["cost_usd"].where(~out.pop("_cost_nan"))
    out["cache_savings_usd"] = out["cache_savings_usd"].where(~out.pop("_savings_nan"))
    prompt = sum(out[kind] for kind in TOKEN_KINDS[:3])
    out["cache_hit_rate"] = cache_hit_rate(out["cache_read_input_tokens"], prompt)
    for column in ("notebook", "chat", "model", "cell_id"):
        if column in out.columns:
            out[column] = out[column].astype("string")
    if "execution_count" in out.columns:
        out["execution_count"] = out["execution_count"].astype("Int64")
    return out.astype({"calls": "int64", **dict.fromkeys(TOKEN_KINDS, "int64")})


def _sorted(out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Cells in execution order (per notebook, in first-seen order), days by date, else by
    cost (highest first, unpriced last); ties keep first-seen order."""
    if "cell" in keys:
        rank = out.groupby("notebook", sort=False, dropna=False)["_first"].transform("min")
        order = out.assign(_rank=rank).sort_values(
            ["_rank", "execution_count", "_first"], na_position="last", kind="stable"
        )
    elif "day" in keys:
        order = out.sort_values(
            ["day", "cost_usd", "_first"],
            ascending=[True, False, True],
            na_position="last",
            kind="stable",
        )
    else:
        order = out.sort_values(
            ["cost_usd", "_first"], ascending=[False, True], na_position="last", kind="stable"
        )
    return order.reset_index(drop=True)


def _price_notes(frame: pd.DataFrame, models: Iterable[Any], *, recorded: bool) -> list[str]:
    """Where a table's amounts come from: recorded or priced now (with the dates of the
    prices of `models`), and any repricing of the frame."""
    dates = {pricing.prices_as_of(m) for m in dict.fromkeys(models) if isinstance(m, str)}
    when = ", ".join(sorted(dates - {None})) or pricing.PRICES_AS_OF
    repriced = frame.attrs.get("repriced")
    if recorded and repriced is None:
        notes = [
            "cost_usd as recorded with each call; cache savings at prices as of "
            f"{when} (claude_magic.price_table())."
        ]
    else:
        notes = [f"USD at prices as of {when} (claude_magic.price_table())."]
    if repriced is not None:
        how = []
        if repriced.get("model"):
            how.append(f"on {repriced['model']}")
        if repriced.get("cache") is False:
            how.append("without caching")
        if "batch" in repriced:
            how.append("at batch price" if repriced["batch"] else "at standard price")
        notes.append(f"Repriced {' '.join(how) or 'at current prices'} (same token counts).")
    return notes


def billing_notes(frame: pd.DataFrame) -> list[str]:
    """What the amounts are not: calls that were never billed (the simulator, a replay) and
    calls whose output is only estimated (the stream broke before the final usage)."""

    def flag(column: str) -> pd.Series:
        if column not in frame.columns:
            return pd.Series(False, index=frame.index)
        return frame[column].astype("boolean").fillna(False).astype(bool)

    replayed = flag("replayed")
    offline = flag("offline") & ~replayed
    unbilled, estimated = int((offline | replayed).sum()), int(flag("estimated").sum())
    notes = []
    if unbilled:
        counts = {"on the offline simulator": offline, "replayed from a recording": replayed}
        kinds = [f"{int(rows.sum()):,} {what}" for what, rows in counts.items() if rows.any()]
        if unbilled == len(frame):
            notes.append(
                f"Nothing here was billed ({' and '.join(kinds)}): the amounts are what the "
                "API would have charged."
            )
        else:
            notes.append(
                f"{unbilled:,} of the {len(frame):,} calls were not billed ({' and '.join(kinds)}"
                "), but are priced as if sent: df[~(df.offline | df.replayed)] keeps the rest."
            )
    if estimated:
        notes.append(
            f"{plural(estimated, 'call')} broke off before the API reported the usage: the "
            "output tokens are estimated from the streamed text, so the cost is a lower bound."
        )
    return notes


# --- charts -------------------------------------------------------------------------------


def _labels(frame: pd.DataFrame) -> list[str]:
    """One short label per row of a summary: its key columns, joined."""
    by = [k for k in frame.attrs.get("by", []) if k in GROUPS]
    if not by:
        by = [k for k in GROUPS if k in frame.columns]
    several_notebooks = "notebook" in frame.columns and frame["notebook"].nunique() > 1
    labels = []
    for _, row in frame.iterrows():
        parts = []
        for key in by:
            if key == "cell":
                if several_notebooks and "notebook" not in by:
                    parts.append(_short_notebook(row.get("notebook")))
                parts.append(_cell_label(row.get("execution_count"), row.get("cell_id")))
            elif key == "notebook":
                parts.append(_short_notebook(row.get("notebook")))
            else:
                value = row.get(key)
                parts.append(
                    "?" if value is None or value is pd.NA or value != value else str(value)
                )
        labels.append(_plain(" · ".join(parts)))
    return labels


def _plain(text: str) -> str:
    """Text for matplotlib: a "$" (in a price or a chat name) is not a mathtext delimiter."""
    return text.replace("$", r"\$")


def _short_notebook(path: Any) -> str:
    if not isinstance(path, str):
        return THIS_KERNEL
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.removesuffix(".ipynb")


def _cell_label(execution_count: Any, cell_id: Any) -> str:
    if execution_count is not None and execution_count is not pd.NA:
        return f"[{int(execution_count)}]"
    return cell_id[:8] if isinstance(cell_id, str) else "?"


def _upright(frame: pd.DataFrame) -> bool:
    """Cells and days are drawn upright, in their order; other groups as horizontal bars."""
    return bool({"cell", "day"} & set(frame.attrs.get("by", [])))


def _plot_summary(frame: pd.DataFrame, ax: Axes) -> None:
    labels = _labels(frame)
    cost = frame["cost_usd"].astype("float64").fillna(0).tolist()
    saved = frame["cache_savings_usd"].astype("float64").fillna(0).tolist()
    upright = _upright(frame)
    positions = list(range(len(frame)))
    bars, stacked_on = (ax.bar, "bottom") if upright else (ax.barh, "left")
    bars(positions, cost, label="cost", color="C0")
    saved_style = {"color": "C0", "alpha": 0.3, "hatch": "//", "edgecolor": "C0", stacked_on: cost}
    stacked = bars(positions, saved, label="saved by cache reads", **saved_style)
    for patch in stacked:  # their base (the cost) is no edge of the axes: the margin stays
        patch.sticky_edges.x.clear()
        patch.sticky_edges.y.clear()
    if upright:
        ax.set_xticks(
            positions,
            labels,
            rotation=45 if len(frame) > 8 else 0,
            ha="right" if len(frame) > 8 else "center",
        )
        ax.set_ylabel("USD")
    else:
        ax.set_yticks(positions, labels)
        ax.invert_yaxis()  # the costliest group on top
        ax.set_xlabel("USD")
        ends = [c + s for c, s in zip(cost, saved, strict=True)]
        rates = frame["cache_hit_rate"].tolist()
        raw = frame["cost_usd"].tolist()
        for y, end, value, rate in zip(positions, ends, raw, rates, strict=True):
            text = "no price" if value != value else f"{usd(value)} · {percent(rate)} cache hits"
            ax.annotate(
                _plain(text),
                (end, y),
                xytext=(4, 0),
                textcoords="offset points",
                va="center",
                fontsize="small",
            )
        ax.margins(x=0.5)  # room for the labels at the bars' ends
    report = ReportFrame(frame)
    report.attrs = dict(frame.attrs)
    caption = report.caption_lines()
    ax.set_title(_plain(caption[0] if caption else "Cost"), fontsize="medium", loc="left")
    _legend(ax)


def _plot_comparison(frame: pd.DataFrame, ax: Axes) -> None:
    series = (
        ("as_run_usd", "as run", 1.0),
        ("no_cache_usd", "without caching", 0.45),
        ("batch_usd", "batch price", 0.7),
    )
    n = len(frame)
    height = 0.26
    labels = [
        _plain(f"{m} (ran)" if c else str(m))
        for m, c in zip(frame["model"].tolist(), frame.get("calls", [0] * n), strict=True)
    ]
    for i, (column, label, alpha) in enumerate(series):
        values = frame[column].astype("float64").tolist()
        ys = [y + (i - 1) * height for y in range(n)]
        bars = ax.barh(
            ys,
            [0 if v != v else v for v in values],
            height=height,
            label=label,
            color=f"C{i}",
            alpha=alpha if i else 1.0,
        )
        if column == "as_run_usd":
            for bar, value in zip(bars, values, strict=True):
                ax.annotate(
                    "no price" if value != value else _plain(usd(value)),
                    (bar.get_width(), bar.get_y() + bar.get_height() / 2),
                    xytext=(4, 0),
                    textcoords="offset points",
                    va="center",
                    fontsize="small",
                )
    ax.set_yticks(range(n), labels)
    ax.invert_yaxis()  # the cheapest model on top
    recorded = frame.attrs.get("recorded_usd")
    if recorded is not None and recorded == recorded:
        ax.axvline(
            recorded,
            color="black",
            linestyle="--",
            linewidth=1,
            label=_plain(f"recorded {usd(recorded)}"),
        )
    ax.set_xlabel("USD")
    ax.margins(x=0.2)
    title = str(frame.attrs.get("title", "Cost on each model"))
    ax.set_title(_plain(title), fontsize="medium", loc="left")
    _legend(ax)


def _legend(ax: Axes) -> None:
    """Beside the axes, where it hides no bar."""
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), fontsize="small", frameon=False)
