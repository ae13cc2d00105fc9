"""Cost analysis (claude_magic.costs) on a ledger of known calls, against hand-computed figures.

Every expected dollar figure below is worked out by hand from the official per-million prices
written out in PRICES (api-notes §4, "Pricing" page), never by calling the code under test.
"""

from __future__ import annotations

import io
import math
import warnings
from datetime import date
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import claude_magic  # noqa: E402
from claude_magic import costs, pricing, session  # noqa: E402
from claude_magic.pricing import UnknownModelPriceWarning  # noqa: E402
from claude_magic.turn import CallRecord  # noqa: E402
from claude_magic.usage import COLUMNS, Ledger  # noqa: E402

# USD per million tokens: input, output, 5m write, 1h write, cache read (official table).
PRICES = {
    "claude-sonnet-5": (2, 10, 2.5, 4, 0.2),  # Sonnet 5.5's rates but for reads
    "claude-opus-5-5": (4, 20, 5, 8, 0.2),
    "claude-haiku-5-5": (0.1, 0.5, 0.125, 0.2, 0.01),
    "claude-haiku-5-5 >100K": (0.5, 2.5, 0.625, 1.0, 0.05),  # whole request, prompt > 100K
}
WEB_SEARCH = 0.01  # USD per search ($10 per 1,000)

# model, chat, notebook, cell, execution count, UTC day,
#     input, 5m write, 1h write, cache read, output, service tier, web searches
CALLS = [
    ("claude-sonnet-5", "tutor", None, "c1", 1, "2026-11-20",
        1_000, 4_000, 0, 0, 500, "standard", 0),
    ("claude-sonnet-5", "tutor", None, "c2", 2, "2026-11-20",
        200, 700, 0, 4_000, 300, "standard", 0),
    ("claude-sonnet-5", "long", "lesson.ipynb", "c3", 3, "2026-11-21",
        150_000, 0, 0, 0, 1_000, "standard", 0),
    ("claude-opus-5-5", "tutor", None, "c4", 4, "2026-11-21",
        10_000, 0, 1_000, 20_000, 2_000, "batch", 0),
    ("claude-sonnet-5", "tutor", None, "c2", 5, "2026-11-21",
        100, 800, 0, 4_000, 200, "standard", 2),
    ("claude-haiku-5-5", "long", "lesson.ipynb", "c6", 6, "2026-11-22",
        2_000, 0, 0, 0, 400, None, 0),
]  # fmt: skip

# As run, in millionths of a dollar (tokens x USD per million):
#  1 sonnet  1,000x2 + 4,000x2.5 + 500x10                        = 17,000
#  2 sonnet  200x2 + 700x2.5 + 4,000x0.2 + 300x10                =  5,950   saved 4,000x1.8 = 7,200
#  3 sonnet  150,000x2 + 1,000x10                                = 310,000
#  4 opus    (10,000x4 + 1,000x8 + 20,000x0.2 + 2,000x20) / 2    = 46,000
#            (a batch call)                                        saved 20,000x3.8/2 = 38,000
#  5 sonnet  100x2 + 800x2.5 + 4,000x0.2 + 200x10 = 5,000 + 2 searches 20,000 = 25,000  saved 7,200
#  6 haiku   2,000x0.1 + 400x0.5                                 =    400
AS_RUN = [0.017, 0.00595, 0.31, 0.046, 0.025, 0.0004]
TOTAL = 0.40435


@pytest.fixture(autouse=True)
def _dated_table(monkeypatch):
    """The official table, a week old (today is fixed), no stale warning given yet."""
    monkeypatch.setattr(pricing, "_today", lambda: date(2026, 12, 6))
    monkeypatch.setattr(pricing, "_stale_warned", set())
    pricing.reset_prices()
    yield
    pricing.reset_prices()


def record(model, inp, w5, w1, read, out, tier, searches, day="2026-11-22") -> CallRecord:
    usage = {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": w5 + w1,
        "cache_creation": {"ephemeral_5m_input_tokens": w5, "ephemeral_1h_input_tokens": w1},
        "cache_read_input_tokens": read,
        "server_tool_use": {"web_search_requests": searches},
    }
    if tier:
        usage["service_tier"] = tier
    return CallRecord(
        model=model,
        usage=usage,
        stop_reason="end_turn",
        request_id="req",
        started_at=f"{day}T10:00:00+00:00",
        ttft_s=0.1,
        total_s=1.0,
        offline=True,
        cost_usd=math.nan,  # the ledger prices it
    )


def fill(ledger: Ledger, calls=CALLS) -> None:
    for model, chat, notebook, cell, count, day, *tokens in calls:
        ledger.record(
            record(model, *tokens, day=day),
            chat=chat,
            cell_id=cell,
            execution_count=count,
            notebook=notebook,
        )


@pytest.fixture
def ledger_frame() -> pd.DataFrame:
    ledger = Ledger()
    fill(ledger)
    return ledger.frame()


