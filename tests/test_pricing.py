"""The price table and cost arithmetic, against hand-computed figures from api-notes §4."""

from __future__ import annotations

import math
import warnings

import pytest

from claude_magic import pricing
from claude_magic.pricing import (
    PRICES,
    PRICES_AS_OF,
    ModelPrice,
    UnknownModelPriceWarning,
    cache_savings_usd,
    cost_usd,
    estimate_input_cost_usd,
    reset_prices,
    set_price,
)

# USD per million tokens: input, output, 5m write, 1h write, read (api-notes §4).
EXPECTED = {
    "claude-fable-5-2": (8, 40, 10, 16, 0.8),
    "claude-mythos-5-2": (8, 40, 10, 16, 0.8),
    "claude-fable-5-1": (10, 50, 12.5, 20, 0.25),
    "claude-mythos-5-1": (10, 50, 12.5, 20, 0.25),
    "claude-fable-5": (10, 50, 12.5, 20, 1.0),
    "claude-mythos-5": (10, 50, 12.5, 20, 1.0),
    "claude-opus-5-5": (4, 20, 5, 8, 0.2),
    "claude-opus-5": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-8": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-7": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-6": (5, 25, 6.25, 10, 0.5),
    "claude-opus-4-5": (5, 25, 6.25, 10, 0.5),
    "claude-sonnet-5-5": (2, 10, 2.5, 4, 0.2),
    "claude-sonnet-5": (2, 10, 2.5, 4, 0.2),
    "claude-haiku-5-5": (0.1, 0.5, 0.125, 0.2, 0.01),
    "claude-haiku-4-5": (1, 5, 1.25, 2, 0.1),
    "claude-sonnet-4-6": (3, 15, 3.75, 6, 0.3),
    "claude-sonnet-4-5": (3, 15, 3.75, 6, 0.3),
}

# 1,000 input, 2,000 output, 3,000 + 4,000 cache writes (5m + 1h), 5,000 reads.
USAGE = {
    "input_tokens": 1_000,
    "output_tokens": 2_000,
    "cache_creation_input_tokens": 7_000,
    "cache_creation": {"ephemeral_5m_input_tokens": 3_000, "ephemeral_1h_input_tokens": 4_000},
    "cache_read_input_tokens": 5_000,
}


@pytest.fixture(autouse=True)
def _clean_prices():
    reset_prices()
    yield
    reset_prices()


def test_table_covers_expected_models():
    assert set(PRICES) == set(EXPECTED)
    assert PRICES_AS_OF == "2026-11-22"
    assert "platform.claude.com" in pricing.PRICES_SOURCE
    assert PRICES["claude-fable-5-2"].source == "third-party"
    assert PRICES["claude-mythos-5-2"].source == "third-party"
    assert PRICES["claude-opus-5"].source == "official"


@pytest.mark.parametrize("model", sorted(EXPECTED))
def test_cost_of_fixed_usage_for_every_model(model):
    inp, out, w5, w1, read = EXPECTED[model]
    expected = (1_000 * inp + 2_000 * out + 3_000 * w5 + 4_000 * w1 + 5_000 * read) / 1e6
    assert cost_usd(model, USAGE) == pytest.approx(expected, rel=1e-12)


def test_cache_multipliers():
    opus = "claude-opus-5"  # input 5
    assert cost_usd(opus, {"cache_creation_input_tokens": 1_000_000}) == pytest.approx(6.25)
    one_hour = {
        "cache_creation_input_tokens": 1_000_000,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 1_000_000},
    }
    assert cost_usd(opus, one_hour) == pytest.approx(10.0)
    assert cost_usd(opus, {"cache_read_input_tokens": 1_000_000}) == pytest.approx(0.5)
    assert cost_usd("claude-fable-5-1", {"cache_read_input_tokens": 10**6}) == pytest.approx(0.25)
    assert cost_usd("claude-opus-5-5", {"cache_read_input_tokens": 10**6}) == pytest.approx(0.2)


def test_missing_and_none_counters_are_zero():
    assert cost_usd("claude-opus-5", {}) == 0.0
    usage = {"input_tokens": None, "output_tokens": 1_000_000, "cache_creation": None}
    assert cost_usd("claude-opus-5", usage) == pytest.approx(25.0)


def _haiku_usage(prompt: int) -> dict:
    """A prompt of `prompt` tokens split over input, cache write and cache read."""
    return {
        "input_tokens": prompt - 20_000,
        "cache_creation_input_tokens": 10_000,
        "cache_read_input_tokens": 10_000,
        "output_tokens": 1_000,
    }


