"""`claude_magic.batch` and `batch_job`: a prompt over every row of a DataFrame.

The wire format is checked against `tests/fake_api.py` (a server that is not our
simulator: results in reverse order, one row errored); the rest runs on the kernel's
simulator with its batch clock sped up.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pydantic
import pytest

import claude_magic
from claude_magic import pricing
from claude_magic.batching import BatchJob, BatchNotEnded, Estimate, rows
from claude_magic.errors import ClaudeError, Interrupted
from tests.fake_api import FakeApi

MODEL = "claude-sonnet-5-5"
LONG = "This app " + "really " * 60 + "keeps crashing."


def reviews() -> pd.DataFrame:
    """Reviews on a non-default index with a duplicate label; one review is far too long
    for the fake API's context window (`max_prompt_chars=200`)."""
    return pd.DataFrame(
        {
            "review": ["Love the new dark mode.", LONG, "Sync is slow but works.", "Meh."],
            "app": ["Notes", "Maps", "Notes", "Mail"],
        },
        index=pd.Index(["r7", "r3", "r9", "r7"], name="id"),
    )


@pytest.fixture
def api(monkeypatch):
    """The fake API as the real backend (a key is set, ANTHROPIC_BASE_URL points at it)."""
    with FakeApi(max_prompt_chars=200) as fake:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key-not-real")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", fake.url)
        yield fake


@pytest.fixture
def sim():
    simulator = claude_magic.simulator()
    simulator.batches.seconds_per_request = 0.001
    return simulator


class Review(pydantic.BaseModel):
    sentiment: str
    stars: int
    topics: list[str]


def _batch_requests(api: FakeApi) -> list[dict]:
    return [r for r in api.requests if "requests" in r]


# -- Done when: the batch path against a server that is not our simulator ------------------


def test_batch_against_the_documented_wire_format(api, capsys):
    df = reviews()
    out = claude_magic.batch(df, "App {app}: {review}", poll_interval=0.01, progress=False)

    # one Message Batch, a custom_id per row within the API's pattern
    (created,) = _batch_requests(api)
    ids = [r["custom_id"] for r in created["requests"]]
    assert ids == ["row-0", "row-1", "row-2", "row-3"]
    assert all(r["params"]["model"] == MODEL for r in created["requests"])
    # on the input's index (duplicate label included), matched by custom_id: the fake
    # returned the results in reverse order
    assert out.index.equals(df.index)
    assert list(out.columns) == [
        "response", "stop_reason", "input_tokens", "output_tokens", "cost_usd", "error",
    ]  # fmt: skip
    for i in (0, 2, 3):
        assert f"App {df.app.iloc[i]}: {df.review.iloc[i]}"[:40] in out.response.iloc[i]
        assert pd.isna(out.error.iloc[i])
    # the errored row says why, and has no answer and no cost
    assert out.error.iloc[1].startswith("errored: invalid_request_error: prompt is too long")
    assert pd.isna(out.response.iloc[1]) and math.isnan(out.cost_usd.iloc[1])
    assert str(out.input_tokens.dtype) == "Int64" and str(out.response.dtype) == "string"
    # the ledger: one half-price row per billed request, tagged with the batch id
    ledger = claude_magic.usage_frame()
    assert len(ledger) == 3
    assert set(ledger.batch_id) == {api.batches["msgbatch_fake001"]["id"]}
    assert (ledger.service_tier == "batch").all() and not ledger.offline.any()
    for _, row in ledger.iterrows():
        usage = {"input_tokens": row.input_tokens, "output_tokens": row.output_tokens}
        assert row.cost_usd == pytest.approx(pricing.cost_usd(MODEL, usage) / 2)
    assert out.cost_usd.sum() == pytest.approx(ledger.cost_usd.sum())
    # the estimate line, then the batch id and how to reattach
    printed = capsys.readouterr().out
    assert "Batch: 4 rows to claude-sonnet-5-5" in printed and "worst case $" in printed
    assert "claude_magic.batch_job('msgbatch_fake001')" in printed


