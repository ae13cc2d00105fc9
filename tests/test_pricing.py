"""The price table and cost arithmetic, against hand-computed figures from api-notes §4."""

from __future__ import annotations

import io
import math
import warnings
from datetime import date, datetime

import pandas as pd
import pytest

from claude_magic import pricing
from claude_magic.pricing import (
    PRICES,
    PRICES_AS_OF,
    ModelPrice,
    StalePricesWarning,
    UnknownModelPriceWarning,
    cache_savings_usd,
    check_price_age,
    cost_usd,
    estimate_input_cost_usd,
    price_table,
    prices_as_of,
    reset_prices,
    set_price,
    set_prices,
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
    "claude-sonnet-5-5": (2, 10, 2.5, 4, 0.1),  # migration guide: reads half Sonnet 5's
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


TABLE_DAY = date(2026, 11, 29)  # PRICES_AS_OF


@pytest.fixture(autouse=True)
def _clean_prices(monkeypatch):
    """The dated table, a fixed today (a week after the table's date), no staleness warned."""
    monkeypatch.setattr(pricing, "_today", lambda: date(2026, 12, 6))
    monkeypatch.setattr(pricing, "_stale_warned", set())
    reset_prices()
    yield
    reset_prices()


def test_table_covers_expected_models():
    assert set(PRICES) == set(EXPECTED)
    assert PRICES_AS_OF == "2026-11-29"
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


def test_us_only_inference_costs_a_tenth_more_on_opus_4_6_and_later():
    """api-notes §4: inference_geo "us" is 1.1x on Opus 4.6+; it was priced like global."""
    us = {"input_tokens": 1_000, "output_tokens": 1_000, "cache_read_input_tokens": 10_000,
          "inference_geo": "us", "server_tool_use": {"web_search_requests": 1}}  # fmt: skip
    # Sonnet 5.5: (1,000 x 2 + 1,000 x 10 + 10,000 x 0.1) x 1.1 = 14,300 + a $0.01 search
    assert cost_usd("claude-sonnet-5-5", us) == pytest.approx(0.0243, rel=1e-12)
    assert cost_usd("claude-sonnet-5-5", {**us, "inference_geo": "global"}) == pytest.approx(0.023)
    # Batch: 13,000 / 2 x 1.1 = 7,150; savings 10,000 x (2 - 0.1) / 2 x 1.1 = 10,450
    assert cost_usd("claude-sonnet-5-5", us, batch=True) == pytest.approx(0.01715, rel=1e-12)
    assert cache_savings_usd("claude-sonnet-5-5", us, batch=True) == pytest.approx(0.01045)
    # Opus 4.6 has it, Opus 4.5 (older) not: 1,000 x 5 + 1,000 x 25 + 10,000 x 0.5 = 35,000
    assert cost_usd("claude-opus-4-6", us) == pytest.approx(0.0385 + 0.01, rel=1e-12)
    assert cost_usd("claude-opus-4-5", us) == pytest.approx(0.035 + 0.01, rel=1e-12)
    # Haiku 4.5 (older): 1,000 x 1 + 1,000 x 5 + 10,000 x 0.1 = 7,000
    assert cost_usd("claude-haiku-4-5", us) == pytest.approx(0.007 + 0.01, rel=1e-12)


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


def test_batch_follows_service_tier_unless_forced():
    batch_usage = {**USAGE, "service_tier": "batch"}
    full = cost_usd("claude-sonnet-4-6", USAGE)
    assert cost_usd("claude-sonnet-4-6", batch_usage) == pytest.approx(full / 2)
    assert cost_usd("claude-sonnet-4-6", batch_usage, batch=True) == pytest.approx(full / 2)
    assert cost_usd("claude-sonnet-4-6", batch_usage, batch=False) == pytest.approx(full)
    assert cost_usd("claude-sonnet-4-6", {**USAGE, "service_tier": "standard"}) == full
    # Savings follow the same rule: 5,000 reads at (3 - 0.3) per million, halved in a batch.
    assert cache_savings_usd("claude-sonnet-4-6", USAGE) == pytest.approx(5_000 * 2.7 / 1e6)
    assert cache_savings_usd("claude-sonnet-4-6", batch_usage) == pytest.approx(5_000 * 1.35 / 1e6)
    assert cache_savings_usd("claude-sonnet-4-6", USAGE, batch=True) == pytest.approx(
        5_000 * 1.35 / 1e6
    )


def test_haiku_5_5_savings_use_the_long_prompt_tier():
    usage = {"input_tokens": 100_000, "cache_read_input_tokens": 1_000}
    assert cache_savings_usd("claude-haiku-5-5", usage) == pytest.approx(1_000 * (0.5 - 0.05) / 1e6)


def test_price_table_frame_shows_date_and_sources():
    set_price("claude-opus-5", input=1, output=2)
    table = price_table()
    assert len(table) == len(PRICES)
    assert table["model"].tolist() == list(PRICES)
    assert table.attrs["as_of"] == PRICES_AS_OF
    assert "platform.claude.com" in table.attrs["source"]
    rows = table.set_index("model")
    assert (rows.loc["claude-opus-5", "input"], rows.loc["claude-opus-5", "source"]) == (
        1,
        "override",
    )
    assert pd.isna(rows.loc["claude-opus-5", "as_of"])  # set without a date
    assert rows.loc["claude-sonnet-5-5", "as_of"] == PRICES_AS_OF
    haiku = rows.loc["claude-haiku-5-5"]
    assert [haiku[f"long_prompt_{r}"] for r in pricing.RATES] == [0.5, 2.5, 0.625, 1.0, 0.05]
    assert rows["long_prompt_input"].drop("claude-haiku-5-5").isna().all()
    shown = table._repr_html_()
    assert f"as of {PRICES_AS_OF}" in shown and "platform.claude.com" in shown
    assert "100,000" in shown and "claude-opus-5" in shown
    assert f"as of {PRICES_AS_OF}" in repr(table)


def test_set_prices_from_a_dict_with_defaults_and_a_date():
    set_prices(
        {
            "claude-opus-5": {"input": 1, "output": 2},
            "course-model": {"input": 4, "output": 8, "cache_read": 0.5, "as_of": "2026-10-01"},
        },
        as_of="2026-09-01",
    )
    assert pricing.get_price("claude-opus-5") == ModelPrice(1, 2, 1.25, 2, 0.1, source="override")
    assert pricing.get_price("course-model") == ModelPrice(4, 8, 5, 8, 0.5, source="override")
    assert prices_as_of("claude-opus-5") == "2026-09-01"
    assert prices_as_of("course-model") == "2026-10-01"  # a row's own date wins
    assert prices_as_of("claude-sonnet-5-5") == PRICES_AS_OF
    usage = {"input_tokens": 10**6, "output_tokens": 10**6, "cache_read_input_tokens": 10**6}
    assert cost_usd("course-model", usage) == pytest.approx(4 + 8 + 0.5)
    assert "course-model" in pricing.priced_models()
    reset_prices()
    assert pricing.get_price("claude-opus-5") is PRICES["claude-opus-5"]
    assert prices_as_of("claude-opus-5") == PRICES_AS_OF


CSV = """model,input,output,cache_write_5m,cache_write_1h,cache_read,as_of
claude-sonnet-5-5,3,15,,,,2026-10-01
claude-haiku-5-5,0.2,1,0.25,0.4,0.02,
"""


@pytest.mark.parametrize("kind", ["path", "file"])
def test_set_prices_from_csv(tmp_path, kind):
    path = tmp_path / "prices.csv"
    path.write_text(CSV)
    set_prices(path if kind == "path" else io.StringIO(CSV), as_of="2026-11-01")
    assert pricing.get_price("claude-sonnet-5-5") == ModelPrice(
        3, 15, 3.75, 6, 0.3, source="override"
    )
    haiku = pricing.get_price("claude-haiku-5-5")
    assert haiku == ModelPrice(0.2, 1, 0.25, 0.4, 0.02, source="override")
    assert haiku.long_prompt is None  # an override without long_prompt_* has no tier
    assert cost_usd("claude-haiku-5-5", {"input_tokens": 200_000}) == pytest.approx(0.04)
    assert prices_as_of("claude-sonnet-5-5") == "2026-10-01"
    assert prices_as_of("claude-haiku-5-5") == "2026-11-01"


def _rates(price: ModelPrice) -> tuple:
    return (price.input, price.output, price.cache_write_5m, price.cache_write_1h, price.cache_read)


def test_price_table_round_trips_through_csv_with_the_haiku_tier(tmp_path):
    path = tmp_path / "pinned.csv"
    price_table().to_csv(path, index=False)
    set_prices(path)
    for model, rates in EXPECTED.items():
        pinned = pricing.get_price(model)
        assert pinned.source == "override"
        assert _rates(pinned) == pytest.approx(rates)
    assert _rates(pricing.get_price("claude-haiku-5-5").long_prompt) == (0.5, 2.5, 0.625, 1.0, 0.05)
    assert pricing.get_price("claude-haiku-4-5").long_prompt is None
    usage = _haiku_usage(100_001)
    assert cost_usd("claude-haiku-5-5", usage) == pytest.approx(
        (80_001 * 0.50 + 10_000 * 0.625 + 10_000 * 0.05 + 1_000 * 2.50) / 1e6
    )
    assert prices_as_of("claude-opus-5") == PRICES_AS_OF  # the as_of column came along


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        ({"m": {"input": 1, "output": 2, "cached": 3}}, "unknown column(s) 'cached'"),
        ({"m": {"input": 1}}, "'m' needs 'output'"),
        ({"m": {"output": 1}}, "'m' needs 'input'"),
        ({"m": {"input": -1, "output": 2}}, "input of 'm' must be a finite price >= 0"),
        ({"m": {"input": 1, "output": float("inf")}}, "output of 'm' must be a finite"),
        ({"m": {"input": "1", "output": 2}}, "input of 'm' must be a number"),
        ({"m": {"input": True, "output": 2}}, "input of 'm' must be a number"),
        ({"m": {"input": 1, "output": 2, "long_prompt_input": 5}}, "needs 'long_prompt_output'"),
        ({"m": {"input": 1, "output": 2, "as_of": "yesterday"}}, "must be a date like"),
        ({"": {"input": 1, "output": 2}}, "has no model id"),
    ],
)
def test_set_prices_rejects_bad_prices_and_changes_nothing(prices, message):
    good = {"claude-opus-5": {"input": 1, "output": 2}}
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        set_prices({**good, **prices})
    assert pricing.get_price("claude-opus-5") is PRICES["claude-opus-5"]


