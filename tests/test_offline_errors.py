"""Validation errors and injected faults, as the real SDK sees them."""

from __future__ import annotations

import anthropic
import httpx2
import pytest

from claude_magic.offline import Simulator

MODEL = "claude-sonnet-5-5"


@pytest.fixture
def sim() -> Simulator:
    return Simulator()


@pytest.fixture
def client(sim):
    return sim.client(max_retries=0)


def user(text="hi"):
    return [{"role": "user", "content": text}]


def error_of(call, exc_class=anthropic.BadRequestError):
    with pytest.raises(exc_class) as info:
        call()
    err = info.value
    assert err.body["type"] == "error"
    assert err.request_id and err.request_id.startswith("req_offline_")
    assert err.body["request_id"] == err.request_id
    return err


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"max_tokens": 0}, "max_tokens: Input should be greater than or equal to 1"),
        ({"max_tokens": 200_000, "timeout": 30}, "maximum allowed number of output tokens"),
        ({"messages": []}, "at least one message"),
        ({"messages": [{"role": "robot", "content": "x"}]}, "messages.0.role"),
        ({"messages": [{"role": "user", "content": [{"type": "bogus"}]}]}, "Input tag 'bogus'"),
        (
            {"messages": [{"role": "user", "content": [{"type": "text", "text": ""}]}]},
            "text content blocks must be non-empty",
        ),
        (
            {"messages": [*user(), {"role": "assistant", "content": "Sure"}]},
            "does not support assistant message prefill",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "tool_result", "tool_use_id": "toolu_nope", "content": "x"}
                        ],
                    }
                ]
            },
            "unexpected `tool_use_id`",
        ),
        (
            {"thinking": {"type": "disabled"}, "model": "claude-opus-5-5"},
            '"thinking.type.disabled" is not supported for this model',
        ),
        (
            {"thinking": {"type": "disabled"}},  # Sonnet 5.5 turns it off with between_tools
            '"thinking.type.disabled" is not supported for this model',
        ),
        (
            {"thinking": {"type": "enabled", "budget_tokens": 500}, "model": "claude-haiku-4-5"},
            "budget_tokens: Input should be greater than or equal to 1024",
        ),
        (
            {
                "thinking": {"type": "enabled", "budget_tokens": 2000},
                "model": "claude-haiku-4-5",
                "max_tokens": 2000,
            },
            "`max_tokens` must be greater than `thinking.budget_tokens`",
        ),
        (
            {"thinking": {"type": "enabled", "budget_tokens": 2000}},
            '"thinking.type.enabled" is not supported for this model',
        ),
    ],
)
def test_invalid_requests(client, kwargs, needle):
    params = {"model": MODEL, "max_tokens": 1000, "messages": user(), **kwargs}
    err = error_of(lambda: client.messages.create(**params))
    assert err.status_code == 400 and err.type == "invalid_request_error"
    assert needle in err.api_message


def test_missing_fields_via_extra_body(client):
    for missing, needle in [
        ("model", "model: Field required"),
        ("max_tokens", "max_tokens: Field required"),
        ("messages", "messages: Field required"),
    ]:
        body = {"model": MODEL, "max_tokens": 10, "messages": user()}
        del body[missing]
        err = error_of(lambda body=body: client.post("/v1/messages", body=body, cast_to=object))
        assert err.api_message == needle


def test_unknown_model_is_404(client):
    err = error_of(
        lambda: client.messages.create(model="claude-xyz", max_tokens=10, messages=user()),
        anthropic.NotFoundError,
    )
    assert err.status_code == 404 and err.type == "not_found_error"
    assert err.api_message == "model: claude-xyz"


def test_missing_auth_is_401(sim):
    raw = httpx2.Client(transport=sim.transport(), base_url=sim.base_url)
    resp = raw.post(
        "/v1/messages",
        json={"model": MODEL, "max_tokens": 5, "messages": user()},
        headers={"anthropic-version": "2023-06-01"},
    )
    assert resp.status_code == 401
    assert resp.json()["error"]["type"] == "authentication_error"
    assert resp.headers["request-id"] == resp.json()["request_id"]