def test_results_read_twice_count_once(api):
    job = claude_magic.batch(reviews(), "{review}", wait=False, progress=False)
    assert isinstance(job, BatchJob) and job.id == "msgbatch_fake001"
    with pytest.raises(BatchNotEnded, match="has not ended yet"):
        job.results()
    first = job.wait(poll_interval=0.01)
    again = job.results()
    pd.testing.assert_frame_equal(first, again)
    assert claude_magic.batch_job("msgbatch_fake001") is job  # same kernel: same job
    assert claude_magic.batch_job(job) is job
    claude_magic.batch_job("msgbatch_fake001").results()
    assert len(claude_magic.usage_frame()) == 3


def test_structured_batch_gives_typed_columns(api):
    out = claude_magic.batch(
        reviews(), "{review}", schema=Review, poll_interval=0.01, progress=False
    )
    (created,) = _batch_requests(api)
    fmt = created["requests"][0]["params"]["output_config"]["format"]
    assert fmt["type"] == "json_schema"
    assert fmt["schema"]["additionalProperties"] is False
    assert list(out.columns[:3]) == ["sentiment", "stars", "topics"]
    assert str(out.sentiment.dtype) == "string" and str(out.stars.dtype) == "Int64"
    assert out.stars.iloc[0] == len("Love the new dark mode.")  # each row its own answer
    assert out.topics.iloc[0] == ["Love the new dark mode."]  # a list stays a list
    assert out.error.iloc[1].startswith("errored:") and pd.isna(out.stars.iloc[1])


def test_budget_checks_the_worst_case_before_anything_is_sent(api, monkeypatch):
    from claude_magic.budget import BudgetExceeded

    monkeypatch.setenv("CLAUDE_MAGIC_BUDGET_USD", "0.001")
    with pytest.raises(BudgetExceeded, match="this batch of 4 requests"):
        claude_magic.batch(reviews(), "{review}", max_tokens=4000, progress=False)
    assert not api.batches


# -- Done when: realtime, each row its own answer --------------------------------------


def test_realtime_gives_every_row_its_own_answer(api):
    api.fail_next(2)  # two 529s with retry-after: the SDK retries them
    df = reviews().iloc[[0, 2, 3]]
    out = claude_magic.batch(df, "App {app}: {review}", realtime=True, concurrency=4,
                             progress=False)  # fmt: skip
    assert out.index.equals(df.index)
    for i in range(3):
        assert f"“App {df.app.iloc[i]}: {df.review.iloc[i]}" in out.response.iloc[i]
    assert out.error.isna().all()
    assert not _batch_requests(api)
    ledger = claude_magic.usage_frame()
    assert len(ledger) == 3 and (ledger.service_tier == "standard").all()
    assert ledger.batch_id.isna().all()
    assert ledger.cost_usd.sum() == pytest.approx(out.cost_usd.sum())


def test_an_unknown_price_is_nan_never_free(api):
    with pytest.warns(pricing.UnknownModelPriceWarning):
        out = claude_magic.batch(["fine"], "{value}", realtime=True, progress=False,
                                 model="claude-nonexistent-9")  # fmt: skip
    assert out.error.isna().all() and out.cost_usd.isna().all()


def test_realtime_row_errors_are_row_errors(sim):
    sim.fail_next(3, status=529, retry_after=0.01)  # the first row exhausts the SDK's retries
    out = claude_magic.batch(["a", "b"], "{value}", realtime=True, concurrency=1,
                             progress=False)  # fmt: skip
    assert "529" in out.error.iloc[0] and "even after the SDK's retries" in out.error.iloc[0]
    assert pd.isna(out.error.iloc[1]) and pd.isna(out.input_tokens.iloc[0])
    assert len(claude_magic.usage_frame()) == 1  # the failed row was not billed


# -- on the simulator -------------------------------------------------------------------


