"""The Message Batches API through the real SDK, on an injected clock."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time

import anthropic
import httpx2
import pytest

from claude_magic.offline import Simulator, serve

MODEL = "claude-haiku-4-5"
T0 = 1_800_000_000.0  # 2027-01-15T08:00:00Z


def params(text: str, **kw) -> dict:
    return {"model": MODEL, "max_tokens": 500,
            "messages": [{"role": "user", "content": text}], **kw}


def at(seconds: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(T0 + seconds, dt.timezone.utc)


@pytest.fixture
def clock() -> list[float]:
    return [T0]


@pytest.fixture
def sim(clock) -> Simulator:
    return Simulator(batch_clock=lambda: clock[0], batch_seconds_per_request=1.0)


@pytest.fixture
def client(sim) -> anthropic.Anthropic:
    return sim.client(max_retries=0)


MIXED = [
    {"custom_id": "row-a", "params": params("first row")},
    {"custom_id": "row-b", "params": {**params("x"), "model": "claude-nope"}},
    {"custom_id": "row-c", "params": params("generated row")},
    {"custom_id": "row_d", "params": {"model": MODEL,
                                      "messages": [{"role": "user", "content": "x"}]}},
    {"custom_id": "row-e", "params": params("streamed", stream=True)},
]


def check_results(results: list, batch_id: str) -> None:
    ids = [r.custom_id for r in results]
    assert sorted(ids) == sorted(r["custom_id"] for r in MIXED)
    assert ids != [r["custom_id"] for r in MIXED]  # not in submission order
    by_id = {r.custom_id: r.result for r in results}
    a, c = by_id["row-a"], by_id["row-c"]
    assert a.type == c.type == "succeeded"
    assert a.message.content[0].text == "Scripted answer for row a"
    assert "generated row" in c.message.content[0].text
    assert a.message.usage.service_tier == c.message.usage.service_tier == "batch"
    b, d, e = by_id["row-b"], by_id["row_d"], by_id["row-e"]
    assert b.type == d.type == e.type == "errored"
    assert b.error.error.type == "not_found_error" and b.error.error.message == "model: claude-nope"
    assert d.error.error.type == "invalid_request_error"
    assert d.error.error.message == "max_tokens: Field required"
    assert "stream" in e.error.error.message
    assert b.error.request_id.startswith("req_offline_") and b.error.type == "error"


def test_batch_lifecycle_in_process(sim, client, clock):
    sim.script("Scripted answer for row a")  # rows take scripted replies in order
    batch = client.messages.batches.create(requests=MIXED)
    assert batch.id.startswith("msgbatch_") and batch.type == "message_batch"
    assert batch.processing_status == "in_progress" and batch.results_url is None
    assert batch.created_at == at(0) and batch.expires_at == at(24 * 3600)
    assert batch.request_counts.processing == 5 and batch.ended_at is None
    with pytest.raises(anthropic.AnthropicError, match="Has it finished processing"):
        client.messages.batches.results(batch.id)
    clock[0] += 2.5  # two rows done: counts stay "processing" until the batch ends
    mid = client.messages.batches.retrieve(batch.id)
    assert mid.processing_status == "in_progress"
    assert mid.request_counts.model_dump() == {
        "processing": 5, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
    clock[0] += 10
    done = client.messages.batches.retrieve(batch.id)
    assert done.processing_status == "ended" and done.ended_at == at(5)
    assert done.request_counts.model_dump() == {
        "processing": 0, "succeeded": 2, "errored": 3, "canceled": 0, "expired": 0}
    assert done.results_url == f"{sim.base_url}/v1/messages/batches/{batch.id}/results"
    check_results(list(client.messages.batches.results(batch.id)), batch.id)
    # the results are JSONL, one line per request
    raw = httpx2.Client(transport=sim.transport()).get(
        done.results_url, headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
    lines = raw.text.splitlines()
    assert len(lines) == 5 and all(json.loads(ln)["result"]["type"] for ln in lines)
    deleted = client.messages.batches.delete(batch.id)
    assert deleted.id == batch.id and deleted.type == "message_batch_deleted"
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.retrieve(batch.id)


def test_batch_results_over_loopback(sim, clock):
    with serve(sim) as server:
        remote = anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0)
        sim.script("Scripted answer for row a")
        batch = remote.messages.batches.create(requests=MIXED)
        clock[0] += 60
        ended = remote.messages.batches.retrieve(batch.id)
        assert ended.results_url.startswith(server.url + "/v1/messages/batches/")
        check_results(list(remote.messages.batches.results(batch.id)), batch.id)
        assert [b.id for b in remote.messages.batches.list()] == [batch.id]


def test_async_client_results(sim, clock):
    async def go():
        async with sim.async_client(max_retries=0) as aclient:
            batch = await aclient.messages.batches.create(
                requests=[{"custom_id": "only", "params": params("async row")}])
            clock[0] += 5
            return [r async for r in await aclient.messages.batches.results(batch.id)]

    (row,) = asyncio.run(go())
    assert row.custom_id == "only" and "async row" in row.result.message.content[0].text


def test_list_is_newest_first_and_paginated(client, clock):
    ids = []
    for n in range(5):
        ids.append(client.messages.batches.create(
            requests=[{"custom_id": f"r{n}", "params": params(f"batch {n}")}]).id)
        clock[0] += 1
    newest_first = ids[::-1]
    assert [b.id for b in client.messages.batches.list(limit=2)] == newest_first  # auto-pages
    page = client.messages.batches.list(limit=2)
    assert [b.id for b in page.data] == newest_first[:2] and page.has_more
    assert page.first_id == newest_first[0] and page.last_id == newest_first[1]
    nxt = client.messages.batches.list(limit=2, after_id=page.last_id)
    assert [b.id for b in nxt.data] == newest_first[2:4] and nxt.has_more
    last = client.messages.batches.list(limit=2, after_id=nxt.last_id)
    assert [b.id for b in last.data] == newest_first[4:] and not last.has_more
    before = client.messages.batches.list(limit=2, before_id=newest_first[3])
    assert [b.id for b in before.data] == newest_first[1:3]
    with pytest.raises(anthropic.BadRequestError):
        client.messages.batches.list(limit=1001)


def test_cancel_finishes_the_request_in_progress(sim, client, clock):
    sim.batches.seconds_per_request = 10.0
    rows = [{"custom_id": f"r{n}", "params": params(f"row {n}")} for n in range(5)]
    batch = client.messages.batches.create(requests=rows)
    clock[0] += 15  # r0 done at 10 s, r1 in progress until 20 s
    with pytest.raises(anthropic.BadRequestError, match="cannot be deleted"):
        client.messages.batches.delete(batch.id)
    canceling = client.messages.batches.cancel(batch.id)
    assert canceling.processing_status == "canceling"
    assert canceling.cancel_initiated_at == at(15) and canceling.results_url is None
    clock[0] += 2
    assert client.messages.batches.retrieve(batch.id).processing_status == "canceling"
    clock[0] += 5
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.processing_status == "ended" and ended.ended_at == at(20)
    assert ended.request_counts.succeeded == 2 and ended.request_counts.canceled == 3
    kinds = {r.custom_id: r.result.type for r in client.messages.batches.results(batch.id)}
    assert kinds == {"r0": "succeeded", "r1": "succeeded", "r2": "canceled",
                     "r3": "canceled", "r4": "canceled"}
    with pytest.raises(anthropic.BadRequestError, match="already ended"):
        client.messages.batches.cancel(batch.id)
    assert client.messages.batches.delete(batch.id).type == "message_batch_deleted"


def test_unprocessed_requests_expire_after_24_hours(sim, client, clock):
    sim.batches.seconds_per_request = 10 * 3600.0  # done at 10 h, 20 h; 30 h is too late
    rows = [{"custom_id": f"r{n}", "params": params(f"row {n}")} for n in range(4)]
    batch = client.messages.batches.create(requests=rows)
    clock[0] += 23 * 3600
    assert client.messages.batches.retrieve(batch.id).processing_status == "in_progress"
    sim.batches.advance(2 * 3600)
    ended = client.messages.batches.retrieve(batch.id)
    assert ended.ended_at == ended.expires_at == at(24 * 3600)
    assert ended.request_counts.succeeded == 2 and ended.request_counts.expired == 2
    kinds = sorted(r.result.type for r in client.messages.batches.results(batch.id))
    assert kinds == ["expired", "expired", "succeeded", "succeeded"]
    sim.batches.advance(29 * 24 * 3600)  # archived: still visible, results gone
    archived = client.messages.batches.retrieve(batch.id)
    assert archived.archived_at == at(29 * 24 * 3600)
    with pytest.raises(anthropic.NotFoundError):
        list(client.messages.batches.results(batch.id))


def test_structured_output_rows(client, clock):
    schema = {"type": "object", "properties": {"city": {"type": "string"}},
              "required": ["city"], "additionalProperties": False}
    batch = client.messages.batches.create(requests=[{"custom_id": "so", "params": params(
        "city: Oslo", output_config={"format": {"type": "json_schema", "schema": schema}})}])
    clock[0] += 5
    (row,) = client.messages.batches.results(batch.id)
    assert json.loads(row.result.message.content[-1].text) == {"city": "Oslo"}


@pytest.mark.parametrize(("requests", "needle"), [
    ([], "at least 1 item"),
    ([{"custom_id": "a" * 65, "params": params("x")}],
     "requests.0.custom_id: String should have at most 64 characters"),
    ([{"custom_id": "", "params": params("x")}], "at least 1 character"),
    ([{"custom_id": "no spaces", "params": params("x")}],
     "requests.0.custom_id: String should match pattern '^[a-zA-Z0-9_-]{1,64}$'"),
    ([{"custom_id": "same", "params": params("x")}, {"custom_id": "same", "params": params("y")}],
     "requests.1.custom_id: custom_id values must be unique"),
    ([{"custom_id": "p"}], "requests.0.params: Field required"),
    ([{"params": params("x")}], "requests.0.custom_id: Field required"),
])
def test_malformed_batches_are_400(client, requests, needle):
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.batches.create(requests=requests)
    assert needle in info.value.api_message


def test_batch_size_limits(sim):
    raw = httpx2.Client(transport=sim.transport(), base_url=sim.base_url,
                        headers={"x-api-key": "k", "anthropic-version": "2023-06-01"})
    many = {"requests": [{"custom_id": f"r{i}", "params": {}} for i in range(100_001)]}
    resp = raw.post("/v1/messages/batches", content=json.dumps(many).encode())
    assert resp.status_code == 400
    assert "at most 100000 items" in resp.json()["error"]["message"]
    sim.max_batch_bytes = 1000
    big = {"requests": [{"custom_id": "r", "params": params("x" * 2000)}]}
    resp = raw.post("/v1/messages/batches", json=big)
    assert resp.status_code == 413 and resp.json()["error"]["type"] == "request_too_large"


def test_real_clock_progresses_with_wall_time():
    sim = Simulator(batch_seconds_per_request=0.01)
    client = sim.client(max_retries=0)
    batch = client.messages.batches.create(
        requests=[{"custom_id": f"r{n}", "params": params(f"row {n}")} for n in range(3)])
    deadline = time.monotonic() + 10
    while client.messages.batches.retrieve(batch.id).processing_status != "ended":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert len(list(client.messages.batches.results(batch.id))) == 3
