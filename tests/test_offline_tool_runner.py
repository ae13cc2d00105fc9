"""The SDK's beta tool runner with its default settings (message threads) runs offline: the
simulator answers a threads request with the documented `thread_unsupported_request` 400 and
the runner falls back to the classic full-history loop."""

from __future__ import annotations

import anthropic
import pytest
from anthropic import beta_tool

from claude_magic.offline import Simulator, serve

MODEL = "claude-sonnet-5-5"
THREADS_BETA = "message-threads-2026-08-12"


@beta_tool
def get_weather(city: str, days: int) -> str:
    """Weather forecast for a city.

    Args:
        city: the city name
        days: how many days ahead
    """
    return f"{city}: sunny for {days} days"


def run(client: anthropic.Anthropic) -> anthropic.types.beta.BetaMessage:
    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=2000, tools=[get_weather],
        messages=[{"role": "user", "content": 'Use get_weather for "Paris" over 3 days'}])
    return runner.until_done()


def check(sim: Simulator, final) -> None:
    assert final.stop_reason == "end_turn"
    assert "Paris: sunny for 3 days" in final.content[-1].text
    posts = [r for r in sim.requests if r.path == "/v1/messages"]
    first = posts[0]
    assert first.json["thread"] == {"type": "create"}
    assert THREADS_BETA in first.headers["anthropic-beta"]
    assert "thread" not in posts[1].json  # the classic loop: full history, no thread
    assert [m["role"] for m in posts[-1].json["messages"]] == ["user", "assistant", "user"]


def test_tool_runner_default_settings_in_process():
    sim = Simulator()
    check(sim, run(sim.client(max_retries=0)))


def test_tool_runner_default_settings_over_loopback():
    with serve() as server:
        client = anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0)
        check(server.simulator, run(client))


def test_threads_request_gets_the_documented_rejection():
    sim = Simulator()
    client = sim.client(max_retries=0)
    with pytest.raises(anthropic.BadRequestError) as info:
        client.beta.messages.create(
            model=MODEL, max_tokens=100, betas=[THREADS_BETA],
            messages=[{"role": "user", "content": "hi"}],
            extra_body={"thread": {"type": "create"}})
    err = info.value
    assert err.error_code == "thread_unsupported_request"
    assert err.body["error"]["type"] == "invalid_request_error"
    assert "without `thread`" in err.api_message
    # without the beta header, `thread` is an unknown field as before
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=100,
                               messages=[{"role": "user", "content": "hi"}],
                               extra_body={"thread": {"type": "create"}})
    assert info.value.api_message == "thread: Extra inputs are not permitted"