def test_simulator_rows_are_offline_and_invalid_json_is_a_row_error(sim):
    sim.script("not json at all")
    out = claude_magic.batch(["Ann is 31", "Bob is 40"], "Person: {value}", schema=Review,
                             progress=False, poll_interval=0.01)  # fmt: skip
    assert sim.requests[-1].path.endswith("/results")
    bad = out.error.dropna()
    assert len(bad) == 1 and "does not match Review: invalid JSON" in bad.iloc[0]
    assert (claude_magic.usage_frame().offline).all()


def test_refusal_is_a_row_error(sim):
    details = {"type": "refusal", "category": "cyber", "explanation": None}
    sim.script({"content": [{"type": "text", "text": ""}], "stop_reason": "refusal",
                "stop_details": details})  # fmt: skip
    out = claude_magic.batch(["a"], "{value}", realtime=True, progress=False)
    assert out.error.iloc[0] == "refusal (cyber)" and out.stop_reason.iloc[0] == "refusal"


def test_interrupt_while_waiting_leaves_the_batch_running(sim):
    job = claude_magic.batch(["a", "b"], "{value}", wait=False, progress=False)
    sim.batches.seconds_per_request = 3600.0  # far from done

    def interrupt(seconds: float) -> None:
        raise KeyboardInterrupt

    job.sleep = interrupt
    with pytest.raises(Interrupted) as caught:
        job.wait()
    message = str(caught.value)
    assert "keeps running (nothing was canceled)" in message
    assert f"claude_magic.batch_job({job.id!r})" in message
    assert job.status().state == "in_progress"
    assert not any(r.path.endswith("/cancel") for r in sim.requests)
    sim.batches.advance(3 * 3600)
    out = claude_magic.batch_job(job.id).wait(poll_interval=0.01)
    assert out.error.isna().all() and len(claude_magic.usage_frame()) == 2


def test_cancel_and_expiry_are_row_errors(sim):
    sim.batches.seconds_per_request = 10.0
    job = claude_magic.batch(["a", "b", "c"], "{value}", wait=False, progress=False)
    sim.batches.advance(15)  # row 0 done, row 1 in progress
    assert job.cancel().state == "canceling"
    sim.batches.advance(10)
    out = job.results()
    assert out.error.isna().tolist() == [True, True, False]
    assert out.error.iloc[2].startswith("canceled:")
    assert len(claude_magic.usage_frame()) == 2  # canceled rows were not billed


def test_reattach_in_a_new_session_with_data(sim, monkeypatch):
    from claude_magic import session

    def restart() -> None:  # a new session (kernel) on the same simulator (the API)
        simulator = session.current().backends.simulator
        monkeypatch.setattr(session, "_current", None)
        session.current().backends._simulator = simulator

    data = pd.Series(["x", "y", "z"], index=[10, 20, 30])
    job = claude_magic.batch(data, "{value}", wait=False, progress=False)
    restart()
    again = claude_magic.batch_job(job.id, data=data)
    assert again is not job
    out = again.wait(poll_interval=0.01)
    assert out.index.tolist() == [10, 20, 30] and out.error.isna().all()
    assert len(claude_magic.usage_frame()) == 3
    for wrong in (data.iloc[:2], pd.concat([data, data])):
        restart()
        with pytest.raises(ClaudeError, match="has results for 3 rows, but data= has"):
            claude_magic.batch_job(job.id, data=wrong).results()
    restart()
    bare = claude_magic.batch_job(job.id).results()  # no data: row positions
    assert bare.index.tolist() == [0, 1, 2] and bare.index.name == "row"
    assert len(claude_magic.usage_frame()) == 3


@pytest.mark.parametrize("bad", [None, 123, "", [], ["msgbatch_1", 5]])
def test_batch_job_needs_an_id(sim, bad):
    with pytest.raises(ValueError, match="batch_job needs a batch id"):
        claude_magic.batch_job(bad)


