"""Cost arithmetic over the model table's dated prices: a dollar figure on every API call.

The prices themselves live in `models.py` with their date (`PRICES_AS_OF`) and sources
(`PRICES_SOURCE`). Tables go stale: `price_table` and the cost analyses (`costs.py`) warn
once (`StalePricesWarning`) about prices older than `STALE_AFTER_DAYS`, and `set_prices`
replaces any model's price from a dict, a CSV file or a DataFrame (a course pins its
prices, with their own date), until `reset_prices`. An unknown model costs `nan` (with
one warning) instead of breaking a notebook. No SDK, IPython or widget import; pandas only
inside `price_table` and CSV reading.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import os
import warnings
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from .models import MODELS, PRICES_AS_OF, PRICES_SOURCE, ModelPrice, lookup, standard_price
from .turn import cache_creation_split

__all__ = [
    "BATCH_DISCOUNT",
    "US_ONLY_MULTIPLIER",
    "PRICES",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "ModelPrice",
    "StalePricesWarning",
    "UnknownModelPriceWarning",
    "cache_savings_usd",
    "call_charges",
    "check_price_age",
    "check_prices_age",
    "cost_usd",
    "estimate_input_cost_usd",
    "get_price",
    "price_table",
    "priced_models",
    "prices_as_of",
    "reset_prices",
    "set_price",
    "set_prices",
    "us_only_premium",
]

LONG_PROMPT_TOKENS = 100_000
"""Haiku 5.5 bills the whole request at its `long_prompt` rates above this prompt length."""
WEB_SEARCH_USD_PER_REQUEST = 10.0 / 1000
BATCH_DISCOUNT = 0.5
US_ONLY_MULTIPLIER = 1.1
"""US-only inference (`usage.inference_geo == "us"`) multiplies every token rate, cache
rates included, on Claude Opus 4.6 and the models released after it (the web search fee
stays); it stacks with the batch discount."""
_US_ONLY_SINCE = "claude-opus-4-6"
STALE_AFTER_DAYS = 90
"""A price checked longer ago than this may have changed: warn once."""

RATES = ("input", "output", "cache_write_5m", "cache_write_1h", "cache_read")
"""USD per million tokens, as `ModelPrice` names them."""
LONG_RATES = tuple(f"long_prompt_{rate}" for rate in RATES)
"""The same rates above `LONG_PROMPT_TOKENS` (Haiku 5.5)."""
_PRICE_COLUMNS = ("model", *RATES, *LONG_RATES, "source", "as_of")
"""What `price_table` returns and `set_prices` accepts (`source` is ignored there)."""


class UnknownModelPriceWarning(UserWarning):
    """A model has no price: its cost is reported as nan."""


class StalePricesWarning(UserWarning):
    """The prices in use were checked more than `STALE_AFTER_DAYS` ago."""


PRICES: dict[str, ModelPrice] = {m.id: m.price for m in MODELS.values() if m.price}
"""The dated prices of the model table, by id (a view of `models.MODELS`)."""
_active: dict[str, ModelPrice] = dict(PRICES)
_override_dates: dict[str, str | None] = {}
"""Models set with `set_prices`: the date their prices are as of (None: undated)."""
_warned: set[str] = set()
_stale_warned: set[str] = set()
_today: Callable[[], date] = date.today
"""Today's date for the staleness check (tests replace it)."""


def _resolve(model: str) -> str | None:
    """The id under which `model` has an active price (aliases and dated snapshots count)."""
    if model in _active:
        return model
    known = lookup(model)
    return known.id if known is not None and known.id in _active else None


def get_price(model: str) -> ModelPrice | None:
    """The price of a model id (an alias or a dated snapshot id counts as its model)."""
    key = _resolve(model)
    if key is None:
        if model not in _warned:
            _warned.add(model)
            warnings.warn(
                f"no price for model {model!r} (prices as of {PRICES_AS_OF}); its cost is nan. "
                "Use claude_magic.set_prices to add one.",
                UnknownModelPriceWarning,
                stacklevel=3,
            )
        return None
    return _active[key]


def priced_models() -> list[str]:
    """Every model id with an active price: the table's, then those added by `set_prices`."""
    return list(_active)