def test_known_ledger_is_priced_as_computed_by_hand(ledger_frame):
    assert ledger_frame["cost_usd"].tolist() == pytest.approx(AS_RUN, rel=1e-12)
    assert ledger_frame["cost_usd"].sum() == pytest.approx(TOTAL, rel=1e-12)


def test_summary_by_model(ledger_frame):
    s = costs.cost_summary(ledger_frame, by="model")
    assert list(s.columns) == [
        "model",
        "calls",
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
        "cost_usd",
        "cache_hit_rate",
        "cache_savings_usd",
    ]
    assert s["model"].tolist() == ["claude-sonnet-5", "claude-opus-5-5", "claude-haiku-5-5"]
    assert s["calls"].tolist() == [4, 1, 1]
    assert s["input_tokens"].tolist() == [151_300, 10_000, 2_000]
    assert s["cache_creation_input_tokens"].tolist() == [5_500, 1_000, 0]
    assert s["cache_read_input_tokens"].tolist() == [8_000, 20_000, 0]
    assert s["output_tokens"].tolist() == [2_000, 2_000, 400]
    # sonnet 17,000 + 5,950 + 310,000 + 25,000 millionths; opus 46,000; haiku 400.
    assert s["cost_usd"].tolist() == pytest.approx([0.35795, 0.046, 0.0004], rel=1e-12)
    # Reads / (plain input + cache writes + cache reads).
    assert s["cache_hit_rate"].tolist() == pytest.approx(
        [8_000 / 164_800, 20_000 / 31_000, 0.0], rel=1e-12
    )
    # Sonnet: 8,000 reads x (2 - 0.2); Opus (batch): 20,000 x (4 - 0.2) / 2.
    assert s["cache_savings_usd"].tolist() == pytest.approx([0.0144, 0.038, 0.0], rel=1e-12)
    assert s["cost_usd"].sum() == pytest.approx(TOTAL, rel=1e-12)
    assert {str(t) for t in s.dtypes[["calls", "input_tokens"]]} == {"int64"}


def test_summary_by_chat_notebook_and_day(ledger_frame):
    chats = costs.cost_summary(ledger_frame, by="chat")
    assert chats["chat"].tolist() == ["long", "tutor"]  # by cost, highest first
    assert chats["cost_usd"].tolist() == pytest.approx([0.3104, 0.09395], rel=1e-12)
    notebooks = costs.cost_summary(ledger_frame, by="notebook")
    assert notebooks["notebook"].tolist() == ["lesson.ipynb", "(this kernel)"]
    assert notebooks["calls"].tolist() == [2, 4]
    days = costs.cost_summary(ledger_frame, by="day")
    assert [str(d) for d in days["day"]] == ["2026-11-20", "2026-11-21", "2026-11-22"]
    assert days["cost_usd"].tolist() == pytest.approx([0.02295, 0.381, 0.0004], rel=1e-12)
    assert days["cache_savings_usd"].tolist() == pytest.approx([0.0072, 0.0452, 0.0])


def test_summary_by_cell_in_execution_order(ledger_frame):
    cells = costs.cost_summary(ledger_frame)  # by="cell"
    assert cells["notebook"].tolist() == ["(this kernel)"] * 3 + ["lesson.ipynb"] * 2
    assert cells["cell_id"].tolist() == ["c1", "c4", "c2", "c3", "c6"]
    assert cells["execution_count"].tolist() == [1, 4, 5, 3, 6]  # c2's latest run is [5]
    assert cells["calls"].tolist() == [1, 1, 2, 1, 1]
    assert cells["cost_usd"].tolist() == pytest.approx(
        [0.017, 0.046, 0.03095, 0.31, 0.0004], rel=1e-12
    )
    assert cells["chat"].tolist() == ["tutor", "tutor", "tutor", "long", "long"]


def test_summary_by_several_keys(ledger_frame):
    both = costs.cost_summary(ledger_frame, by=["model", "day"])
    assert list(both.columns[:2]) == ["model", "day"]
    assert len(both) == 4  # sonnet on 11-20 and 11-21, opus on 11-21, haiku on 11-22
    assert both["cost_usd"].sum() == pytest.approx(TOTAL)
    same = costs.cost_summary(ledger_frame, by="model, day")
    pd.testing.assert_frame_equal(pd.DataFrame(both), pd.DataFrame(same))
    assert costs.cost_summary(ledger_frame, by=["model", "model"])["model"].is_unique


def test_cell_without_id_is_keyed_by_execution_count():
    ledger = Ledger()
    for count in (7, 7, 8):
        ledger.record(
            record("claude-sonnet-5", 1_000, 0, 0, 0, 0, None, 0),
            chat="a",
            cell_id=None,
            execution_count=count,
        )
    cells = costs.cost_summary(ledger.frame())
    assert cells["execution_count"].tolist() == [7, 8]
    assert cells["calls"].tolist() == [2, 1]
    assert cells["cost_usd"].tolist() == pytest.approx([0.004, 0.002])