def test_set_prices_rejects_bad_tables(tmp_path):
    with pytest.raises(ValueError, match="needs a 'model' column"):
        set_prices(pd.DataFrame({"input": [1], "output": [2]}))
    with pytest.raises(ValueError, match="row 2 has no model id"):
        set_prices(pd.DataFrame({"model": ["a", None], "input": [1, 1], "output": [2, 2]}))
    with pytest.raises(ValueError, match="'a' is given twice"):
        set_prices(pd.DataFrame({"model": ["a", "a"], "input": [1, 1], "output": [2, 2]}))
    with pytest.raises(ValueError, match="unknown column.*'price'"):
        set_prices(io.StringIO("model,input,output,price\na,1,2,3\n"))
    with pytest.raises(ValueError, match="input of 'a' must be a number"):
        set_prices(io.StringIO("model,input,output\na,cheap,2\n"))
    with pytest.raises(FileNotFoundError, match="no such CSV file"):
        set_prices(tmp_path / "missing.csv")
    with pytest.raises(TypeError, match="must be a dict of rates"):
        set_prices({"a": 3})
    with pytest.raises(TypeError, match="set_prices takes a dict"):
        set_prices(42)
    with pytest.raises(ValueError, match="no prices given"):
        set_prices({})
    with pytest.raises(ValueError, match="as_of must be a date"):
        set_prices({"a": {"input": 1, "output": 2}}, as_of="soon")
    assert "a" not in pricing.priced_models()