def prices_as_of(model: str | None = None) -> str | None:
    """The date a model's active price is as of (the table's date without a model).

    None for a price set with `set_prices` without a date, or a model without a price.
    """
    if model is None:
        return PRICES_AS_OF
    key = _resolve(model)
    if key is None:
        return None
    return _override_dates[key] if key in _override_dates else PRICES_AS_OF


def check_prices_age(models: Iterable[str] | None = None, *, today: date | None = None) -> None:
    """Warn once per date if the prices of `models` (default: every active price) were
    checked more than 90 days ago. Analyses and `price_table` call it; a call's own cost
    (the footer) does not, so that a stale table is one warning where prices are studied,
    not a line under every reply."""
    if models is None:
        dates = {PRICES_AS_OF, *_override_dates.values()}
    else:
        dates = {prices_as_of(m) for m in models if isinstance(m, str)}
    for as_of in sorted(d for d in dates if d is not None):
        check_price_age(as_of, today=today)


def check_price_age(as_of: str | date | None = None, *, today: date | None = None) -> int:
    """Days since the prices were checked; warns once per date when more than 90 days."""
    checked = _parse_date(as_of or PRICES_AS_OF, "as_of")
    age = ((today or _today()) - checked).days
    if age > STALE_AFTER_DAYS and checked.isoformat() not in _stale_warned:
        _stale_warned.add(checked.isoformat())
        warnings.warn(
            f"the prices in use are as of {checked} ({age} days ago) and may have changed. "
            "Check platform.claude.com/docs/en/about-claude/pricing and pin current prices "
            "with claude_magic.set_prices(...).",
            StalePricesWarning,
            stacklevel=2,
        )
    return age


def _n(mapping: Mapping[str, Any] | None, key: str) -> int:
    return int((mapping or {}).get(key) or 0)


def _tokens(usage: Mapping[str, Any]) -> dict[str, int]:
    """The billed counters of a usage dict; cache writes without a split count as 5m."""
    w5, w1 = cache_creation_split(dict(usage))
    return {
        "input": _n(usage, "input_tokens"),
        "output": _n(usage, "output_tokens"),
        "cache_write_5m": w5,
        "cache_write_1h": w1,
        "cache_read": _n(usage, "cache_read_input_tokens"),
    }


def _prompt(tokens: Mapping[str, Any]) -> Any:
    """Prompt length for the Haiku 5.5 tier: input + cache writes + cache reads."""
    return (
        tokens["input"] + tokens["cache_write_5m"] + tokens["cache_write_1h"] + tokens["cache_read"]
    )


def _tier(price: ModelPrice, prompt_tokens: int) -> ModelPrice:
    if price.long_prompt is not None and prompt_tokens > LONG_PROMPT_TOKENS:
        return price.long_prompt
    return price


def _by_tier(price: ModelPrice, prompt: Any, amount: Callable[[ModelPrice], Any]) -> Any:
    """`amount(rates)` at the rates of the prompt's tier: for one call, or element-wise for
    pandas Series of many calls."""
    base = amount(price)
    if price.long_prompt is None:
        return base
    long = amount(price.long_prompt)
    above = prompt > LONG_PROMPT_TOKENS
    if isinstance(above, bool):
        return long if above else base
    return base.where(~above, long)


def _charges(price: ModelPrice, tokens: Mapping[str, Any], factor: Any, searches: Any) -> Any:
    """(cost, cache savings) in USD of token counts at a price: the one place of the
    arithmetic, for numbers (one call) and pandas Series (many calls) alike."""
    prompt = _prompt(tokens)
    cost = _by_tier(price, prompt, lambda r: sum(tokens[kind] * getattr(r, kind) for kind in RATES))
    saved = _by_tier(price, prompt, lambda r: tokens["cache_read"] * (r.input - r.cache_read))
    return cost * factor / 1e6 + searches * WEB_SEARCH_USD_PER_REQUEST, saved * factor / 1e6


def _batch_factor(usage: Mapping[str, Any], batch: bool | None) -> float:
    """Batch calls cost half; None means "as the call ran" (its usage's `service_tier`)."""
    if batch is None:
        batch = usage.get("service_tier") == "batch"
    return BATCH_DISCOUNT if batch else 1.0


def us_only_premium(model: str) -> bool:
    """Whether US-only inference costs `US_ONLY_MULTIPLIER` on this model (Opus 4.6 and
    later; a model outside the table is not assumed to have the premium)."""
    known, first = lookup(model), MODELS[_US_ONLY_SINCE]
    return known is not None and known.created_at >= first.created_at