def test_bad_by_and_bad_frames(ledger_frame):
    for by in ("week", ["model", "cells"], "", []):
        with pytest.raises(ValueError, match="by must be one of cell, chat, model, notebook, day"):
            costs.cost_summary(ledger_frame, by=by)
    with pytest.raises(ValueError, match="not a usage frame: no column cost_usd"):
        costs.cost_summary(ledger_frame.drop(columns="cost_usd"))
    with pytest.raises(TypeError, match="expected a usage DataFrame"):
        costs.cost_summary([1, 2])
    for by in (3, None, ["model", 3], ["model", None]):
        with pytest.raises(ValueError, match=r"by must be one of .* not "):
            costs.cost_summary(ledger_frame, by=by)
    summary = costs.cost_summary(ledger_frame, by="model")  # sums: no tier, no batch flag
    for analysis in (costs.reprice, costs.cost_summary, costs.compare_costs):
        with pytest.raises(ValueError, match="this is a summary .* not a usage frame"):
            analysis(summary)
    with pytest.raises(ValueError, match="this is a summary"):
        costs.reprice(costs.compare_costs(ledger_frame, models=["claude-opus-5"]))
    with pytest.raises(ValueError, match="needs the frame's timestamp"):
        costs.cost_summary(ledger_frame.drop(columns="timestamp"), by="day")


def test_other_columns_are_tolerated(ledger_frame):
    wider = ledger_frame.assign(batch_id="b1", replayed=False)
    assert costs.cost_summary(wider, by="model")["cost_usd"].sum() == pytest.approx(TOTAL)
    repriced = costs.reprice(wider, batch=True)
    assert {"batch_id", "replayed"} <= set(repriced.columns)
    narrow = ledger_frame[["model", "input_tokens", "cache_creation_input_tokens",
                           "cache_read_input_tokens", "output_tokens", "cost_usd"]]  # fmt: skip
    s = costs.cost_summary(narrow, by="model")
    assert s["cost_usd"].sum() == pytest.approx(TOTAL)
    # Repriced, a frame without service_tier, the 5m/1h split and web searches prices the
    # opus call at the standard price with its 1h writes as 5m: 10,000x4 + 1,000x5 +
    # 20,000x0.2 + 2,000x20 = 89,000 instead of 46,000, and drops the 20,000 of searches.
    assert costs.reprice(narrow)["cost_usd"].sum() == pytest.approx(
        TOTAL + (89_000 - 46_000 - 20_000) / 1e6, rel=1e-12
    )
    cells = costs.cost_summary(narrow)
    assert cells["notebook"].tolist() == ["(this kernel)"] and cells["calls"].tolist() == [6]


def test_concatenated_and_filtered_frames(ledger_frame):
    twice = pd.concat([ledger_frame, ledger_frame])  # index labels 0..5 twice
    assert costs.cost_summary(twice, by="model")["cost_usd"].sum() == pytest.approx(2 * TOTAL)
    assert costs.reprice(twice)["cost_usd"].tolist() == pytest.approx(AS_RUN * 2)
    haiku = costs.reprice(twice, model="claude-haiku-5-5")
    assert haiku["cost_usd"].sum() == pytest.approx(2 * 0.1004975)
    tail = ledger_frame.iloc[3:]  # index 3..5
    assert costs.reprice(tail)["cost_usd"].tolist() == pytest.approx(AS_RUN[3:])
    assert costs.cost_summary(tail, by="model")["cache_savings_usd"].tolist() == pytest.approx(
        [0.038, 0.0072, 0.0]
    )


def test_unknown_model_is_nan_not_an_error(ledger_frame):
    frame = ledger_frame.copy()
    frame.loc[5, "model"] = "claude-from-the-future"
    frame.loc[5, "cost_usd"] = math.nan
    with pytest.warns(UnknownModelPriceWarning, match="claude-from-the-future"):
        s = costs.cost_summary(frame, by="model")
    row = s.set_index("model").loc["claude-from-the-future"]
    assert math.isnan(row["cost_usd"]) and math.isnan(row["cache_savings_usd"])
    assert s["model"].tolist()[-1] == "claude-from-the-future"  # unpriced sorts last
    days = costs.cost_summary(frame, by="day")
    assert math.isnan(days["cost_usd"].iloc[-1])  # the day holding it is nan, not too low
    assert "(+ 1 unpriced)" in repr(days)


def test_default_frame_is_this_kernels_ledger():
    fill(session.current().ledger)
    s = claude_magic.cost_summary(by="model")
    assert s["cost_usd"].sum() == pytest.approx(TOTAL)
    assert claude_magic.reprice(batch=False)["cost_usd"].sum() == pytest.approx(0.45035)


