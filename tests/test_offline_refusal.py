"""Scripted refusals: stop_reason "refusal" with stop_details, as JSON and as SSE."""

from __future__ import annotations

import json
from pathlib import Path

import httpx2

from claude_magic.offline import Simulator

DATA = Path(__file__).parent / "data"
MODEL = "claude-sonnet-5-5"
USER = [{"role": "user", "content": "something the classifier declines"}]


def _raw_events(sim: Simulator) -> list[dict]:
    raw = httpx2.Client(transport=sim.transport(), base_url=sim.base_url,
                        headers={"x-api-key": "k", "anthropic-version": "2026-10-21"})
    body = {"model": MODEL, "max_tokens": 2000, "stream": True, "messages": USER,
            "thinking": {"type": "adaptive"}}
    text = raw.post("/v1/messages", json=body).text
    return [json.loads(line[6:]) for line in text.splitlines() if line.startswith("data: ")]


def test_scripted_refusal_matches_the_documented_response():
    doc = json.loads((DATA / "refusal_message.json").read_text())
    sim = Simulator()
    client = sim.client()
    sim.script(doc)
    msg = client.messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert msg.stop_reason == "refusal"
    assert msg.stop_details.model_dump() == doc["stop_details"]
    assert [b.model_dump(exclude_none=True) for b in msg.content] == doc["content"]
    sim.script(doc)
    with client.messages.stream(model=MODEL, max_tokens=100, messages=USER) as stream:
        final = stream.get_final_message()
    assert final.stop_reason == "refusal"
    assert final.stop_details.model_dump() == doc["stop_details"]
    sim.script(doc)
    events = _raw_events(sim)
    start = events[0]["message"]
    assert start["stop_reason"] is None and start.get("stop_details") is None
    (delta,) = [e for e in events if e["type"] == "message_delta"]
    assert delta["delta"]["stop_reason"] == "refusal"
    assert delta["delta"]["stop_details"] == doc["stop_details"]


def test_refusal_before_any_output_has_empty_content():
    sim = Simulator()
    details = {"type": "refusal", "category": "cyber",
               "explanation": "This request was declined because it could enable cyber harm."}
    sim.script({"stop_reason": "refusal", "stop_details": details})
    events = _raw_events(sim)
    kinds = [e["type"] for e in events]
    assert kinds == ["message_start", "ping", "message_delta", "message_stop"]
    assert events[2]["usage"]["output_tokens"] == 0
    sim.script({"content": [], "stop_reason": "refusal",
                "stop_details": {"type": "refusal", "category": None, "explanation": None}})
    msg = sim.client().messages.create(model=MODEL, max_tokens=100, messages=USER)
    assert msg.content == [] and msg.stop_reason == "refusal"
    assert msg.stop_details.category is None and msg.usage.output_tokens == 0


def test_ordinary_replies_have_null_stop_details():
    sim = Simulator()
    msg = sim.client().messages.create(model=MODEL, max_tokens=2000, messages=USER)
    assert msg.stop_reason == "end_turn" and msg.stop_details is None
    delta = next(e for e in _raw_events(sim) if e["type"] == "message_delta")
    assert delta["delta"]["stop_details"] is None