def _factor(model: str, usage: Mapping[str, Any], batch: bool | None) -> float:
    """What a call's token cost is multiplied by: the batch discount and US-only inference."""
    geo = US_ONLY_MULTIPLIER if usage.get("inference_geo") == "us" else 1.0
    return _batch_factor(usage, batch) * (geo if us_only_premium(model) else 1.0)


def cost_usd(model: str, usage: Mapping[str, Any], *, batch: bool | None = None) -> float:
    """What one call cost: tokens at the model's rates plus web searches; nan if unpriced.

    `batch=None` prices the call as it ran: at the batch discount when its usage says
    `service_tier: "batch"`. True or False force the batch or the standard price. A call
    whose usage says `inference_geo: "us"` costs 1.1x on Opus 4.6 and later models.
    """
    price = get_price(model)
    if price is None:
        return math.nan
    searches = _n(usage.get("server_tool_use"), "web_search_requests")
    return _charges(price, _tokens(usage), _factor(model, usage, batch), searches)[0]


def cache_savings_usd(model: str, usage: Mapping[str, Any], *, batch: bool | None = None) -> float:
    """What the cache reads saved against paying the plain input price for those tokens
    (at the same tier and batch discount as `cost_usd`)."""
    price = get_price(model)
    if price is None:
        return math.nan
    return _charges(price, _tokens(usage), _factor(model, usage, batch), 0)[1]


def call_charges(
    model: str, tokens: Mapping[str, Any], *, batch: Any, web_searches: Any, us_only: Any = None
) -> tuple[Any, Any] | None:
    """(cost, cache savings) in USD of many calls of one model, as pandas Series, with the
    same arithmetic as `cost_usd`: `tokens` maps each of `RATES` to a Series of counts,
    `batch` is a boolean Series (batch discount), `web_searches` a Series of counts and
    `us_only` a boolean Series (`inference_geo == "us"`; None: none of them).
    None (and one warning) if the model has no price."""
    price = get_price(model)
    if price is None:
        return None
    factor = batch.astype("float64") * (BATCH_DISCOUNT - 1) + 1
    if us_only is not None and us_only_premium(model):
        factor = factor * (us_only.astype("float64") * (US_ONLY_MULTIPLIER - 1) + 1)
    return _charges(price, tokens, factor, web_searches)


def estimate_input_cost_usd(model: str, input_tokens: int) -> float:
    """Cost of sending that many uncached input tokens (for dry runs and token counts)."""
    price = get_price(model)
    if price is None:
        return math.nan
    return input_tokens * _tier(price, input_tokens).input / 1e6


def set_prices(prices: Any, *, as_of: str | date | None = None) -> None:
    """Replace (or add) models' prices, e.g. to pin a course to the prices it was written with.

    `prices` is a dict `{model: {"input": 3, "output": 15, ...}}`, a CSV file (path or open
    file) or a DataFrame with a `model` column, in USD per million tokens. Per model:
    `input` and `output` are required; `cache_write_5m`, `cache_write_1h` and `cache_read`
    default to 1.25×, 2× and 0.1× input; `long_prompt_*` give rates for the whole request
    above 100,000 prompt tokens (as Haiku 5.5 has; without them there is no such tier);
    `as_of` dates a row (else the `as_of` argument; without either the prices are undated).
    A `source` column, as `price_table()` writes it, is ignored: set prices are marked
    "override". `price_table().to_csv(path)` then `set_prices(path)` round-trips. An alias
    or a dated snapshot id of a known model sets that model's price; an id close to a known
    one but not in the table (a typo?) is added with a warning.

    Everything is checked before anything changes: an unknown column, a missing input or
    output, a negative or non-numeric rate or a bad (or future) date raises ValueError
    naming it.
    `reset_prices()` restores the dated table.
    """
    default_date = None if as_of is None else _price_date(as_of, "set_prices: as_of")
    parsed: dict[str, tuple[ModelPrice, str | None]] = {}
    for where, given, fields in _price_rows(prices):
        model = _model_id(where, given)
        if model in parsed:
            raise ValueError(f"set_prices: {model!r} is given twice ({where})")
        parsed[model] = _model_price(where, model, fields, default_date)
    if not parsed:
        raise ValueError("set_prices: no prices given")
    for model in parsed:
        _warn_if_misspelt(model)
    for model, (price, dated) in parsed.items():
        _active[model] = price
        _override_dates[model] = dated


