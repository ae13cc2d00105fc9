"""Bounded memory: the request log keeps the most recent requests, the prompt cache drops
expired entries (benchmarks/sim_memory.py measures the figures)."""

from __future__ import annotations

import base64

from claude_magic.offline import Simulator

MODEL = "claude-haiku-4-5"


def ask(client, text: str, **kw):
    return client.messages.create(model=MODEL, max_tokens=200,
                                  messages=[{"role": "user", "content": text}], **kw)


def test_request_log_keeps_the_most_recent_requests_by_count():
    sim = Simulator(log_limit=5)
    client = sim.client()
    for n in range(12):
        ask(client, f"question {n}")
    assert len(sim.requests) == 5 and sim.requests.total == 12
    assert [r.json["messages"][0]["content"] for r in sim.requests] == [
        f"question {n}" for n in range(7, 12)]
    assert sim.requests[-1].json["messages"][0]["content"] == "question 11"
    assert sim.requests[-2].json["messages"][0]["content"] == "question 10"
    assert sim.requests[-1].headers["authorization"] == "REDACTED"
    sim.reset()
    assert sim.requests == [] and len(sim.requests) == 0


def test_request_log_is_bounded_by_bytes_but_keeps_the_latest_whole():
    sim = Simulator(log_bytes=300_000)
    client = sim.client()
    pdf = base64.b64encode(b"%PDF-1.4\n" + b"\0" * 200_000).decode()
    doc = {"type": "document",
           "source": {"type": "base64", "media_type": "application/pdf", "data": pdf}}
    for n in range(6):
        client.messages.create(model=MODEL, max_tokens=200, messages=[
            {"role": "user", "content": [doc, {"type": "text", "text": f"pdf {n}"}]}])
    assert sim.requests.total == 6 and len(sim.requests) == 1
    assert sim.requests.bytes <= 300_000
    last = sim.requests[-1].json["messages"][0]["content"]
    assert last[0]["source"]["data"] == pdf and last[1]["text"] == "pdf 5"


def test_prompt_cache_evicts_expired_entries():
    now = [0.0]
    sim = Simulator(clock=lambda: now[0])
    client = sim.client()
    long = "word " * 5000  # above every model's cache minimum
    for n in range(200):
        ask(client, f"{long} {n}", cache_control={"type": "ephemeral"})
        now[0] += 60.0  # each entry lives 5 minutes
    assert len(sim.cache) <= 10
    first = ask(client, f"{long} again", cache_control={"type": "ephemeral"})
    again = ask(client, f"{long} again", cache_control={"type": "ephemeral"})
    assert first.usage.cache_creation_input_tokens > 0
    assert again.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
