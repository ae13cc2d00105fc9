"""Cost arithmetic over the model table's dated prices: a dollar figure on every API call.

The prices themselves live in `models.py` with their date (`PRICES_AS_OF`) and sources
(`PRICES_SOURCE`); users can override a model with `set_price`, and an unknown model costs
`nan` (with one warning) instead of breaking a notebook. No SDK, IPython or widget import.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any

from .models import MODELS, PRICES_AS_OF, PRICES_SOURCE, ModelPrice, lookup
from .turn import cache_creation_split

__all__ = [
    "BATCH_DISCOUNT",
    "PRICES",
    "PRICES_AS_OF",
    "PRICES_SOURCE",
    "ModelPrice",
    "UnknownModelPriceWarning",
    "cache_savings_usd",
    "cost_usd",
    "estimate_input_cost_usd",
    "get_price",
    "price_table",
    "reset_prices",
    "set_price",
]

LONG_PROMPT_TOKENS = 100_000
"""Haiku 5.5 bills the whole request at its `long_prompt` rates above this prompt length."""
WEB_SEARCH_USD_PER_REQUEST = 10.0 / 1000
BATCH_DISCOUNT = 0.5


class UnknownModelPriceWarning(UserWarning):
    """A model has no price: its cost is reported as nan."""


PRICES: dict[str, ModelPrice] = {m.id: m.price for m in MODELS.values() if m.price}
"""The dated prices of the model table, by id (a view of `models.MODELS`)."""
_active: dict[str, ModelPrice] = dict(PRICES)
_warned: set[str] = set()


def get_price(model: str) -> ModelPrice | None:
    """The price of a model id (an alias or a dated snapshot id counts as its model)."""
    price = _active.get(model)
    if price is None:
        known = lookup(model)
        price = _active.get(known.id) if known else None
    if price is None and model not in _warned:
        _warned.add(model)
        warnings.warn(
            f"no price for model {model!r} (prices as of {PRICES_AS_OF}); its cost is nan. "
            "Use claude_magic.pricing.set_price to add one.",
            UnknownModelPriceWarning,
            stacklevel=3,
        )
    return price


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


def _prompt(tokens: Mapping[str, int]) -> int:
    """Prompt length for the Haiku 5.5 tier: input + cache writes + cache reads."""
    return sum(n for kind, n in tokens.items() if kind != "output")


def _tier(price: ModelPrice, prompt_tokens: int) -> ModelPrice:
    if price.long_prompt is not None and prompt_tokens > LONG_PROMPT_TOKENS:
        return price.long_prompt
    return price


def cost_usd(model: str, usage: Mapping[str, Any], *, batch: bool = False) -> float:
    """What one call cost: tokens at the model's rates plus web searches; nan if unpriced."""
    price = get_price(model)
    if price is None:
        return math.nan
    tokens = _tokens(usage)
    rates = asdict(_tier(price, _prompt(tokens)))
    factor = BATCH_DISCOUNT if batch else 1.0
    total = sum(n * rates[kind] for kind, n in tokens.items()) * factor / 1e6
    searches = _n(usage.get("server_tool_use"), "web_search_requests")
    return total + searches * WEB_SEARCH_USD_PER_REQUEST


def cache_savings_usd(model: str, usage: Mapping[str, Any]) -> float:
    """What the cache reads saved against paying the full input price for those tokens."""
    price = get_price(model)
    if price is None:
        return math.nan
    tokens = _tokens(usage)
    rates = _tier(price, _prompt(tokens))
    return tokens["cache_read"] * (rates.input - rates.cache_read) / 1e6


def estimate_input_cost_usd(model: str, input_tokens: int) -> float:
    """Cost of sending that many uncached input tokens (for dry runs and token counts)."""
    price = get_price(model)
    if price is None:
        return math.nan
    return input_tokens * _tier(price, input_tokens).input / 1e6


def set_price(
    model: str,
    *,
    input: float,
    output: float,
    cache_write_5m: float | None = None,
    cache_write_1h: float | None = None,
    cache_read: float | None = None,
) -> None:
    """Override (or add) a model's price; cache rates default to 1.25×/2×/0.1× of input."""
    _active[model] = ModelPrice(
        input=input,
        output=output,
        cache_write_5m=input * 1.25 if cache_write_5m is None else cache_write_5m,
        cache_write_1h=input * 2 if cache_write_1h is None else cache_write_1h,
        cache_read=input * 0.1 if cache_read is None else cache_read,
        source="override",
    )


def reset_prices() -> None:
    """Drop every `set_price` override and restore the dated table."""
    _active.clear()
    _active.update(PRICES)


def price_table():
    """The active prices as a DataFrame (one row per model), to show users what is assumed."""
    import pandas as pd

    rows = []
    for model, price in _active.items():
        long = price.long_prompt
        row = {"model": model, **asdict(price)}
        del row["long_prompt"]
        row["note"] = (
            f">{LONG_PROMPT_TOKENS:,}-token prompt: whole request at input {long.input}, "
            f"output {long.output}, write {long.cache_write_5m}/{long.cache_write_1h}, "
            f"read {long.cache_read}"
            if long
            else ""
        )
        row["as_of"] = PRICES_AS_OF
        rows.append(row)
    return pd.DataFrame(rows)