def set_price(
    model: str,
    *,
    input: float,
    output: float,
    cache_write_5m: float | None = None,
    cache_write_1h: float | None = None,
    cache_read: float | None = None,
    as_of: str | date | None = None,
) -> None:
    """Override (or add) one model's price: `set_prices` for a single model."""
    rates = {
        "input": input,
        "output": output,
        "cache_write_5m": cache_write_5m,
        "cache_write_1h": cache_write_1h,
        "cache_read": cache_read,
    }
    set_prices({model: {k: v for k, v in rates.items() if v is not None}}, as_of=as_of)


def reset_prices() -> None:
    """Drop every `set_prices` override and restore the dated table."""
    _active.clear()
    _active.update(PRICES)
    _override_dates.clear()


def _price_rows(prices: Any) -> list[tuple[str, Any, dict[str, Any]]]:
    """(where, model, fields) per model, from a dict, a CSV file or a DataFrame."""
    if isinstance(prices, Mapping):
        rows = []
        for model, fields in prices.items():
            if not isinstance(fields, Mapping):
                raise TypeError(
                    f"set_prices: the price of {model!r} must be a dict of rates such as "
                    f"{{'input': 3, 'output': 15}}, not {type(fields).__name__}"
                )
            rows.append((f"model {model!r}", model, dict(fields)))
        return rows
    import pandas as pd

    if isinstance(prices, (str, os.PathLike)) or hasattr(prices, "read"):
        if isinstance(prices, (str, os.PathLike)) and not os.path.isfile(prices):
            raise FileNotFoundError(f"set_prices: no such CSV file: {os.fspath(prices)}")
        try:
            frame = pd.read_csv(
                prices, dtype={"model": "string", "as_of": "string"}, skipinitialspace=True
            )
        except pd.errors.EmptyDataError:
            raise ValueError("set_prices: the CSV file is empty") from None
    elif isinstance(prices, pd.DataFrame):
        frame = prices
        if "model" not in frame.columns and frame.index.name == "model":
            frame = frame.reset_index()  # price_table().set_index("model")
    else:
        raise TypeError(
            "set_prices takes a dict {model: {rate: USD per million tokens}}, a CSV file "
            f"or a DataFrame, not {type(prices).__name__}"
        )
    if "model" not in frame.columns:
        raise ValueError(
            f"set_prices: the table needs a 'model' column; it has {list(frame.columns)}"
        )
    rows = []
    for number, record in enumerate(frame.to_dict("records"), start=1):
        model = record.pop("model")
        fields = {k: v for k, v in record.items() if not _blank(v)}
        rows.append((f"row {number}", None if _blank(model) else model, fields))
    return rows


def _blank(value: Any) -> bool:
    """An empty CSV cell (NaN, NA or None)."""
    try:
        return value is None or bool(value != value)  # NaN and pandas NA
    except TypeError:  # pd.NA != pd.NA is NA, whose truth value raises
        return True


def _model_price(
    where: str, model: Any, fields: dict[str, Any], default_date: str | None
) -> tuple[ModelPrice, str | None]:
    """A validated override price and its date; ValueError naming `where` and the field."""
    unknown = sorted(set(fields) - set(_PRICE_COLUMNS) - {"model"})
    if unknown:
        raise ValueError(
            f"set_prices: unknown column(s) {', '.join(map(repr, unknown))} for {model!r}; "
            f"known: {', '.join(c for c in _PRICE_COLUMNS if c != 'model')}"
        )
    dated = fields.get("as_of")
    if dated is not None:
        dated = _price_date(dated, f"set_prices: as_of of {model!r}")
    rates = {k: _rate(model, k, v) for k, v in fields.items() if k in RATES or k in LONG_RATES}
    price = _rates_price(model, {k: v for k, v in rates.items() if k in RATES}, "")
    long_rates = {k.removeprefix("long_prompt_"): v for k, v in rates.items() if k in LONG_RATES}
    if long_rates:
        long = _rates_price(model, long_rates, "long_prompt_")
        price = dataclasses.replace(price, long_prompt=long)
    return price, default_date if dated is None else dated