def test_invalid_json_too_large_and_unknown_routes(sim):
    raw = httpx2.Client(
        transport=sim.transport(),
        base_url=sim.base_url,
        headers={"x-api-key": "k", "anthropic-version": "2023-06-01"},
    )
    bad = raw.post("/v1/messages", content=b"{not json")
    assert bad.status_code == 400 and "parsing the body" in bad.json()["error"]["message"]
    sim.max_request_bytes = 1000
    big = raw.post("/v1/messages", content=b"x" * 2000)
    assert big.status_code == 413 and big.json()["error"]["type"] == "request_too_large"
    assert raw.get("/v1/nothing").status_code == 404
    wrong = raw.get("/v1/messages")
    assert wrong.status_code == 405 and wrong.json()["type"] == "error"


def test_temperature_depends_on_api_version(sim):
    client = sim.client(max_retries=0)
    err = error_of(
        lambda: client.messages.create(
            model=MODEL, max_tokens=10, messages=user(), extra_body={"temperature": 0.5}
        )
    )
    assert "temperature" in err.api_message
    old = sim.client(max_retries=0, default_headers={"anthropic-version": "2023-06-01"})
    msg = old.messages.create(
        model=MODEL, max_tokens=100, messages=user(), extra_body={"temperature": 0.5, "top_k": 5}
    )
    assert msg.stop_reason in ("end_turn", "max_tokens")
    assert sim.requests[-1].headers["anthropic-version"] == "2023-06-01"


def test_unexpected_exception_is_500_json(sim, client, monkeypatch):
    import claude_magic.offline.simulator as simmod

    def boom(*a, **k):
        raise RuntimeError("kaput")

    monkeypatch.setattr(simmod, "generate", boom)
    err = error_of(
        lambda: client.messages.create(model=MODEL, max_tokens=10, messages=user()),
        anthropic.InternalServerError,
    )
    assert err.status_code == 500 and err.type == "api_error"
    assert isinstance(sim.last_exception, RuntimeError)


@pytest.mark.parametrize(
    ("status", "cls", "etype"),
    [
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
        (500, anthropic.InternalServerError, "api_error"),
    ],
)
def test_fail_next_without_retries(sim, client, status, cls, etype):
    sim.fail_next(status=status, retry_after=7)
    err = error_of(lambda: client.messages.create(model=MODEL, max_tokens=10, messages=user()), cls)
    assert err.status_code == status and err.type == etype
    assert err.response.headers["retry-after"] == "7"
    assert client.messages.create(model=MODEL, max_tokens=10, messages=user()).id


def test_default_retries_recover_after_one_failure(sim):
    sim.fail_next(n=1, status=529, retry_after=0.01)
    msg = sim.client().messages.create(model=MODEL, max_tokens=10, messages=user())
    assert msg.type == "message"
    assert [r.headers["x-stainless-retry-count"] for r in sim.requests] == ["0", "1"]


def test_fail_next_sends_extra_headers_and_the_sdk_obeys_x_should_retry(sim):
    sim.fail_next(3, status=500, headers={"x-should-retry": "false", "anthropic-x": "1"})
    err = error_of(
        lambda: sim.client().messages.create(model=MODEL, max_tokens=10, messages=user()),
        anthropic.InternalServerError,
    )
    assert err.response.headers["anthropic-x"] == "1"
    assert len(sim.requests) == 1  # a 500 is retried, unless the server says not to


def test_mid_stream_error_event(sim, client):
    sim.error_after(4)
    with pytest.raises(anthropic.APIStatusError) as info:
        with client.messages.stream(model=MODEL, max_tokens=500, messages=user()) as s:
            for _ in s:
                pass
    assert info.value.type == "overloaded_error"
    assert info.value.status_code == 200  # the HTTP status of the stream (api-notes §1.5)


def test_dropped_connection_raises_remote_protocol_error(sim, client):
    sim.drop_after(5)
    seen = []
    with pytest.raises(httpx2.RemoteProtocolError):
        with client.messages.stream(model=MODEL, max_tokens=500, messages=user()) as s:
            for event in s:
                seen.append(event.type)
    assert seen[0] == "message_start" and "message_stop" not in seen


def _tool_turns(sim, client):
    """A real first turn that calls a tool: (messages so far, the assistant reply param)."""
    tool = {"name": "get_time", "description": "Time in a zone",
            "input_schema": {"type": "object", "properties": {"zone": {"type": "string"}},
                             "required": ["zone"]}}
    msgs = user("Call get_time for 'UTC'")
    reply = client.messages.create(model=MODEL, max_tokens=1000, tools=[tool], messages=msgs)
    (use,) = [b for b in reply.content if b.type == "tool_use"]
    return tool, msgs, reply.to_param(), use.id