def test_reattach_to_an_unknown_batch_is_one_line(sim):
    with pytest.raises(ClaudeError, match="Cannot reattach to batch msgbatch_nope") as caught:
        claude_magic.batch_job("msgbatch_nope")
    assert "a batch made before a kernel restart" in str(caught.value)
    assert "ANTHROPIC_BASE_URL" not in str(caught.value)


def test_a_restarted_simulator_never_reuses_a_lost_batch_id():
    """Else batch_job(old id) after a restart would silently reattach to a new batch."""
    from claude_magic.offline import Simulator

    def first_id() -> str:
        request = {"custom_id": "a", "params": {"model": MODEL, "max_tokens": 10,
                                                 "messages": [{"role": "user", "content": "x"}]}}
        return Simulator().client().messages.batches.create(requests=[request]).id

    assert first_id() != first_id()


def test_split_into_several_batches_over_the_limit(sim, monkeypatch, capsys):
    monkeypatch.setattr(rows, "MAX_REQUESTS_PER_BATCH", 2)
    out = claude_magic.batch([f"item {i}" for i in range(5)], "Say {value}",
                             progress=False, poll_interval=0.01)  # fmt: skip
    ledger = claude_magic.usage_frame()
    assert ledger.batch_id.nunique() == 3
    for i in range(5):
        assert f"Say item {i}" in out.response.iloc[i]
    assert "claude_magic.batch_job([" in capsys.readouterr().out


def test_dry_run_estimates_and_sends_nothing(sim, capsys):
    found = claude_magic.batch(["a b c d"] * 12, "{value}", dry_run=True, max_tokens=100)
    assert isinstance(found, Estimate)
    assert found.rows == 12 and found.counted_rows == 5 and found.method == "count_tokens"
    paths = {r.path for r in sim.requests}
    assert paths == {"/v1/messages/count_tokens"}
    per_row = pricing.cost_usd(MODEL, {"input_tokens": math.ceil(found.input_tokens / 12),
                                       "output_tokens": 100, "service_tier": "batch"})  # fmt: skip
    assert found.worst_usd == pytest.approx(12 * per_row)
    assert str(found).startswith("Batch: 12 rows") and not capsys.readouterr().out


@pytest.mark.parametrize(
    ("data", "prompt", "error", "match"),
    [
        (reviews(), "{review} {stars}", KeyError, r"\{stars\} but the DataFrame has no such"),
        (reviews(), "{} {review}", ValueError, "positional field"),
        (reviews(), "{review", ValueError, "not a valid template"),
        (["a"], "{text}", KeyError, r"the only field is \{value\}"),
        ("abc", "{value}", TypeError, "not str"),
        ([], "{value}", ValueError, "no rows"),
    ],
)
def test_bad_inputs_fail_before_sending(sim, data, prompt, error, match):
    with pytest.raises(error, match=match):
        claude_magic.batch(data, prompt)
    assert not sim.requests


def test_literal_braces_and_options_are_sent(sim):
    out = claude_magic.batch(["x"], 'Reply as {{"a": "{value}"}}', realtime=True,
                             progress=False, metadata={"user_id": "u1"})  # fmt: skip
    sent = sim.requests[-1].json
    assert sent["messages"][0]["content"][0]["text"] == 'Reply as {"a": "x"}'
    assert sent["metadata"] == {"user_id": "u1"}
    assert out.error.isna().all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"temperature": 0.2}, "temperature= is not a Messages API request field"),
        ({"stream": True}, "batch requests do not stream"),
        ({"tools": [len]}, "a batch cannot run Python functions"),
        ({"client": "sk-ant-not-a-client"}, r"client= must be a \(sync\) anthropic.Anthropic"),
        ({"metadata": {"user_id": object()}}, "metadata= is sent as JSON and cannot be"),
        ({"concurrency": 0}, "concurrency must be at least 1"),
        ({"concurrency": "4", "realtime": True}, "concurrency must be a whole number"),
        ({"max_tokens": 10.5}, "max_tokens must be a whole number, not 10.5"),
        ({"max_tokens": True}, "max_tokens must be a whole number"),
        ({"poll_interval": "1"}, "poll_interval must be a number of seconds"),
        ({"poll_interval": 0}, "poll_interval must be seconds > 0"),
        ({"system": ["be brief"]}, "system must be a str, not list"),
        ({"realtime": True, "wait": False}, "wait=False is for Message Batches"),
        ({"schema": {"type": "object", "properties": {"error": {"type": "string"}}}},
         "^the schema has fields named error, which the result keeps for itself"),
        ({"schema": int}, "not a pydantic model"),
    ],
)
def test_bad_options_fail_before_sending(sim, kwargs, match):
    with pytest.raises((TypeError, ValueError), match=match):
        claude_magic.batch(["a"], "{value}", **kwargs)
    assert not sim.requests