def _model_id(where: str, model: Any) -> str:
    """The id a price is kept under: stripped, and a known model's alias or dated snapshot
    id as the model itself (the calls of either are priced from the one entry)."""
    if not isinstance(model, str) or not model.strip():
        raise ValueError(f"set_prices: {where} has no model id")
    known = lookup(model.strip())
    return known.id if known is not None else model.strip()


def _warn_if_misspelt(model: str) -> None:
    """A new model whose id is close to a known one is probably a typo: say so (a course may
    well add a model of its own, so an id like no other passes quietly)."""
    if lookup(model) is not None:
        return
    close = difflib.get_close_matches(model, list(MODELS), n=1, cutoff=0.85)
    if close:
        warnings.warn(
            f"set_prices: {model!r} is not in the model table (did you mean {close[0]!r}?); "
            "its price is added as a new model",
            UserWarning,
            stacklevel=3,
        )


def _price_date(value: Any, what: str) -> str:
    """A price's date as ISO text; a date after today is a mistake (prices are checked)."""
    checked = _parse_date(value, what)
    if checked > _today() + timedelta(days=1):  # a day's grace for time zones
        raise ValueError(f"{what} is in the future ({checked}): prices are dated when checked")
    return checked.isoformat()


def _rates_price(model: str, rates: Mapping[str, float], prefix: str) -> ModelPrice:
    """An override price from rates named as in ModelPrice (`prefix` names them in errors);
    cache rates default to the standard multipliers of input."""
    missing = [f"{prefix}{k}" for k in ("input", "output") if k not in rates]
    if missing:
        raise ValueError(
            f"set_prices: {model!r} needs {' and '.join(map(repr, missing))} "
            "(USD per million tokens)"
        )
    base = standard_price(rates["input"], rates["output"], source="override")
    return dataclasses.replace(base, **{k: v for k, v in rates.items() if k in RATES[2:]})


def _rate(model: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(
            f"set_prices: {name} of {model!r} must be a number (USD per million tokens), "
            f"not {value!r}"
        )
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(
            f"set_prices: {name} of {model!r} must be a finite price >= 0, not {value!r}"
        )
    return number


def _parse_date(value: Any, what: str) -> date:
    if isinstance(value, datetime):  # a pandas Timestamp too: its day
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"{what} must be a date like 2026-11-22, not {value!r}") from None


def price_table():
    """The active prices, one row per model (USD per million tokens), with date and sources.

    A `ReportFrame`: `.attrs["as_of"]` and `.attrs["source"]` hold the table's date and
    sources, which its notebook display shows too. The `as_of` column dates each row (a
    `set_prices` override has its own date, or none). Warns once if the table is stale.
    """
    import pandas as pd

    from .report import ReportFrame

    check_prices_age()
    age = (_today() - _parse_date(PRICES_AS_OF, "PRICES_AS_OF")).days
    rows = []
    for model, price in _active.items():
        long = price.long_prompt
        row: dict[str, Any] = {"model": model}
        row.update({rate: getattr(price, rate) for rate in RATES})
        row.update({f"long_prompt_{r}": getattr(long, r) if long else math.nan for r in RATES})
        row["source"] = price.source
        row["as_of"] = prices_as_of(model)
        rows.append(row)
    table = ReportFrame(pd.DataFrame(rows, columns=list(_PRICE_COLUMNS)))
    table["as_of"] = table["as_of"].astype("string")
    table["model"] = table["model"].astype("string")
    table["source"] = table["source"].astype("string")
    overrides = sorted(_override_dates)
    notes = [
        f"Table as of {PRICES_AS_OF} ({age} days ago). Sources: {PRICES_SOURCE}",
        f"long_prompt_*: the whole request is billed at these rates when its prompt (input + "
        f"cache writes + cache reads) exceeds {LONG_PROMPT_TOKENS:,} tokens.",
    ]
    if overrides:
        notes.append(f"Set with set_prices (source 'override'): {', '.join(overrides)}.")
    table.attrs.update(
        title="Prices in USD per million tokens",
        notes=notes,
        formats=dict.fromkeys((*RATES, *LONG_RATES), "rate"),
        as_of=PRICES_AS_OF,
        source=PRICES_SOURCE,
        overrides={m: _override_dates[m] for m in overrides},
    )
    return table