def test_empty_ledger():
    s = costs.cost_summary(Ledger().frame(), by="model")
    assert s.empty and "cache_hit_rate" in s.columns
    assert costs.reprice(Ledger().frame()).empty
    comparison = costs.compare_costs(Ledger().frame(), models=["claude-haiku-5-5"])
    assert comparison["as_run_usd"].tolist() == [0.0]
    assert costs.plot_costs(s).axes[0].texts[0].get_text() == "no usage yet"


def test_reprice_on_haiku_5_5_applies_the_long_prompt_tier_per_call(ledger_frame):
    haiku = costs.reprice(ledger_frame, model="claude-haiku-5-5")
    # 1  1,000x0.1 + 4,000x0.125 + 500x0.5                        =    850
    # 2  200x0.1 + 700x0.125 + 4,000x0.01 + 300x0.5                =    297.5
    # 3  150,000-token prompt: 150,000x0.5 + 1,000x2.5 (>100K tier) = 77,500
    # 4  batch: (10,000x0.1 + 1,000x0.2 + 20,000x0.01 + 2,000x0.5)/2 = 1,200
    # 5  100x0.1 + 800x0.125 + 4,000x0.01 + 200x0.5 + searches 20,000 = 20,250
    # 6  2,000x0.1 + 400x0.5                                       =    400
    assert haiku["cost_usd"].tolist() == pytest.approx(
        [0.00085, 0.0002975, 0.0775, 0.0012, 0.02025, 0.0004], rel=1e-12
    )
    assert haiku["cost_usd"].sum() == pytest.approx(0.1004975, rel=1e-12)
    assert (haiku["model"] == "claude-haiku-5-5").all()
    assert list(haiku.columns) == list(COLUMNS)
    assert haiku["input_tokens"].tolist() == ledger_frame["input_tokens"].tolist()
    assert haiku.attrs["repriced"] == {"model": "claude-haiku-5-5"}
    assert ledger_frame["model"].iloc[0] == "claude-sonnet-5"  # the input is unchanged
    assert ledger_frame["cost_usd"].tolist() == pytest.approx(AS_RUN)


def test_reprice_without_caching(ledger_frame):
    plain = costs.reprice(ledger_frame, cache=False)
    # Cache writes and reads billed as plain input, each call on its own model and tier:
    # 1 5,000x2 + 500x10 = 15,000; 2 4,900x2 + 300x10 = 12,800; 3 310,000;
    # 4 (31,000x4 + 2,000x20)/2 = 82,000; 5 4,900x2 + 200x10 + 20,000 = 31,800; 6 400.
    assert plain["cost_usd"].tolist() == pytest.approx(
        [0.015, 0.0128, 0.31, 0.082, 0.0318, 0.0004], rel=1e-12
    )
    assert plain["cost_usd"].sum() == pytest.approx(0.452, rel=1e-12)
    assert plain["input_tokens"].tolist() == [5_000, 4_900, 150_000, 31_000, 4_900, 2_000]
    for column in (
        "cache_creation_input_tokens",
        "cache_creation_5m_input_tokens",
        "cache_creation_1h_input_tokens",
        "cache_read_input_tokens",
    ):
        assert (plain[column] == 0).all()
    s = costs.cost_summary(plain, by="model")
    assert (s["cache_hit_rate"] == 0).all() and (s["cache_savings_usd"] == 0).all()
    assert "Repriced without caching" in repr(s)


def test_reprice_batch_rule(ledger_frame):
    """batch=True: every call at the batch price, the batch call not discounted twice;
    batch=False: every call at the standard price; None (default): as each call ran."""
    batch = costs.reprice(ledger_frame, batch=True)
    # 17,000/2 + 5,950/2 + 310,000/2 + 46,000 (already batch) + 5,000/2 + 20,000 + 400/2
    assert batch["cost_usd"].tolist() == pytest.approx(
        [0.0085, 0.002975, 0.155, 0.046, 0.0225, 0.0002], rel=1e-12
    )
    assert batch["cost_usd"].sum() == pytest.approx(0.235175, rel=1e-12)
    assert (batch["service_tier"] == "batch").all()
    standard = costs.reprice(ledger_frame, batch=False)
    assert standard["cost_usd"].iloc[3] == pytest.approx(0.092, rel=1e-12)  # 46,000 x 2
    assert standard["cost_usd"].sum() == pytest.approx(0.45035, rel=1e-12)
    assert (standard["service_tier"] == "standard").all()
    as_run = costs.reprice(ledger_frame)
    assert as_run["cost_usd"].tolist() == pytest.approx(AS_RUN, rel=1e-12)
    assert "Repriced at current prices" in repr(costs.cost_summary(as_run))
    assert as_run["service_tier"].tolist()[:5] == ["standard"] * 3 + ["batch", "standard"]
    # A batch-priced frame summarises with batch savings: sonnet 8,000 x 1.8 / 2.
    s = costs.cost_summary(batch, by="model")
    assert s.set_index("model").loc["claude-sonnet-5", "cache_savings_usd"] == pytest.approx(
        0.0072
    )
    twice = costs.reprice(costs.reprice(ledger_frame, model="claude-haiku-5-5"), batch=True)
    assert twice.attrs["repriced"] == {"model": "claude-haiku-5-5", "batch": True}
    assert "Repriced on claude-haiku-5-5 at batch price" in repr(costs.cost_summary(twice))