@pytest.mark.parametrize("follow_up", ["text only", "result after text", "no user turn"])
def test_tool_use_without_tool_result_is_400(sim, client, follow_up):
    tool, msgs, assistant, use_id = _tool_turns(sim, client)
    result = {"type": "tool_result", "tool_use_id": use_id, "content": "12:00"}
    if follow_up == "text only":
        history = [*msgs, assistant, *user("never mind")]
    elif follow_up == "result after text":
        history = [*msgs, assistant,
                   {"role": "user", "content": [{"type": "text", "text": "here"}, result]}]
    else:
        history = [*msgs, assistant, {"role": "assistant", "content": "more"}, *user("ok")]
    err = error_of(lambda: client.messages.create(model=MODEL, max_tokens=1000, tools=[tool],
                                                  messages=history))
    assert err.api_message == (
        f"messages.2: `tool_use` ids were found without `tool_result` blocks immediately "
        f"after: {use_id}. Each `tool_use` block must have a corresponding `tool_result` "
        "block in the next message.")
    # count_tokens validates the same history
    err = error_of(lambda: client.messages.count_tokens(model=MODEL, tools=[tool],
                                                        messages=history))
    assert "`tool_use` ids were found without `tool_result`" in err.api_message
    # the correct follow-up is accepted
    ok = client.messages.create(model=MODEL, max_tokens=1000, tools=[tool], messages=[
        *msgs, assistant, {"role": "user", "content": [result, {"type": "text", "text": "ok"}]}])
    assert ok.stop_reason == "end_turn"


def test_paused_server_tool_turn_still_resumes(client):
    paused = {"role": "assistant", "content": [
        {"type": "server_tool_use", "id": "srvtoolu_01abc", "name": "web_search",
         "input": {"query": "otters"}}]}
    msg = client.messages.create(model=MODEL, max_tokens=1000,
                                 tools=[{"type": "web_search_20250305", "name": "web_search"}],
                                 messages=[*user("Search for otters"), paused])
    assert msg.type == "message"


@pytest.mark.parametrize("content", [[], "", [{"type": "text", "text": ""}]])
def test_empty_assistant_content_before_the_end_is_400(client, content):
    history = [*user("a"), {"role": "assistant", "content": content}, *user("b")]
    err = error_of(lambda: client.messages.create(model=MODEL, max_tokens=100,
                                                  messages=history))
    assert err.status_code == 400
    assert ("must have non-empty content" in err.api_message
            or "text content blocks must be non-empty" in err.api_message)


SYSTEM = {"role": "system", "content": "Answer in French from now on."}
ASSISTANT = {"role": "assistant", "content": "Sure."}


@pytest.mark.parametrize(
    ("model", "messages", "needle"),
    [
        (MODEL, [SYSTEM, *user()], "cannot be the first message"),
        ("claude-sonnet-5", [*user(), SYSTEM], "not supported for claude-sonnet-5"),
        (MODEL, [*user(), ASSISTANT, SYSTEM, *user()], "must follow a user message"),
        (MODEL, [*user(), SYSTEM, *user("and then?")], "followed by an assistant message"),
        (  # the rules hold for block content too
            MODEL,
            [{"role": "system", "content": [{"type": "text", "text": "Be terse."}]}, *user()],
            "cannot be the first message",
        ),
    ],
)
def test_misplaced_system_messages_are_400(client, model, messages, needle):
    err = error_of(
        lambda: client.messages.create(model=model, max_tokens=100, messages=messages)
    )
    assert err.status_code == 400 and needle in err.api_message


@pytest.mark.parametrize(
    "messages",
    [
        [*user(), SYSTEM],  # last
        [*user(), SYSTEM, SYSTEM],  # consecutive ones are one section
        [*user(), SYSTEM, ASSISTANT, *user("more")],  # before an assistant turn
    ],
)
def test_system_messages_where_the_api_takes_them(client, messages):
    reply = client.messages.create(model="claude-opus-5-5", max_tokens=1000, messages=messages)
    assert reply.stop_reason == "end_turn"