def test_custom_ids_map_back_to_positions():
    assert rows.custom_id(12) == "row-12" and rows.position_of("row-12") == 12
    assert rows.position_of("other-1") is None and rows.position_of("row-x") is None


def test_the_sample_reviews_ship_with_the_package():
    from claude_magic.data import reviews

    df = reviews()
    assert len(df) == 30 and df.index.name == "review_id" and df.index.is_unique
    assert list(df.columns) == ["app", "platform", "stars", "review"]
    assert set(df.stars) == {1, 2, 3, 4, 5} and df.review.str.len().min() > 20


def test_an_interrupt_in_realtime_keeps_the_billed_calls(sim):
    import os
    import signal
    import time

    import anthropic
    import httpx2

    calls = []

    class StopOnThird(httpx2.BaseTransport):
        """The stop button (SIGINT to the kernel's main thread) during the third call."""

        def handle_request(self, request):
            if request.url.path == "/v1/messages":
                calls.append(1)
                if len(calls) == 3:
                    os.kill(os.getpid(), signal.SIGINT)
                    time.sleep(0.5)  # the call in flight finishes after the interrupt
            return sim.transport().handle_request(request)

    client = anthropic.Anthropic(
        base_url=sim.base_url,
        api_key="offline",
        http_client=anthropic.DefaultHttpxClient(transport=StopOnThird()),
    )
    with pytest.raises(Interrupted, match="3 of 5 rows done"):
        claude_magic.batch(list("abcde"), "{value}", realtime=True, concurrency=1,
                           client=client, progress=False)  # fmt: skip
    assert len(calls) == 3  # the rows after the interrupt were not sent
    ledger = claude_magic.usage_frame()
    assert len(ledger) == 3  # the call in flight was billed: it is in the ledger
    assert ledger.offline.all()  # a client of the simulator counts as offline


@pytest.mark.parametrize(
    ("data", "prompt", "match"),
    [
        (pd.DataFrame({"review": ["ok", math.nan, None]}, index=["a", "b", "c"]), "{review}",
         r"column 'review' is missing \(NaN or None\) in 2 rows \(index 'b', 'c'\).*dropna"),
        (pd.DataFrame({"stars": [5, None]}).convert_dtypes(), "{stars} stars",
         r"column 'stars' is missing .* in 1 row \(index 1\)"),
        (pd.Series(["ok", None], index=[7, 8]), "{value}", r"Series is missing .*index 8"),
        (["ok", math.nan], "{value}", "list is missing"),
        (pd.DataFrame([["a", "b"]], columns=["x", "x"]), "{x}", "2 columns under that name"),
        (pd.DataFrame([["a", "b"]], columns=pd.MultiIndex.from_tuples([("x", 1), ("x", 2)])),
         "{x}", "2 columns under that name"),
    ],
)  # fmt: skip
def test_missing_cells_and_ambiguous_columns_fail_before_sending(sim, data, prompt, match):
    with pytest.raises(ValueError, match=match):
        claude_magic.batch(data, prompt)
    assert not sim.requests