def test_reprice_unknown_and_bad_models(ledger_frame):
    with pytest.warns(UnknownModelPriceWarning):
        unknown = costs.reprice(ledger_frame, model="claude-nobody-1")
    assert unknown["cost_usd"].isna().all()
    with pytest.raises(TypeError, match="model must be a model id"):
        costs.reprice(ledger_frame, model=3)
    frame = ledger_frame.copy()
    frame.loc[0, "model"] = pd.NA
    assert math.isnan(costs.reprice(frame)["cost_usd"].iloc[0])


def test_reprice_rejects_switches_that_are_not_booleans(ledger_frame):
    """cache="no" used to keep caching and cache=None to drop it, batch="yes" to batch."""
    for cache in ("no", None, 0, 1.0):
        with pytest.raises(TypeError, match="cache must be True or False"):
            costs.reprice(ledger_frame, cache=cache)
    for batch in ("yes", "false", 1, 0):
        with pytest.raises(TypeError, match=r"batch must be True, False or None \(as run\)"):
            costs.reprice(ledger_frame, batch=batch)
    flags = pd.Series([True, False])  # numpy booleans, as a frame gives them, are fine
    plain = costs.reprice(ledger_frame, cache=flags[1], batch=flags[0])
    # Without caching (test_reprice_without_caching) at batch price: half of 15,000 + 12,800
    # + 310,000 + 11,800, the batch call's 82,000, 20,000 of searches and 400 / 2 = 277,000.
    assert plain["cost_usd"].sum() == pytest.approx(0.277, rel=1e-12)


def test_us_only_calls_are_recorded_and_repriced_with_their_premium():
    ledger = Ledger()
    call = record("claude-sonnet-5", 10_000, 0, 0, 0, 1_000, "standard", 0)
    call.usage["inference_geo"] = "us"
    ledger.record(call, chat="a", cell_id="c1", execution_count=1)
    frame = ledger.frame()
    assert frame["inference_geo"].tolist() == ["us"]
    # (10,000 x 2 + 1,000 x 10) x 1.1 = 33,000
    assert frame["cost_usd"].tolist() == pytest.approx([0.033], rel=1e-12)
    assert costs.reprice(frame)["cost_usd"].tolist() == pytest.approx([0.033], rel=1e-12)
    # Haiku 4.5 predates the premium: 10,000 x 1 + 1,000 x 5; Opus 5.5 has it: 60,000 x 1.1
    assert costs.reprice(frame, model="claude-haiku-4-5")["cost_usd"].tolist() == [0.015]
    opus = costs.reprice(frame, model="claude-opus-5-5", batch=True)
    assert opus["cost_usd"].tolist() == pytest.approx([0.033], rel=1e-12)


def test_reprice_uses_pinned_prices(ledger_frame):
    claude_magic.set_prices({"claude-haiku-5-5": {"input": 1, "output": 5}}, as_of="2026-11-01")
    haiku = costs.reprice(ledger_frame, model="claude-haiku-5-5")
    # 1 1,000x1 + 4,000x1.25 + 500x5 = 8,500 (the override has no >100K tier)
    assert haiku["cost_usd"].iloc[0] == pytest.approx(0.0085, rel=1e-12)
    assert haiku["cost_usd"].iloc[2] == pytest.approx(0.155, rel=1e-12)  # 150,000x1 + 1,000x5
    assert "as of 2026-11-01" in repr(costs.cost_summary(haiku, by="model"))


def test_compare_costs(ledger_frame):
    table = costs.compare_costs(ledger_frame, models=["claude-sonnet-5", "claude-haiku-5-5"])
    assert table["model"].tolist() == ["claude-haiku-5-5", "claude-sonnet-5"]  # cheapest first
    # Haiku as run: 0.1004975 (above). Without caching: 1 5,000x0.1 + 500x0.5 = 750;
    # 2 4,900x0.1 + 300x0.5 = 640; 3 77,500; 4 (31,000x0.1 + 2,000x0.5)/2 = 2,050;
    # 5 4,900x0.1 + 200x0.5 + 20,000 = 20,590; 6 400. Batch: halve tokens, not searches.
    haiku, sonnet = table.to_dict("records")
    assert haiku["as_run_usd"] == pytest.approx(0.1004975, rel=1e-12)
    assert haiku["no_cache_usd"] == pytest.approx(0.10193, rel=1e-12)
    # (850 + 297.5 + 77,500 + 2,400 + 250 + 400) / 2 + 20,000 = 60,848.75
    assert haiku["batch_usd"] == pytest.approx(0.06084875, rel=1e-12)
    # Sonnet as run: 17,000 + 5,950 + 310,000 + opus call on sonnet (10,000x2 + 1,000x4
    # + 20,000x0.2 + 2,000x10)/2 = 24,000 + 25,000 + 2,000x2 + 400x10 = 8,000.
    assert sonnet["as_run_usd"] == pytest.approx(0.38995, rel=1e-12)
    assert (haiku["calls"], sonnet["calls"]) == (1, 4)
    assert haiku["source"] == "official"
    assert table.attrs["recorded_usd"] == pytest.approx(TOTAL)
    assert "Recorded: $0.40 for 6 calls" in repr(table)


