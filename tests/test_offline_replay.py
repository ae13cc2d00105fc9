"""Replaying a recorded assistant message (what issue 12's notebook replay builds on): the SDK
sees exactly the recorded message, streamed and paced like any reply, and a follow-up that
carries its (foreign-signed) thinking blocks unchanged is accepted, edited ones are not."""

from __future__ import annotations

import copy

import anthropic
import pytest
from anthropic.types import Message

from claude_magic.offline import Simulator, serve

MODEL = "claude-sonnet-5-5"
SIG = ("EqQBCkgIBRABGAIiQFyyZ1ZSY2tUzSZS8xOiH0uu7vWYyQDdEYmL7xw0Cfj3Qh8yuZ2XHo4nL6Vq3CBx0CBk1"
       "aGQ2yLJfEgxaMA6Qhz5Q9K1m3TwaDOc5IDU9DafxsQiwHmM7zMvKSf9e1QfT3jRqjCAAbWz9RDy4r3==")
RECORDED = {
    "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-5-5-20260930",
    "content": [
        {"type": "thinking", "thinking": "The user wants Paris weather; search, then call the "
         "forecast tool.", "signature": SIG},
        {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIw"},
        {"type": "server_tool_use", "id": "srvtoolu_014hJH82Qum7Td6UZ5Cyst4s",
         "name": "web_search", "input": {"query": "paris weather today"}},
        {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_014hJH82Qum7Td6UZ5Cyst4s",
         "content": [{"type": "web_search_result", "url": "https://weather.example/paris",
                      "title": "Paris forecast", "encrypted_content": "EqgfCioIARgBIiQ3YTAw",
                      "page_age": "2 hours ago"}]},
        {"type": "text", "text": "It is sunny in Paris today.",
         "citations": [{"type": "web_search_result_location",
                        "url": "https://weather.example/paris", "title": "Paris forecast",
                        "encrypted_index": "Eo8BCioIAhgBIiQyYjQ0", "cited_text": "Sunny, 21 C"}]},
        {"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": "get_forecast",
         "input": {"city": "Paris", "days": 3}, "caller": {"type": "direct"}},
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "stop_details": None,
    "usage": {"input_tokens": 1234, "output_tokens": 567, "cache_creation_input_tokens": 100,
              "cache_read_input_tokens": 2048,
              "cache_creation": {"ephemeral_5m_input_tokens": 100, "ephemeral_1h_input_tokens": 0},
              "server_tool_use": {"web_search_requests": 1, "web_fetch_requests": 0},
              "service_tier": "priority"},
}
TOOLS = [{"type": "web_search_20250305", "name": "web_search"},
         {"name": "get_forecast", "description": "Forecast",
          "input_schema": {"type": "object", "properties": {"city": {"type": "string"},
                                                            "days": {"type": "integer"}},
                           "required": ["city", "days"]}}]
ASK = [{"role": "user", "content": "What's the weather in Paris? Then get a forecast."}]


def expected() -> dict:
    return Message.model_validate(RECORDED).model_dump()


def create(client, messages=ASK, max_tokens=300):
    return client.messages.create(model=MODEL, max_tokens=max_tokens, tools=TOOLS,
                                  messages=messages)


def test_recorded_message_is_returned_verbatim_as_json():
    sim = Simulator()
    sim.script(RECORDED)
    msg = create(sim.client(max_retries=0))  # max_tokens below the recorded size: not cut
    assert msg.model_dump() == expected()


def test_recorded_message_streams_paced_and_exact():
    delays: list[float] = []
    sim = Simulator(token_rate=100.0, sleep=delays.append)
    sim.script(RECORDED)
    with sim.client(max_retries=0).messages.stream(
            model=MODEL, max_tokens=300, tools=TOOLS, messages=ASK) as stream:
        events = [e.type for e in stream]
        final = stream.get_final_message()
    assert final.model_dump() == expected()
    assert events.count("citation") == 1 and "thinking" in events and "input_json" in events
    assert sum(delays) > 0.05  # text, thinking and tool input waited for the token rate


def test_recorded_message_over_loopback():
    with serve() as server:
        server.simulator.script(RECORDED)
        remote = anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0)
        with remote.messages.stream(model=MODEL, max_tokens=300, tools=TOOLS,
                                    messages=ASK) as stream:
            assert stream.get_final_message().model_dump() == expected()


def follow_up(assistant: dict) -> list[dict]:
    return [*ASK, assistant, {"role": "user", "content": [
        {"type": "tool_result", "tool_use_id": "toolu_01A09q90qw90lq917835lq9",
         "content": "Sunny all week"}]}]


def test_follow_up_keeps_recorded_thinking_but_not_edits():
    sim = Simulator()
    client = sim.client(max_retries=0)
    sim.script(RECORDED)
    first = create(client)
    reply = create(client, follow_up(first.to_param()), max_tokens=2000)
    assert "Sunny all week" in reply.content[-1].text
    history = follow_up({"role": "assistant",
                         "content": [b.model_dump(exclude_none=True) for b in first.content]})
    assert create(client, history, max_tokens=2000).stop_reason == "end_turn"
    edited = copy.deepcopy(history)
    edited[1]["content"][0]["thinking"] += " And the moon."
    with pytest.raises(anthropic.BadRequestError) as info:
        create(client, edited, max_tokens=2000)
    assert "messages.1.content.0" in info.value.api_message
    assert "cannot be modified" in info.value.api_message
    resigned = copy.deepcopy(history)
    resigned[1]["content"][0]["signature"] = SIG[:-4] + "AAA="
    with pytest.raises(anthropic.BadRequestError):
        create(client, resigned, max_tokens=2000)
    # a simulator that never sent those blocks cannot vouch for them
    with pytest.raises(anthropic.BadRequestError):
        create(Simulator().client(max_retries=0), history, max_tokens=2000)


def test_generated_thinking_still_verifies_after_many_replies():
    sim = Simulator()
    client = sim.client(max_retries=0)
    kw = dict(model=MODEL, max_tokens=2000, thinking={"type": "adaptive",
                                                       "display": "summarized"})
    first = client.messages.create(messages=[{"role": "user", "content": "first"}], **kw)
    for n in range(3):
        client.messages.create(messages=[{"role": "user", "content": f"other {n}"}], **kw)
    history = [{"role": "user", "content": "first"}, first.to_param(),
               {"role": "user", "content": "second"}]
    assert client.messages.create(messages=history, **kw).stop_reason == "end_turn"