def test_budget_counts_batches_still_running(api, monkeypatch):
    """wait=False jobs are billed later: until their results are read, their worst case
    is held against the budget, so a kernel cannot launch past it one batch at a time."""
    from claude_magic.budget import BudgetExceeded

    df = reviews().iloc[[0, 2]]
    one = claude_magic.batch(df, "{review}", dry_run=True, max_tokens=100).worst_usd
    monkeypatch.setenv("CLAUDE_MAGIC_BUDGET_USD", str(one * 1.5))
    job = claude_magic.batch(df, "{review}", max_tokens=100, wait=False, progress=False)
    with pytest.raises(BudgetExceeded, match=r"is held for batches not read yet"):
        claude_magic.batch(df, "{review}", max_tokens=100, wait=False, progress=False)
    with pytest.raises(BudgetExceeded):
        claude_magic.batch(df, "{review}", max_tokens=100, realtime=True, progress=False)
    assert len(_batch_requests(api)) == 1
    job.wait(poll_interval=0.01)  # read: the ledger holds what it really cost
    claude_magic.batch(df, "{review}", max_tokens=100, progress=False, poll_interval=0.01)
    assert len(_batch_requests(api)) == 2


def test_a_batch_made_with_the_sdk_reattaches_on_its_custom_ids(sim):
    """Its custom_ids are not `row-<n>`: the rows are not dropped (they were billed)."""
    sim.batches.seconds_per_request = 0.001
    params = {"model": MODEL, "max_tokens": 400}
    made = sim.client().messages.batches.create(
        requests=[
            {"custom_id": cid, "params": {**params, "messages": [{"role": "user", "content": cid}]}}
            for cid in ("review-b", "review-a")
        ]
    )
    sim.batches.advance(1)
    out = claude_magic.batch_job(made.id).results()
    assert out.index.tolist() == ["review-a", "review-b"] and out.index.name == "custom_id"
    assert "review-a" in out.response.loc["review-a"] and out.error.isna().all()
    assert len(claude_magic.usage_frame()) == 2
    with pytest.raises(ClaudeError, match="was not made by claude_magic.batch"):
        claude_magic.batch_job(made.id, data=["x", "y"]).results()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"thinking": {"type": "disabled"}}, '"thinking.type.disabled" is not supported'),
        ({"model": "claude-nonexistent-9"}, "Unknown model 'claude-nonexistent-9'"),
    ],
)
def test_a_request_count_tokens_rejects_for_every_row_is_not_sent(sim, kwargs, match):
    """Else the batch is created and every row comes back errored, minutes or hours later."""
    with pytest.raises(ClaudeError, match="Nothing was sent: count_tokens rejected") as caught:
        claude_magic.batch(["a", "b"], "{value}", progress=False, **kwargs)
    assert re.search(match, str(caught.value))
    assert not any(r.path.startswith("/v1/messages/batches") for r in sim.requests)


def test_a_row_count_tokens_rejects_alone_is_that_rows_error(sim):
    out = claude_magic.batch(["", "fine"], "{value}", progress=False, poll_interval=0.01)
    assert "non-empty content" in out.error.iloc[0] and pd.isna(out.error.iloc[1])


def test_batch_rows_are_half_price_even_without_service_tier_in_usage(api):
    api.batch_service_tier = None
    out = claude_magic.batch(reviews().iloc[[0]], "{review}", poll_interval=0.01,
                             progress=False)  # fmt: skip
    (row,) = claude_magic.usage_frame().itertuples()
    assert row.service_tier == "batch"
    usage = {"input_tokens": row.input_tokens, "output_tokens": row.output_tokens}
    assert row.cost_usd == pytest.approx(pricing.cost_usd(MODEL, usage) / 2)
    assert out.cost_usd.iloc[0] == pytest.approx(row.cost_usd)


