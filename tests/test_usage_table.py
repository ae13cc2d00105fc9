"""What `%claude usage` shows: a compact per-cell table, in execution order; words for counts."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from claude_magic.formatting import plural, usd
from claude_magic.usage import (
    Ledger,
    in_execution_order,
    plot_usage,
    summarize_by_cell,
    usage_table,
)
from tests.test_usage import call, sample_frame


def test_plural_and_usd():
    assert [plural(n, "turn") for n in (0, 1, 2, 1500)] == [
        "0 turns",
        "1 turn",
        "2 turns",
        "1,500 turns",
    ]
    assert plural(2, "reply", "replies") == "2 replies"
    assert usd(0.0) == "$0"
    assert usd(0.00004) == "$0.000040"
    assert usd(0.0123) == "$0.012"
    assert usd(0.5) == "$0.50"
    assert usd(12.345) == "$12.35"
    assert usd(math.nan) == "n/a"


def test_table_is_compact_and_in_execution_order():
    cells = in_execution_order(summarize_by_cell(sample_frame()))
    table = usage_table(cells)
    assert table.index.name == "cell"
    assert table.index.tolist() == ["[2]", "[4]", "[4]", "[7]", "[8]"]
    assert list(table.columns) == [
        "chat", "calls", "input", "cache write", "cache read", "output", "cost",
    ]  # fmt: skip
    assert table["chat"].tolist() == ["a", "a", "b", "a", "a"]
    assert table["calls"].tolist() == [1, 2, 1, 2, 1]
    assert table["input"].tolist() == [20, 40, 40, 110, 70]
    assert table["cache write"].tolist() == [0, 105, 0, 0, 0]
    assert all(cost.startswith("$") and cost != "$0.0000" for cost in table["cost"])
    rendered = table.to_html() + repr(table)
    assert "<NA>" not in rendered and "notebook" not in rendered


def test_table_without_execution_counts_uses_short_ids_and_shows_notebooks():
    ledger = Ledger()
    ledger.record(call(), chat="a", cell_id="0123456789abcdef", execution_count=None)
    frame = ledger.frame().assign(notebook="course/one.ipynb")
    table = usage_table(in_execution_order(summarize_by_cell(frame)))
    assert table.index.tolist() == ["01234567"]
    assert table["notebook"].tolist() == ["course/one.ipynb"]


def test_cells_without_a_count_come_last_and_the_chart_follows_the_table():
    ledger = Ledger()
    ledger.record(call(), chat="a", cell_id="late", execution_count=9)
    ledger.record(call(), chat="a", cell_id="nocount", execution_count=None)
    ledger.record(call(), chat="a", cell_id="early", execution_count=3)
    cells = in_execution_order(summarize_by_cell(ledger.frame()))
    assert cells["cell_id"].tolist() == ["early", "late", "nocount"]
    labels = [t.get_text() for t in plot_usage(cells).axes[0].get_xticklabels()]
    assert labels == usage_table(cells).index.tolist() == ["[3]", "[9]", "nocount"]


def test_nan_cost_is_not_a_price():
    ledger = Ledger()
    with pytest.warns(UserWarning):
        ledger.record(call(model="claude-no-such-model"), chat="a", cell_id="x", execution_count=1)
    table = usage_table(summarize_by_cell(ledger.frame()))
    assert table["cost"].tolist() == ["n/a"]
    assert isinstance(table, pd.DataFrame)