def test_haiku_5_5_tier_just_below_and_above_100k():
    below = (80_000 * 0.10 + 10_000 * 0.125 + 10_000 * 0.01 + 1_000 * 0.50) / 1e6
    assert cost_usd("claude-haiku-5-5", _haiku_usage(100_000)) == pytest.approx(below)
    above = (80_001 * 0.50 + 10_000 * 0.625 + 10_000 * 0.05 + 1_000 * 2.50) / 1e6
    assert cost_usd("claude-haiku-5-5", _haiku_usage(100_001)) == pytest.approx(above)
    one_hour = {
        "input_tokens": 100_001,
        "cache_creation_input_tokens": 1_000,
        "cache_creation": {"ephemeral_1h_input_tokens": 1_000},
    }
    assert cost_usd("claude-haiku-5-5", one_hour) == pytest.approx((100_001 * 0.5 + 1_000) / 1e6)
    # Other models have no tier.
    big = {"input_tokens": 1_000_000}
    assert cost_usd("claude-haiku-4-5", big) == pytest.approx(1.0)


def test_batch_halves_tokens_and_stacks_with_multipliers():
    full = cost_usd("claude-sonnet-4-6", USAGE)
    assert cost_usd("claude-sonnet-4-6", USAGE, batch=True) == pytest.approx(full / 2)
    write = {"cache_creation_input_tokens": 1_000_000}
    assert cost_usd("claude-sonnet-4-6", write, batch=True) == pytest.approx(3.75 / 2)


def test_web_search_cost():
    usage = {"input_tokens": 1_000_000, "server_tool_use": {"web_search_requests": 3}}
    assert cost_usd("claude-opus-5", usage) == pytest.approx(5.0 + 0.03)
    # Searches are not discounted by batch.
    assert cost_usd("claude-opus-5", usage, batch=True) == pytest.approx(2.5 + 0.03)


def test_dated_model_id_resolves_to_base():
    assert cost_usd("claude-sonnet-5-5-20261001", USAGE) == cost_usd("claude-sonnet-5-5", USAGE)
    assert pricing.get_price("claude-haiku-4-5-20251001") is PRICES["claude-haiku-4-5"]


def test_unknown_model_is_nan_with_one_warning():
    with pytest.warns(UnknownModelPriceWarning) as record:
        for _ in range(3):
            assert math.isnan(cost_usd("claude-unknown-test-1", USAGE))
        assert math.isnan(cache_savings_usd("claude-unknown-test-1", USAGE))
        assert math.isnan(estimate_input_cost_usd("claude-unknown-test-1", 10))
    assert len(record) == 1
    assert "claude-unknown-test-1" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert math.isnan(cost_usd("claude-unknown-test-1", USAGE))  # no second warning


def test_set_price_and_reset():
    set_price("claude-opus-5", input=1, output=2)
    assert pricing.get_price("claude-opus-5") == ModelPrice(1, 2, 1.25, 2, 0.1, source="override")
    assert cost_usd("claude-opus-5", {"input_tokens": 10**6, "output_tokens": 10**6}) == 3.0
    set_price("my-model", input=1, output=2, cache_write_5m=3, cache_write_1h=4, cache_read=5)
    usage = {**USAGE, "input_tokens": 0, "output_tokens": 0}
    assert cost_usd("my-model", usage) == pytest.approx((3_000 * 3 + 4_000 * 4 + 5_000 * 5) / 1e6)
    reset_prices()
    assert pricing.get_price("claude-opus-5") is PRICES["claude-opus-5"]
    with pytest.warns(UnknownModelPriceWarning):
        assert pricing.get_price("my-model") is None


def test_cache_savings():
    usage = {"cache_read_input_tokens": 1_000_000}
    assert cache_savings_usd("claude-opus-5", usage) == pytest.approx(5 - 0.5)
    assert cache_savings_usd("claude-fable-5", usage) == pytest.approx(10 - 1)
    assert cache_savings_usd("claude-opus-5", {"input_tokens": 100}) == 0.0


def test_estimate_input_cost():
    assert estimate_input_cost_usd("claude-sonnet-5", 500_000) == pytest.approx(1.0)
    assert estimate_input_cost_usd("claude-haiku-5-5", 100_000) == pytest.approx(0.01)
    assert estimate_input_cost_usd("claude-haiku-5-5", 200_000) == pytest.approx(0.1)


def test_price_table_frame():
    set_price("claude-opus-5", input=1, output=2)
    table = pricing.price_table()
    assert len(table) == len(PRICES)
    assert table["model"].tolist() == list(PRICES)
    assert (table["as_of"] == PRICES_AS_OF).all()
    row = table.set_index("model").loc["claude-opus-5"]
    assert (row["input"], row["source"]) == (1, "override")
    assert "100,000" in table.set_index("model").loc["claude-haiku-5-5", "note"]
