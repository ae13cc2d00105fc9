"""The offline simulator through the real SDK: content blocks, stop reasons, usage, scripting."""

from __future__ import annotations

import base64
import json

import anthropic
import pytest

from claude_magic.offline import DEFAULT_MODEL, Simulator

MODEL = DEFAULT_MODEL
NO_THINK = "claude-haiku-4-5"  # a model that does not think by default


@pytest.fixture
def sim() -> Simulator:
    return Simulator()


@pytest.fixture
def client(sim: Simulator) -> anthropic.Anthropic:
    return sim.client()


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def stream_events(client, **kw):
    with client.messages.stream(**kw) as stream:
        events = list(stream)
        return events, stream.get_final_message()


def test_text_reply_non_streaming(client):
    msg = client.messages.create(
        model=NO_THINK, max_tokens=1000, messages=user("Tell me about otters")
    )
    assert msg.id == "msg_offline_0001"
    assert [b.type for b in msg.content] == ["text"]
    text = msg.content[0].text
    assert text.startswith("**[offline simulator]**")
    assert "Tell me about otters" in text
    assert msg.stop_reason == "end_turn" and msg.stop_sequence is None
    assert msg.model == NO_THINK
    assert msg._request_id.startswith("req_offline_")


def test_replies_are_deterministic_and_vary_with_prompt():
    def ask(prompt):
        return (
            Simulator()
            .client()
            .messages.create(model=NO_THINK, max_tokens=500, messages=user(prompt))
            .content[0]
            .text
        )

    assert ask("alpha") == ask("alpha")
    assert ask("alpha") != ask("beta gamma")


def test_streaming_text_in_many_deltas(client):
    events, final = stream_events(
        client, model=NO_THINK, max_tokens=1000, messages=user("Stream please")
    )
    types = [e.type for e in events]
    assert types[0] == "message_start" and types[-1] == "message_stop"
    deltas = [e for e in events if e.type == "text"]
    assert len(deltas) >= 10
    assert "".join(e.text for e in deltas) == final.content[0].text
    assert final.stop_reason == "end_turn"


def test_streaming_and_non_streaming_agree(sim):
    body = dict(model=MODEL, max_tokens=800, messages=user("same request"))
    a = Simulator().client().messages.create(**body)
    _, b = stream_events(Simulator().client(), **body)
    assert a.model_dump() == b.model_dump()


def test_usage_is_cumulative_and_matches_count_tokens(client):
    kw = dict(model=MODEL, messages=user("Count me " * 40), system="Be brief.")
    counted = client.messages.count_tokens(**kw).input_tokens
    events, final = stream_events(client, max_tokens=1000, **kw)
    start = next(e for e in events if e.type == "message_start")
    delta = next(e for e in events if e.type == "message_delta")
    assert start.message.usage.input_tokens == counted
    assert start.message.usage.output_tokens == 1
    assert delta.usage.output_tokens == final.usage.output_tokens > 1
    assert delta.usage.input_tokens == counted
    assert final.usage.input_tokens == counted


def test_thinking_omitted_by_default_on_5x(client):
    events, final = stream_events(client, model=MODEL, max_tokens=1000, messages=user("hi"))
    block = final.content[0]
    assert block.type == "thinking" and block.thinking == "" and block.signature
    kinds = [
        (e.type, getattr(getattr(e, "delta", None), "type", None))
        for e in events
        if e.type == "content_block_delta" and e.index == 0
    ]
    assert kinds == [
        ("content_block_delta", "thinking_delta"),
        ("content_block_delta", "signature_delta"),
    ]


def test_thinking_summarized_and_disabled(client):
    events, final = stream_events(
        client,
        model=MODEL,
        max_tokens=1000,
        messages=user("hi"),
        thinking={"type": "adaptive", "display": "summarized"},
    )
    assert final.content[0].type == "thinking"
    assert "offline simulator" in final.content[0].thinking
    assert sum(e.type == "thinking" for e in events) > 1
    assert sum(e.type == "signature" for e in events) == 1
    off = client.messages.create(
        model="claude-haiku-5-5",
        max_tokens=1000,
        messages=user("hi"),
        thinking={"type": "disabled"},
    )
    assert [b.type for b in off.content] == ["text"]
    no_up_front = client.messages.create(
        model=MODEL, max_tokens=1000, messages=user("hi"), thinking={"type": "between_tools"}
    )
    assert [b.type for b in no_up_front.content] == ["text"]


