"""Prompt-cache accounting in the offline simulator."""

from __future__ import annotations

import anthropic
import pytest

from claude_magic.offline import Simulator

LONG = "The quick brown fox jumps over the lazy dog. " * 400  # ~4,500 tokens


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def client(clock) -> anthropic.Anthropic:
    return Simulator(clock=clock).client()


def ask(client, system, question="Q?", model="claude-sonnet-5-5", **kw):
    return client.messages.create(
        model=model,
        max_tokens=500,
        system=system,
        messages=[{"role": "user", "content": question}],
        **kw,
    )


def cached_system(ttl=None, text=LONG):
    cc = {"type": "ephemeral", **({"ttl": ttl} if ttl else {})}
    return [{"type": "text", "text": text, "cache_control": cc}]


def test_second_call_reads_the_cache(client):
    first = ask(client, cached_system()).usage
    assert first.cache_creation_input_tokens > 1000 and first.cache_read_input_tokens == 0
    assert first.cache_creation.ephemeral_5m_input_tokens == first.cache_creation_input_tokens
    second = ask(client, cached_system(), question="another question").usage
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    counted = client.messages.count_tokens(
        model="claude-sonnet-5-5",
        system=cached_system(),
        messages=[{"role": "user", "content": "another question"}],
    ).input_tokens
    assert counted == second.input_tokens + second.cache_read_input_tokens
    assert second.input_tokens < 20


def test_below_minimum_caches_nothing(client):
    for _ in range(2):
        usage = ask(client, cached_system(text="short system prompt")).usage
        assert usage.cache_creation_input_tokens == 0 and usage.cache_read_input_tokens == 0


def test_minimum_depends_on_model(client):
    text = "word " * 2600  # ~3,250 tokens: above 1,024, below Haiku 4.5's 4,096
    haiku = ask(client, cached_system(text=text), model="claude-haiku-4-5").usage
    assert haiku.cache_creation_input_tokens == 0
    sonnet = ask(client, cached_system(text=text), model="claude-sonnet-4-6").usage
    assert sonnet.cache_creation_input_tokens > 0


def test_ttl_expiry_and_refresh(client, clock):
    ask(client, cached_system())
    clock.now += 299
    assert ask(client, cached_system()).usage.cache_read_input_tokens > 0  # refreshes
    clock.now += 299
    assert ask(client, cached_system()).usage.cache_read_input_tokens > 0
    clock.now += 301
    expired = ask(client, cached_system()).usage
    assert expired.cache_read_input_tokens == 0 and expired.cache_creation_input_tokens > 0


def test_one_hour_ttl_and_split(client, clock):
    tools = [
        {
            "name": "lookup",
            "description": "d " * 3000,
            "input_schema": {"type": "object", "properties": {}},
            "cache_control": {"type": "ephemeral", "ttl": "1h"},
        }
    ]
    first = ask(client, cached_system(), tools=tools).usage
    assert first.cache_creation.ephemeral_1h_input_tokens > 1000
    assert first.cache_creation.ephemeral_5m_input_tokens > 1000
    clock.now += 1800
    later = ask(client, cached_system(), tools=tools).usage
    assert later.cache_read_input_tokens == first.cache_creation.ephemeral_1h_input_tokens
    assert (
        later.cache_creation.ephemeral_5m_input_tokens
        == first.cache_creation.ephemeral_5m_input_tokens
    )


def test_top_level_cache_control_caches_the_conversation(client):
    msgs = [{"role": "user", "content": LONG}]
    kw = dict(model="claude-sonnet-5-5", max_tokens=500, cache_control={"type": "ephemeral"})
    first = client.messages.create(messages=msgs, **kw)
    assert first.usage.cache_creation_input_tokens > 1000
    grown = [*msgs, {"role": "assistant", "content": "ok"}, {"role": "user", "content": "and more"}]
    second = client.messages.create(messages=grown, **kw)
    assert second.usage.cache_read_input_tokens == first.usage.cache_creation_input_tokens
    assert second.usage.cache_creation_input_tokens > 0


def test_more_than_four_breakpoints_is_400(client):
    blocks = [
        {"type": "text", "text": f"part {i}", "cache_control": {"type": "ephemeral"}}
        for i in range(5)
    ]
    with pytest.raises(anthropic.BadRequestError) as err:
        ask(client, blocks)
    assert "maximum of 4 blocks with cache_control" in err.value.api_message
    with pytest.raises(anthropic.BadRequestError):
        ask(client, blocks[:4], cache_control={"type": "ephemeral"})