def test_a_failed_poll_or_read_is_one_line_and_counts_nothing_twice(sim):
    """A network failure (after the SDK's retries) while waiting or mid-way through the
    results: a clear error that the batch is not lost; trying again adds no ledger row twice."""
    import anthropic
    import httpx2

    broken = {"poll": False, "results_after": None}

    class Flaky(httpx2.BaseTransport):
        def handle_request(self, request):
            path = request.url.path
            if broken["poll"] and request.method == "GET" and "/batches/" in path:
                raise httpx2.ConnectError("network is down")
            response = sim.transport().handle_request(request)
            if path.endswith("/results") and broken["results_after"] is not None:
                lines = response.read().splitlines(keepends=True)[: broken["results_after"]]
                broken["results_after"] = None

                def cut():
                    yield from lines
                    raise httpx2.ReadError("connection reset")

                return httpx2.Response(200, headers=response.headers, stream=Cut(cut()))
            return response

    class Cut(httpx2.SyncByteStream):
        def __init__(self, chunks):
            self.chunks = chunks

        def __iter__(self):
            yield from self.chunks

    client = anthropic.Anthropic(
        base_url=sim.base_url,
        api_key="offline",
        max_retries=0,
        http_client=anthropic.DefaultHttpxClient(transport=Flaky()),
    )
    sim.batches.seconds_per_request = 3600.0
    job = claude_magic.batch(list("abcd"), "{value}", client=client, wait=False, progress=False)
    broken["poll"] = True
    with pytest.raises(ClaudeError, match="Failed waiting for batch .* is not affected"):
        job.wait(poll_interval=0.01)
    broken["poll"] = False
    sim.batches.advance(5 * 3600)
    broken["results_after"] = 2
    with pytest.raises(ClaudeError, match="Failed reading the results of batch"):
        job.results()
    assert 1 <= len(claude_magic.usage_frame()) < 4  # the lines read before the failure
    out = job.results()
    assert out.error.isna().all() and len(claude_magic.usage_frame()) == 4


def test_cancel_that_fails_is_one_line_and_a_batch_that_ended_meanwhile_is_fine(sim):
    import anthropic
    import httpx2

    mode = {"cancel": "down"}

    class Flaky(httpx2.BaseTransport):
        def handle_request(self, request):
            if request.url.path.endswith("/cancel"):
                if mode["cancel"] == "down":
                    raise httpx2.ConnectError("network is down")
                sim.batches.advance(3600)  # the batch ends just before the cancel arrives
            return sim.transport().handle_request(request)

    client = anthropic.Anthropic(
        base_url=sim.base_url,
        api_key="offline",
        max_retries=0,
        http_client=anthropic.DefaultHttpxClient(transport=Flaky()),
    )
    sim.batches.seconds_per_request = 60.0
    job = claude_magic.batch(["a", "b"], "{value}", client=client, wait=False, progress=False)
    with pytest.raises(ClaudeError, match=r"Failed canceling batch .* then \.cancel\(\) tries"):
        job.cancel()
    mode["cancel"] = "ends first"
    assert job.cancel().state == "ended"
    assert job.results().error.isna().all()


def test_a_schema_given_on_reattach_reads_results_already_read(sim):
    class Person(pydantic.BaseModel):
        name: str
        age: int

    sim.script('{"name": "Ann", "age": 31}')
    sim.script("not json")
    job = claude_magic.batch(["Ann is 31", "Bob"], "{value}", wait=False, progress=False)
    sim.batches.advance(60)
    assert list(job.results().columns[:1]) == ["response"]
    out = claude_magic.batch_job(job.id, schema=Person).results()
    assert out.name.iloc[0] == "Ann" and out.age.iloc[0] == 31 and pd.isna(out.error.iloc[0])
    assert "does not match Person: invalid JSON" in out.error.iloc[1]
    assert len(claude_magic.usage_frame()) == 2


def test_an_async_client_is_refused_before_sending(sim):
    with pytest.raises(TypeError, match="not AsyncAnthropic"):
        claude_magic.batch(["a"], "{value}", client=sim.async_client())
    assert not sim.requests