def test_compare_costs_default_models(ledger_frame):
    frame = ledger_frame.copy()
    frame.loc[0, "model"] = "claude-opus-5-20260601"  # a deprecated model, dated snapshot id
    claude_magic.set_prices({"course-model": {"input": 1, "output": 2}})
    table = costs.compare_costs(frame)
    current = {"claude-fable-5-2", "claude-mythos-5-2", "claude-haiku-5-5", "claude-sonnet-5-5",
               "claude-opus-5-5", "claude-fable-5-1", "claude-mythos-5-1"}  # fmt: skip
    assert set(table["model"]) == current | {"course-model", "claude-opus-5", "claude-sonnet-5"}
    assert table.set_index("model").loc["claude-opus-5", "calls"] == 1
    assert table["as_run_usd"].is_monotonic_increasing
    assert table.set_index("model").loc["course-model", "source"] == "override"
    # An alias or a dated snapshot id is its model's row (once), with that model's calls.
    ids = ["claude-opus-5-20260601", "claude-opus-5", "claude-haiku-4-5-20251001"]
    aliased = costs.compare_costs(frame, models=ids)
    assert sorted(aliased["model"]) == ["claude-haiku-4-5", "claude-opus-5"]
    assert aliased.set_index("model").loc["claude-opus-5", "calls"] == 1
    single = costs.compare_costs(ledger_frame, models="claude-opus-5-5")
    assert single["model"].tolist() == ["claude-opus-5-5"]
    with pytest.warns(UnknownModelPriceWarning):
        odd = costs.compare_costs(ledger_frame, models=["claude-haiku-5-5", "claude-x-9"])
    assert odd["model"].tolist() == ["claude-haiku-5-5", "claude-x-9"]  # unpriced last
    assert odd["as_run_usd"].isna().tolist() == [False, True]


def test_compare_costs_and_plot_costs_reject_bad_arguments(ledger_frame):
    with pytest.raises(TypeError, match="models must be a model id or a list of them, not 3"):
        costs.compare_costs(ledger_frame, models=3)
    with pytest.raises(ValueError, match="the list is empty"):
        costs.compare_costs(ledger_frame, models=[])
    with pytest.raises(ValueError, match="models must be model ids .*, not None"):
        costs.compare_costs(ledger_frame, models=["claude-haiku-5-5", None])
    with pytest.raises(TypeError, match="plot_costs draws a frame .*, not list"):
        costs.plot_costs([1, 2])


def test_summary_says_which_calls_were_not_billed_or_are_estimated(ledger_frame):
    """A summary of simulator or replayed calls read like a bill, with no word of it."""
    notes = costs.cost_summary(ledger_frame, by="model").attrs["notes"]
    assert "Nothing here was billed (6 on the offline simulator)" in notes[-1]
    mixed = ledger_frame.assign(offline=[False, False, True, True, False, False])
    mixed.loc[4, ["offline", "replayed", "estimated"]] = [True, True, True]
    notes = costs.cost_summary(mixed, by="chat").attrs["notes"]
    assert notes[-2].startswith(
        "3 of the 6 calls were not billed (2 on the offline simulator and 1 replayed from a "
        "recording), but are priced as if sent: df[~(df.offline | df.replayed)] keeps the rest."
    )
    assert notes[-1].startswith("1 call broke off before the API reported the usage")
    assert "3 of the 6 calls were not billed" in repr(costs.compare_costs(mixed, "claude-opus-5"))
    billed = ledger_frame.assign(offline=False)
    assert not any("billed" in note for note in costs.cost_summary(billed).attrs["notes"])