def test_set_prices_under_an_alias_or_snapshot_id_prices_the_model():
    """The override was kept under the alias, so calls on the model id kept the old price."""
    set_prices({"claude-haiku-4-5-20251001": {"input": 2, "output": 10}})
    for model in ("claude-haiku-4-5", "claude-haiku-4-5-20251001", "claude-haiku-4-5-20260101"):
        # 1,000 x 2 + 1,000 x 10 at the pinned rates, on the model and both of its other ids
        usage = {"input_tokens": 1_000, "output_tokens": 1_000}
        assert cost_usd(model, usage) == pytest.approx(0.012)
    table = price_table()
    assert "claude-haiku-4-5-20251001" not in set(table["model"])
    assert table.attrs["overrides"] == {"claude-haiku-4-5": None}
    with pytest.raises(ValueError, match="'claude-opus-5' is given twice"):
        set_prices({"claude-opus-5": {"input": 1, "output": 2},
                    "claude-opus-5-20260601": {"input": 1, "output": 2}})  # fmt: skip


def test_set_prices_from_a_hand_written_csv():
    """Spaces after commas (headers and ids) were unknown columns or a new model id."""
    set_prices(io.StringIO("model, input, output\n claude-sonnet-5-5 , 3, 15\n"))
    assert pricing.get_price("claude-sonnet-5-5") == ModelPrice(
        3, 15, 3.75, 6, 0.3, source="override"
    )
    assert " claude-sonnet-5-5 " not in pricing.priced_models()
    with pytest.raises(ValueError, match="set_prices: the CSV file is empty"):
        set_prices(io.StringIO(""))
    set_prices(price_table().set_index("model"))  # the table, indexed by model, goes back too
    assert pricing.get_price("claude-opus-5-5").source == "override"


