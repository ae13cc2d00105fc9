"""The usage ledger, its frame, per-cell sums, the chart and reading saved notebooks."""

from __future__ import annotations

import math
import warnings

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from claude_magic.pricing import cost_usd  # noqa: E402
from claude_magic.turn import TURN_MIME, CallRecord, Turn  # noqa: E402
from claude_magic.usage import (  # noqa: E402
    COLUMNS,
    Ledger,
    UsageReadWarning,
    plot_usage,
    summarize_by_cell,
    usage_from_notebooks,
)

EXPECTED_DTYPES = {
    "timestamp": "datetime64[ns, UTC]",
    "notebook": "string",
    "cell_id": "string",
    "execution_count": "Int64",
    "chat": "string",
    "model": "string",
    "input_tokens": "int64",
    "output_tokens": "int64",
    "cache_creation_input_tokens": "int64",
    "cache_creation_5m_input_tokens": "int64",
    "cache_creation_1h_input_tokens": "int64",
    "cache_read_input_tokens": "int64",
    "web_search_requests": "int64",
    "web_fetch_requests": "int64",
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


def call(
    inp: int = 100,
    out: int = 50,
    write: int = 0,
    read: int = 0,
    *,
    model: str = "claude-opus-5",
    error: str | None = None,
    **usage,
) -> CallRecord:
    usage = {
        "input_tokens": inp,
        "output_tokens": out,
        "cache_creation_input_tokens": write,
        "cache_read_input_tokens": read,
        **usage,
    }
    return CallRecord(
        model=model,
        usage=usage,
        stop_reason=None if error else "end_turn",
        request_id="req_1",
        started_at="2026-11-22T10:00:00.123456+00:00",
        ttft_s=None if error else 0.5,
        total_s=1.5,
        offline=True,
        cost_usd=cost_usd(model, usage),
        error=error,
    )


def assert_schema(df: pd.DataFrame) -> None:
    assert tuple(df.columns) == COLUMNS == tuple(EXPECTED_DTYPES)
    assert {c: str(t) for c, t in df.dtypes.items()} == EXPECTED_DTYPES


def test_empty_ledger_frame_has_schema():
    ledger = Ledger()
    assert len(ledger) == 0
    df = ledger.frame()
    assert df.empty
    assert_schema(df)


def test_ledger_rows_and_frame():
    ledger = Ledger()
    split = {"ephemeral_5m_input_tokens": 30, "ephemeral_1h_input_tokens": 70}
    first = call(10, 20, 100, 5, cache_creation=split, server_tool_use={"web_search_requests": 2})
    ledger.record(first, chat="default", cell_id="abc", execution_count=3)
    ledger.record(call(write=40), chat="other", cell_id=None, execution_count=None)
    assert len(ledger) == 2 and len(ledger.rows) == 2
    df = ledger.frame()
    assert_schema(df)
    row = df.iloc[0]
    assert row["timestamp"] == pd.Timestamp("2026-11-22T10:00:00.123456Z")
    assert pd.isna(row["notebook"])
    assert (row["cell_id"], row["execution_count"], row["chat"]) == ("abc", 3, "default")
    assert row["cache_creation_5m_input_tokens"] == 30
    assert row["cache_creation_1h_input_tokens"] == 70
    assert (row["web_search_requests"], row["web_fetch_requests"]) == (2, 0)
    assert row["cost_usd"] == pytest.approx(first.cost_usd)
    assert df.loc[1, "cache_creation_5m_input_tokens"] == 40  # no split: all 5m
    assert pd.isna(df.loc[1, "cell_id"]) and pd.isna(df.loc[1, "execution_count"])
    ledger.clear()
    assert len(ledger) == 0 and ledger.frame().empty


def test_bad_timestamp_is_nat_and_summary_of_empty_frame():
    ledger = Ledger()
    record = call()
    record.started_at = "not a time"
    ledger.record(record, chat="c", cell_id="x", execution_count=1)
    ledger.record(call(), chat="c", cell_id="x", execution_count=1)
    df = ledger.frame()
    assert_schema(df)
    assert pd.isna(df.loc[0, "timestamp"]) and not pd.isna(df.loc[1, "timestamp"])
    cells = summarize_by_cell(Ledger().frame())
    assert cells.empty and "uncached_input_tokens" in cells.columns


def test_failed_call_rows_are_kept():
    ledger = Ledger()
    ledger.record(call(error="overloaded"), chat="c", cell_id="x", execution_count=1)
    df = ledger.frame()
    assert len(df) == 1
    assert df.loc[0, "error"] == "overloaded"
    assert pd.isna(df.loc[0, "stop_reason"]) and math.isnan(df.loc[0, "ttft_s"])
    assert df.loc[0, "cost_usd"] > 0


def test_unpriced_call_is_priced_by_the_ledger_or_nan():
    ledger = Ledger()
    unpriced = call()
    unpriced.cost_usd = math.nan  # e.g. a record saved before pricing existed
    ledger.record(unpriced, chat="c", cell_id="x", execution_count=1)
    with pytest.warns(UserWarning):
        ledger.record(call(model="claude-no-such-usage"), chat="c", cell_id="y", execution_count=2)
    df = ledger.frame()
    assert df.loc[0, "cost_usd"] == pytest.approx(cost_usd("claude-opus-5", unpriced.usage))
    assert math.isnan(df.loc[1, "cost_usd"])


def test_service_tier_column_and_batch_price():
    ledger = Ledger()
    batch = call(1_000_000, 0, service_tier="batch")
    batch.cost_usd = math.nan  # priced by the ledger: at the batch discount
    ledger.record(batch, chat="c", cell_id="x", execution_count=1)
    ledger.record(call(service_tier="standard"), chat="c", cell_id="y", execution_count=2)
    ledger.record(call(), chat="c", cell_id="z", execution_count=3)  # an old record: no tier
    ledger.record(call(service_tier={"bad": 1}), chat="c", cell_id="w", execution_count=4)
    df = ledger.frame()
    assert_schema(df)
    assert df["service_tier"].tolist()[:2] == ["batch", "standard"]
    assert df["service_tier"].iloc[2:].isna().all()
    assert df.loc[0, "cost_usd"] == pytest.approx(5 / 2)  # Opus 5: input $5 per million


def sample_frame() -> pd.DataFrame:
    ledger = Ledger()
    ledger.record(call(10, 1, 100, 0), chat="a", cell_id="cell-one", execution_count=1)
    ledger.record(call(20, 2, 0, 100), chat="a", cell_id="cell-two", execution_count=2)
    ledger.record(call(30, 3, 5, 100), chat="a", cell_id="cell-one", execution_count=4)
    ledger.record(call(40, 4, 0, 0), chat="b", cell_id="cell-one", execution_count=4)
    ledger.record(call(50, 5, 0, 0), chat="a", cell_id=None, execution_count=7)
    ledger.record(call(60, 6, 0, 0), chat="a", cell_id=None, execution_count=7)
    ledger.record(call(70, 7, 0, 0), chat="a", cell_id=None, execution_count=8)
    return ledger.frame()


def test_summarize_by_cell():
    df = sample_frame()
    cells = summarize_by_cell(df)
    assert cells["cell_id"].tolist()[:3] == ["cell-one", "cell-two", "cell-one"]
    assert cells["chat"].tolist() == ["a", "a", "b", "a", "a"]
    assert cells["execution_count"].tolist() == [4, 2, 4, 7, 8]
    assert cells["calls"].tolist() == [2, 1, 1, 2, 1]
    assert cells["input_tokens"].tolist() == [40, 20, 40, 110, 70]
    assert cells["uncached_input_tokens"].tolist() == cells["input_tokens"].tolist()
    assert cells["output_tokens"].tolist() == [4, 2, 4, 11, 7]
    assert cells["cache_creation_input_tokens"].tolist() == [105, 0, 0, 0, 0]
    assert cells["cache_read_input_tokens"].tolist() == [100, 100, 0, 0, 0]
    assert cells["cost_usd"].sum() == pytest.approx(df["cost_usd"].sum())
    assert cells.loc[0, "cost_usd"] == pytest.approx(df["cost_usd"].iloc[[0, 2]].sum())
    assert pd.isna(cells.loc[3, "cell_id"])
    assert str(cells["execution_count"].dtype) == "Int64"


def test_summarize_by_cell_separates_notebooks():
    df = pd.concat([sample_frame().assign(notebook="x.ipynb"), sample_frame()])
    cells = summarize_by_cell(df.reset_index(drop=True))
    assert len(cells) == 10
    assert cells["notebook"].tolist()[:5] == ["x.ipynb"] * 5
    assert cells["notebook"].iloc[5:].isna().all()


SEGMENT_COLUMNS = [
    "uncached_input_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
    "output_tokens",
]


def test_plot_usage_bars_and_cost():
    df = sample_frame()
    cells = summarize_by_cell(df)
    fig = plot_usage(df)
    ax, cost_ax = fig.axes
    assert len(ax.containers) == 4
    bottoms = [0.0] * len(cells)
    for container, column in zip(ax.containers, SEGMENT_COLUMNS, strict=True):
        heights = [patch.get_height() for patch in container.patches]
        assert heights == [float(v) for v in cells[column]]
        assert [patch.get_y() for patch in container.patches] == pytest.approx(bottoms)
        bottoms = [b + h for b, h in zip(bottoms, heights, strict=True)]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels == ["[4]", "[2]", "[4]", "[7]", "[8]"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[:4] == ["uncached input", "cache write", "cache read", "output"]
    assert list(cost_ax.lines[0].get_ydata()) == pytest.approx(cells["cost_usd"].tolist())
    assert cost_ax.get_ylabel() == "cost (USD)"


def test_plot_usage_on_given_axes_and_short_cell_id_labels():
    from matplotlib.figure import Figure

    ledger = Ledger()
    ledger.record(call(), chat="a", cell_id="0123456789abcdef", execution_count=None)
    ax = Figure().subplots()
    fig = plot_usage(ledger.frame(), ax=ax)
    assert fig is ax.get_figure()
    assert [t.get_text() for t in ax.get_xticklabels()] == ["01234567"]


def test_plot_usage_empty_frame():
    fig = plot_usage(Ledger().frame())
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == ["no usage yet"]


def write_notebook(path, turns) -> None:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# usage"))
    for turn in turns:
        output = nbformat.v4.new_output(
            "display_data", data={TURN_MIME: turn.to_record(), "text/plain": "reply"}
        )
        nb.cells.append(nbformat.v4.new_code_cell("%%claude\nhi", outputs=[output]))
    nbformat.write(nb, str(path))


def make_turn(cell_id: str, count: int, *calls: CallRecord, chat: str = "default") -> Turn:
    return Turn(
        chat=chat,
        cell_id=cell_id,
        user={"role": "user", "content": "hi"},
        replies=[{"role": "assistant", "content": [{"type": "text", "text": "hello"}]}],
        calls=list(calls),
        model="claude-opus-5",
        execution_count=count,
    )


@pytest.fixture
def notebooks(tmp_path):
    (tmp_path / "sub").mkdir()
    write_notebook(
        tmp_path / "one.ipynb",
        [make_turn("c1", 1, call(10), call(20)), make_turn("c2", 2, call(30))],
    )
    write_notebook(tmp_path / "sub" / "two.ipynb", [make_turn("d1", 5, call(40), chat="side")])
    (tmp_path / "notes.txt").write_text("not a notebook")
    return tmp_path


def test_usage_from_notebook_folder(notebooks):
    df = usage_from_notebooks(notebooks)
    assert_schema(df)
    assert df["input_tokens"].tolist() == [10, 20, 30, 40]
    assert df["notebook"].tolist() == [str(notebooks / "one.ipynb")] * 3 + [
        str(notebooks / "sub" / "two.ipynb")
    ]
    assert df["cell_id"].tolist() == ["c1", "c1", "c2", "d1"]
    assert df["execution_count"].tolist() == [1, 1, 2, 5]
    assert df["chat"].tolist() == ["default"] * 3 + ["side"]
    cells = summarize_by_cell(df)
    assert cells["calls"].tolist() == [2, 1, 1]


def test_usage_from_notebook_glob_and_list(notebooks):
    df = usage_from_notebooks(str(notebooks / "*.ipynb"))
    assert df["input_tokens"].tolist() == [10, 20, 30]
    df = usage_from_notebooks([notebooks / "sub" / "two.ipynb", str(notebooks / "one.ipynb")])
    assert df["input_tokens"].tolist() == [40, 10, 20, 30]


def test_usage_from_notebooks_skips_bad_files(notebooks):
    bad = notebooks / "notes.txt"
    with pytest.warns(UsageReadWarning, match="notes.txt"):
        df = usage_from_notebooks([bad, notebooks / "one.ipynb"])
    assert df["input_tokens"].tolist() == [10, 20, 30]
    with pytest.warns(UsageReadWarning, match="missing.ipynb"):
        empty = usage_from_notebooks(notebooks / "missing.ipynb")
    assert empty.empty
    assert_schema(empty)


def test_usage_from_notebooks_empty(tmp_path):
    with pytest.warns(UsageReadWarning, match="a folder without notebooks"):
        df = usage_from_notebooks(tmp_path)
    assert df.empty
    assert_schema(df)


def test_usage_from_notebooks_says_when_a_path_gives_nothing(notebooks):
    """A mistyped glob read as an empty frame, silently; a missing folder was 'not a
    readable notebook'."""
    with pytest.warns(UsageReadWarning, match=r"\*\.ipnyb: no notebook matches this pattern"):
        df = usage_from_notebooks([notebooks / "*.ipnyb", notebooks / "one.ipynb"])
    assert df["input_tokens"].tolist() == [10, 20, 30]  # the rest is read
    with pytest.warns(UsageReadWarning, match="submissions: no such file or folder") as record:
        assert usage_from_notebooks(notebooks / "submissions").empty
    assert len(record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert len(usage_from_notebooks(str(notebooks / "*.ipynb"))) == 3