def test_html_display_is_formatted_captioned_and_escaped(ledger_frame):
    frame = ledger_frame.copy()
    frame.loc[0, "chat"] = "<b>bold</b>"
    s = costs.cost_summary(frame, by="chat")
    shown = s._repr_html_()
    # No "$" for JupyterLab's MathJax to typeset "$0.4044 … $0.0524" as math.
    assert "$" not in shown and "mathjax_ignore" in shown
    shown = shown.replace("&#36;", "$")
    assert "Cost by chat · 6 calls · total $0.40" in shown
    assert "cache hit rate" in shown and "cache saved $0.052" in shown
    assert "&lt;b&gt;bold&lt;/b&gt;" in shown and "<b>bold" not in shown
    assert "$0.31" in shown and "151,300" not in shown  # chat 'long': 152,000 input
    assert "152,000" in shown and "%" in shown
    assert "cost_usd as recorded with each call; cache savings at prices as of 2026-11-29" in shown
    # A filter keeps the display, with totals of the rows shown.
    tutor = s[s["chat"] == "tutor"]
    assert isinstance(tutor, type(s)) and "· 3 calls ·" in tutor._repr_html_()


def render(fig) -> None:
    """Draw the figure as a PNG: a "$" parsed as mathtext fails only here."""
    fig.savefig(io.BytesIO(), format="png")


def texts(items) -> list[str]:
    return [t.get_text().replace("\\$", "$") for t in items]


def test_plot_summary_bars(ledger_frame):
    s = costs.cost_summary(ledger_frame, by="model")
    fig = costs.plot_costs(s)
    render(fig)
    ax = fig.axes[0]
    cost_bars, saved_bars = ax.containers
    assert [b.get_width() for b in cost_bars] == pytest.approx(s["cost_usd"].tolist())
    assert [b.get_width() for b in saved_bars] == pytest.approx([0.0144, 0.038, 0.0])
    assert [b.get_x() for b in saved_bars] == pytest.approx(s["cost_usd"].tolist())
    assert [t.get_text() for t in ax.get_yticklabels()] == s["model"].tolist()
    title = ax.get_title(loc="left").replace("\\$", "$")
    assert title.startswith("Cost by model · 6 calls · total $0.40")
    assert texts(ax.texts)[1] == "$0.046 · 64.5% cache hits"
    cells = costs.plot_costs(costs.cost_summary(ledger_frame)).axes[0]
    render(cells.get_figure())
    labels = texts(cells.get_xticklabels())
    assert labels == ["(this kernel) · [1]", "(this kernel) · [4]", "(this kernel) · [5]",
                      "lesson · [3]", "lesson · [6]"]  # fmt: skip
    days = costs.plot_costs(costs.cost_summary(ledger_frame, by="day")).axes[0]
    render(days.get_figure())
    assert [t.get_text() for t in days.get_xticklabels()] == [
        "2026-11-20",
        "2026-11-21",
        "2026-11-22",
    ]


def test_plot_summary_leaves_room_above_the_costliest_bar(ledger_frame):
    """Where the costliest group had no cache reads, its bar ran to the axes' edge (the
    stacked savings bar's base pinned the limit) and its label over the legend."""
    no_reads = ledger_frame.assign(cache_read_input_tokens=0)
    by_model = costs.cost_summary(no_reads, by="model")
    ax = costs.plot_costs(by_model).axes[0]
    assert ax.get_xlim()[1] > 1.4 * by_model["cost_usd"].max()  # the label's room
    by_cell = costs.cost_summary(no_reads)
    ax = costs.plot_costs(by_cell).axes[0]
    assert ax.get_ylim()[1] > 1.04 * by_cell["cost_usd"].max()
    assert ax.get_ylim()[0] == 0


def test_plot_comparison_bars(ledger_frame):
    table = costs.compare_costs(ledger_frame, models=["claude-sonnet-5", "claude-haiku-5-5"])
    ax = costs.plot_costs(table).axes[0]
    render(ax.get_figure())
    as_run, no_cache, batch = ax.containers
    assert [b.get_width() for b in as_run] == pytest.approx(table["as_run_usd"].tolist())
    assert [b.get_width() for b in no_cache] == pytest.approx(table["no_cache_usd"].tolist())
    assert [b.get_width() for b in batch] == pytest.approx(table["batch_usd"].tolist())
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "claude-haiku-5-5 (ran)",
        "claude-sonnet-5 (ran)",
    ]
    recorded = [line for line in ax.lines if line.get_linestyle() == "--"]
    assert recorded and recorded[0].get_xdata()[0] == pytest.approx(TOTAL)
    legend = texts(ax.get_legend().get_texts())
    assert legend == ["recorded $0.40", "as run", "without caching", "batch price"]
    assert texts(ax.texts) == ["$0.10", "$0.39"]


def test_dollar_signs_in_names_are_drawn_as_text(ledger_frame):
    frame = ledger_frame.assign(chat="$5 budget $")
    fig = costs.plot_costs(costs.cost_summary(frame, by="chat"))
    render(fig)
    assert texts(fig.axes[0].get_yticklabels()) == ["$5 budget $"]


def test_plot_costs_rejects_a_ledger(ledger_frame):
    with pytest.raises(ValueError, match="plot_costs draws a frame from cost_summary"):
        costs.plot_costs(ledger_frame)