def test_thinking_history_roundtrip_and_edit_detection(client):
    kw = dict(model=MODEL, max_tokens=1000, thinking={"type": "adaptive", "display": "summarized"})
    first = client.messages.create(messages=user("first"), **kw)
    history = [*user("first"), first.to_param(), *user("second")]
    second = client.messages.create(messages=history, **kw)
    assert second.stop_reason == "end_turn"
    edited = {
        "role": "assistant",
        "content": [b.model_dump(exclude_none=True) for b in first.content],
    }
    edited["content"][0]["thinking"] += " (edited)"
    with pytest.raises(anthropic.BadRequestError) as err:
        client.messages.create(messages=[*user("first"), edited, *user("second")], **kw)
    assert "messages.1.content.0" in err.value.api_message
    assert "cannot be modified" in err.value.api_message


WEATHER = {
    "name": "get_weather",
    "description": "Weather for a city",
    "input_schema": {
        "type": "object",
        "properties": {
            "city": {"type": "string"},
            "days": {"type": "integer"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "alerts": {"type": "boolean"},
        },
        "required": ["city", "days", "unit", "alerts"],
    },
}
TIME = {
    "name": "get_time",
    "description": "Time in a zone",
    "input_schema": {
        "type": "object",
        "properties": {
            "zone": {"type": "string"},
            "opts": {
                "type": "object",
                "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
                "required": ["tags"],
            },
        },
        "required": ["zone", "opts"],
    },
}


def test_tool_use_streams_input_json(client):
    events, final = stream_events(
        client,
        model=MODEL,
        max_tokens=1000,
        tools=[WEATHER],
        messages=user('Use get_weather for "Paris" over 3 days'),
    )
    assert final.stop_reason == "tool_use"
    (tool,) = [b for b in final.content if b.type == "tool_use"]
    assert tool.name == "get_weather" and tool.id.startswith("toolu_")
    assert tool.input == {"city": "Paris", "days": 3, "unit": "celsius", "alerts": True}
    partials = [
        e.delta.partial_json
        for e in events
        if e.type == "content_block_delta" and e.delta.type == "input_json_delta"
    ]
    assert partials[0] == "" and len(partials) > 2
    assert json.loads("".join(partials)) == tool.input


def test_two_tool_uses_then_tool_results(client):
    msgs = user("Call get_weather for 'Oslo' and get_time for 'UTC'")
    first = client.messages.create(
        model=MODEL, max_tokens=1000, tools=[WEATHER, TIME], messages=msgs
    )
    uses = [b for b in first.content if b.type == "tool_use"]
    assert [u.name for u in uses] == ["get_weather", "get_time"]
    assert len({u.id for u in uses}) == 2
    assert uses[1].input["opts"]["tags"] and isinstance(uses[1].input["zone"], str)
    results = [
        {"type": "tool_result", "tool_use_id": uses[0].id, "content": "Sunny, 21 C"},
        {
            "type": "tool_result",
            "tool_use_id": uses[1].id,
            "content": "clock broken",
            "is_error": True,
        },
    ]
    follow = client.messages.create(
        model=MODEL,
        max_tokens=1000,
        tools=[WEATHER, TIME],
        messages=[*msgs, first.to_param(), {"role": "user", "content": results}],
    )
    assert follow.stop_reason == "end_turn"
    text = follow.content[-1].text
    assert "Sunny, 21 C" in text and "clock broken" in text and "is_error" in text


def test_tool_choice_forces_a_tool(client):
    msg = client.messages.create(
        model=MODEL,
        max_tokens=1000,
        tools=[WEATHER, TIME],
        tool_choice={"type": "tool", "name": "get_time"},
        messages=user("whatever"),
    )
    assert [b.name for b in msg.content if b.type == "tool_use"] == ["get_time"]
    none = client.messages.create(
        model=MODEL,
        max_tokens=1000,
        tools=[WEATHER],
        tool_choice={"type": "none"},
        messages=user("get_weather please"),
    )
    assert none.stop_reason == "end_turn"


@pytest.mark.parametrize(
    ("tool", "prompt", "result_type", "counter"),
    [
        (
            {"type": "web_search_20250305", "name": "web_search"},
            "Search for otter facts",
            "web_search_tool_result",
            "web_search_requests",
        ),
        (
            {"type": "web_fetch_20250910", "name": "web_fetch"},
            "Fetch https://example.org/a",
            "web_fetch_tool_result",
            "web_fetch_requests",
        ),
        (
            {"type": "code_execution_20250825", "name": "code_execution"},
            "Run 6*7 please",
            "code_execution_tool_result",
            None,
        ),
    ],
)
def test_server_tools(client, tool, prompt, result_type, counter):
    events, final = stream_events(
        client,
        model=MODEL,
        max_tokens=2000,
        tools=[tool],
        thinking={"type": "between_tools"},
        messages=user(prompt),
    )
    assert [b.type for b in final.content] == ["server_tool_use", result_type, "text"]
    assert final.content[1].tool_use_id == final.content[0].id
    assert final.stop_reason == "end_turn"
    if counter:
        assert getattr(final.usage.server_tool_use, counter) == 1
    if result_type == "web_search_tool_result":
        first = final.content[1].content[0]
        assert first.url.startswith("https://") and first.encrypted_content and first.page_age
        assert first.url in final.content[2].text
    if result_type == "code_execution_tool_result":
        assert final.content[1].content.stdout == "42\n"
    if result_type == "web_fetch_tool_result":
        assert final.content[1].content.url == "https://example.org/a"


def test_image_and_pdf_acknowledged(client):
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 59
    pdf = b"%PDF-1.4 tiny"
    content = [
        {
            "type": "image",
            "source": {
                "type": "base64",
                "media_type": "image/png",
                "data": base64.b64encode(png).decode(),
            },
        },
        {
            "type": "document",
            "source": {
                "type": "base64",
                "media_type": "application/pdf",
                "data": base64.b64encode(pdf).decode(),
            },
        },
        {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
        {"type": "text", "text": "Describe these"},
    ]
    msg = client.messages.create(
        model=NO_THINK, max_tokens=1000, messages=[{"role": "user", "content": content}]
    )
    text = msg.content[0].text
    assert f"image/png, {len(png)} bytes" in text
    assert f"application/pdf, {len(pdf)} bytes" in text
    assert "https://example.com/cat.jpg" in text


def test_max_tokens_truncates(client):
    events, final = stream_events(
        client, model=NO_THINK, max_tokens=10, messages=user("a long answer please")
    )
    assert final.stop_reason == "max_tokens"
    assert final.usage.output_tokens == 10
    assert len(final.content[0].text) == 40


def test_stop_sequence(client):
    full = (
        client.messages.create(model=NO_THINK, max_tokens=1000, messages=user("stop test"))
        .content[0]
        .text
    )
    msg = client.messages.create(
        model=NO_THINK,
        max_tokens=1000,
        messages=user("stop test"),
        stop_sequences=["What I received"],
    )
    assert msg.stop_reason == "stop_sequence" and msg.stop_sequence == "What I received"
    assert msg.content[0].text == full[: full.index("What I received")]


def test_prefill_continues_on_models_that_allow_it(client):
    msg = client.messages.create(
        model=NO_THINK,
        max_tokens=500,
        messages=[*user("Say hi"), {"role": "assistant", "content": "Hi"}],
    )
    assert "continuing your prefill" in msg.content[0].text


def test_scripted_replies(sim, client):
    sim.script("Exactly this.")
    sim.script(
        {
            "content": [
                {"type": "thinking", "thinking": "plan"},
                {"type": "text", "text": "Calling."},
                {"type": "tool_use", "name": "get_weather", "input": {"city": "Rome"}},
            ],
            "usage": {"output_tokens": 99},
        }
    )
    sim.script("one two three four five six seven eight")
    a = client.messages.create(model=MODEL, max_tokens=100, messages=user("x"))
    assert [b.text for b in a.content] == ["Exactly this."]
    _, b = stream_events(client, model=MODEL, max_tokens=100, messages=user("y"), tools=[WEATHER])
    assert [blk.type for blk in b.content] == ["thinking", "text", "tool_use"]
    assert b.content[0].signature and b.content[2].input == {"city": "Rome"}
    assert b.stop_reason == "tool_use" and b.usage.output_tokens == 99
    c = client.messages.create(
        model=MODEL, max_tokens=100, messages=user("z"), stop_sequences=["four"]
    )
    assert c.content[0].text == "one two three " and c.stop_reason == "stop_sequence"
    d = client.messages.create(model=MODEL, max_tokens=100, messages=user("back to rules"))
    assert "back to rules" in d.content[-1].text


def test_requests_are_recorded_with_auth_redacted(sim, client):
    client.messages.create(model=MODEL, max_tokens=100, messages=user("record me"))
    (req,) = sim.requests
    assert req.method == "POST" and req.path == "/v1/messages"
    assert req.headers["authorization"] == "REDACTED"
    assert req.headers["anthropic-version"] == "2026-10-21"
    assert req.json["messages"][0]["content"] == "record me"
    sim.reset()
    assert sim.requests == []


def test_async_client(sim):
    import asyncio

    async def go():
        async with sim.async_client() as aclient:
            async with aclient.messages.stream(
                model=MODEL, max_tokens=500, messages=user("async hi")
            ) as stream:
                return await stream.get_final_message()

    final = asyncio.run(go())
    assert "async hi" in final.content[-1].text