def test_set_prices_dated_with_a_datetime_or_timestamp_keeps_the_day():
    """A datetime was kept as '2026-11-01T12:00:00', which the staleness check then failed
    to read as a date."""
    set_prices({"claude-opus-5": {"input": 1, "output": 2}}, as_of=datetime(2026, 11, 1, 12))
    assert prices_as_of("claude-opus-5") == "2026-11-01"
    set_prices({"claude-opus-5": {"input": 1, "output": 2}}, as_of=pd.Timestamp("2026-11-02"))
    assert prices_as_of("claude-opus-5") == "2026-11-02"
    assert check_price_age(datetime(2026, 11, 29, 23, 59)) == 7


def test_set_prices_rejects_a_future_date_and_flags_a_likely_typo():
    with pytest.raises(ValueError, match=r"as_of is in the future \(2027-01-01\)"):
        set_prices({"claude-opus-5": {"input": 1, "output": 2}}, as_of="2027-01-01")
    with pytest.raises(ValueError, match="as_of of 'claude-opus-5' is in the future"):
        set_prices({"claude-opus-5": {"input": 1, "output": 2, "as_of": "2026-12-25"}})
    set_prices({"claude-opus-5": {"input": 1, "output": 2}}, as_of="2026-12-07")  # tomorrow: ok
    with pytest.warns(UserWarning, match="'claude-sonet-5-5' is not in the model table "
                                         r"\(did you mean 'claude-sonnet-5-5'\?\)"):  # fmt: skip
        set_prices({"claude-sonet-5-5": {"input": 3, "output": 15}})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an id like no other: a course's own model, no warning
        set_prices({"course-model": {"input": 1, "output": 2}})


def test_stale_table_warns_once(monkeypatch):
    assert check_price_age(today=date(2027, 2, 27)) == 90  # 90 days: not yet stale
    with pytest.warns(StalePricesWarning, match=r"as of 2026-11-29 \(91 days ago\)") as record:
        assert check_price_age(today=date(2027, 2, 28)) == 91
        check_price_age(today=date(2027, 3, 8))
    assert len(record) == 1
    assert "set_prices" in str(record[0].message)


def test_price_table_warns_once_when_stale_and_a_call_cost_does_not(monkeypatch):
    monkeypatch.setattr(pricing, "_today", lambda: date(2027, 6, 8))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        cost_usd("claude-opus-5", USAGE)  # the footer of every reply stays quiet
    with pytest.warns(StalePricesWarning, match="as of 2026-11-29") as record:
        price_table()
        price_table()
        pricing.check_prices_age(["claude-opus-5", "claude-haiku-5-5"])
    assert len(record) == 1
    assert "(191 days ago)" in price_table().attrs["notes"][0]


def test_pinned_prices_are_checked_against_their_own_date():
    set_prices({"claude-opus-5": {"input": 1, "output": 2}}, as_of="2026-03-01")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pricing.check_prices_age(["claude-sonnet-5-5"])  # the table is a week old
    with pytest.warns(StalePricesWarning, match="as of 2026-03-01"):
        pricing.check_prices_age(["claude-opus-5"])
    set_prices({"claude-opus-5": {"input": 1, "output": 2}})  # undated: never stale
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pricing.check_prices_age(["claude-opus-5", "no-such-model"])
        price_table()


def test_call_charges_price_many_calls_like_one():
    """The frame path (pandas Series) of the same arithmetic: tier per call, batch, searches."""
    tokens = {
        "input": pd.Series([80_000, 80_001]),
        "output": pd.Series([1_000, 1_000]),
        "cache_write_5m": pd.Series([10_000, 10_000]),
        "cache_write_1h": pd.Series([0, 0]),
        "cache_read": pd.Series([10_000, 10_000]),
    }
    cost, saved = pricing.call_charges(
        "claude-haiku-5-5", tokens, batch=pd.Series([False, True]), web_searches=pd.Series([0, 1])
    )
    below = (80_000 * 0.10 + 10_000 * 0.125 + 10_000 * 0.01 + 1_000 * 0.50) / 1e6
    above = (80_001 * 0.50 + 10_000 * 0.625 + 10_000 * 0.05 + 1_000 * 2.50) / 1e6 / 2 + 0.01
    assert cost.tolist() == pytest.approx([below, above], rel=1e-12)
    assert saved.tolist() == pytest.approx(
        [10_000 * (0.10 - 0.01) / 1e6, 10_000 * (0.50 - 0.05) / 1e6 / 2], rel=1e-12
    )
    with pytest.warns(UnknownModelPriceWarning):
        assert (
            pricing.call_charges(
                "claude-nobody", tokens, batch=pd.Series([False] * 2), web_searches=0
            )
            is None
        )