def test_show_usage_displays_summary_and_chart(ipython, ledger_frame):
    from IPython.utils.capture import capture_output

    fill(session.current().ledger)
    with capture_output() as shown:
        assert costs.show_usage(by="model") is None
    table, chart = shown.outputs
    assert table.data["text/plain"].startswith("Cost by model · 6 calls · total $0.40")
    assert "claude-opus-5-5" in table.data["text/plain"]
    assert "Figure" in chart.data["text/plain"]
    with capture_output() as shown:
        costs.show_usage("chat,day", df=ledger_frame)
    assert shown.outputs[0].data["text/plain"].startswith("Cost by chat and day")
    with pytest.raises(ValueError, match="by must be one of"):
        costs.show_usage("week")


def test_show_usage_without_calls(ipython, capsys):
    costs.show_usage("model")
    assert capsys.readouterr().out == "No API calls yet.\n"


def test_analyses_warn_once_about_stale_prices(ledger_frame, monkeypatch):
    monkeypatch.setattr(pricing, "_today", lambda: date(2027, 3, 8))  # 99 days after the table
    with pytest.warns(pricing.StalePricesWarning, match=r"as of 2026-11-29 \(99 days ago\)") as w:
        costs.cost_summary(ledger_frame, by="model")
        costs.reprice(ledger_frame, model="claude-haiku-5-5")
        costs.compare_costs(ledger_frame)
    assert len(w) == 1


def test_no_warning_on_a_fresh_table(ledger_frame):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        costs.cost_summary(ledger_frame, by="day")
        costs.compare_costs(ledger_frame)


COURSE = Path(__file__).parent.parent / "claude_magic" / "data" / "saved_course"


def test_shipped_course_folder_reads_offline_and_stays_small():
    """claude_magic/data/saved_course (scripts/make_saved_course.py) feeds the tutorial."""
    files = sorted(COURSE.glob("*.ipynb"))
    assert [f.name for f in files] == [
        "lesson1_first_chat.ipynb",
        "lesson2_caching.ipynb",
        "lesson3_models.ipynb",
    ]
    assert all(f.stat().st_size < 20_000 for f in files)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        course = claude_magic.usage_from_notebooks(COURSE)
    assert len(course) == 9 and course["offline"].all()
    assert course["cost_usd"].notna().all()
    # Recorded at the prices of the table: notebook 07 sets "as recorded" beside repriced
    # figures (a saved course older than a price change would show two different totals).
    assert course["cost_usd"].tolist() == pytest.approx(
        costs.reprice(course)["cost_usd"].tolist(), rel=1e-12
    )
    assert set(course["model"]) == {"claude-sonnet-5-5", "claude-haiku-5-5", "claude-opus-5-5"}
    assert course["chat"].nunique() == 4  # intro, quick, reader, opus
    days = costs.cost_summary(course, by="day")
    assert [str(d) for d in days["day"]] == ["2026-11-16", "2026-11-18", "2026-11-20"]
    caching = costs.cost_summary(course, by="notebook").set_index("notebook")
    cached = caching.loc[str(COURSE / "lesson2_caching.ipynb")]
    assert cached["cache_read_input_tokens"] > 0 and cached["cache_savings_usd"] > 0


NOTEBOOK_07 = Path(__file__).parent.parent / "notebooks" / "07_tokens_usage_and_cost.ipynb"


def test_notebook_07_names_every_current_model_with_a_cheaper_cache_read():
    """The prose listed Opus 5.5's 0.05x read but not Sonnet 5.5's ($0.10 of $2)."""
    import re

    import nbformat

    from claude_magic.models import current_models

    nb = nbformat.read(NOTEBOOK_07, as_version=4)
    prose = " ".join(next(c.source for c in nb.cells if c.get("id") == "nb07-27").split())
    listed = re.search(r"a read 0\.1× \(([^)]*)\)", prose).group(1)
    named = {  # "0.05× on Opus 5.5 and Sonnet 5.5, 0.025× on ..." -> {"Opus 5.5": 0.05, ...}
        name.strip(): float(ratio)
        for ratio, names in re.findall(r"([\d.]+)× on ([^,]*)", listed)
        for name in names.split(" and ")
    }
    for model in current_models():
        ratio = round(model.price.cache_read / model.price.input, 6)
        if ratio != 0.1 and model.price.source == "official":
            assert named.get(model.display_name.removeprefix("Claude ")) == ratio, model.id


def test_the_saved_course_ships_with_the_package():
    """Notebooks 00 and 07 read it through `claude_magic.data.saved_course()`, so it works
    from an installed package, not only from a clone."""
    from claude_magic.data import saved_course

    assert saved_course().resolve() == COURSE.resolve()
    assert saved_course("lesson1_first_chat.ipynb").is_file()
    with pytest.raises(FileNotFoundError, match="it has lesson1_first_chat.ipynb"):
        saved_course("lesson9.ipynb")
