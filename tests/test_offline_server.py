"""The loopback server, the models endpoints, SSE shape against the docs' samples, pacing."""

from __future__ import annotations

import json
import socket
import struct
import time
from pathlib import Path

import anthropic
import httpx2
import pytest

from claude_magic.offline import MODELS, Simulator, serve

SAMPLES = Path(__file__).parent / "data"  # see data/README.md


@pytest.fixture(scope="module")
def server():
    with serve() as running:
        yield running


@pytest.fixture
def remote(server):
    server.simulator.reset()
    return anthropic.Anthropic(base_url=server.url, api_key="loopback-key", max_retries=0)


def test_loopback_streaming_and_count_tokens(server, remote):
    kw = dict(model="claude-sonnet-5-5", messages=[{"role": "user", "content": "over TCP"}])
    with remote.messages.stream(max_tokens=500, **kw) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert "over TCP" in text and final.stop_reason == "end_turn"
    assert remote.messages.count_tokens(**kw).input_tokens == final.usage.input_tokens
    assert server.simulator.requests[0].headers["authorization"] == "REDACTED"


def test_loopback_errors_and_drop(server, remote):
    with pytest.raises(anthropic.NotFoundError):
        remote.messages.create(
            model="claude-nope", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    server.simulator.fail_next(status=429, retry_after=3)
    with pytest.raises(anthropic.RateLimitError) as err:
        remote.messages.create(
            model="claude-sonnet-5-5", max_tokens=5, messages=[{"role": "user", "content": "x"}]
        )
    assert err.value.response.headers["retry-after"] == "3"
    server.simulator.drop_after(3)
    with pytest.raises(httpx2.RemoteProtocolError):
        with remote.messages.stream(
            model="claude-sonnet-5-5", max_tokens=500, messages=[{"role": "user", "content": "x"}]
        ) as s:
            list(s)


def test_raw_sse_over_http(server):
    body = {
        "model": "claude-haiku-4-5",
        "max_tokens": 200,
        "stream": True,
        "messages": [{"role": "user", "content": "raw"}],
    }
    headers = {"x-api-key": "k", "anthropic-version": "2023-06-01"}
    resp = httpx2.post(f"{server.url}/v1/messages", json=body, headers=headers)
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/event-stream")
    lines = [ln for ln in resp.text.splitlines() if ln.startswith("event: ")]
    assert lines[0] == "event: message_start" and lines[-1] == "event: message_stop"
    assert "event: ping" in lines and "event: content_block_delta" in lines
    assert resp.text.endswith("\n\n")


def test_models_list_pagination_and_retrieve(remote):
    ids = [m.id for m in remote.models.list(limit=3)]  # auto-paginates
    assert ids == list(MODELS)
    page = remote.models.list(limit=5)
    assert page.has_more and len(page.data) == 5 and page.last_id == page.data[-1].id
    nxt = remote.models.list(limit=5, after_id=page.last_id)
    assert nxt.data[0].id == ids[5]
    before = remote.models.list(limit=2, before_id=ids[4])
    assert [m.id for m in before.data] == ids[2:4]
    info = remote.models.retrieve("claude-sonnet-5-5")
    assert info.display_name == "Claude Sonnet 5.5" and info.max_tokens == 128_000
    assert info.capabilities.thinking.types.adaptive.supported
    assert remote.models.retrieve("claude-haiku-4-5").lifecycle == "deprecated"
    with pytest.raises(anthropic.NotFoundError):
        remote.models.retrieve("claude-xyz")


def _sdk_stream(body: bytes):
    def handler(request):
        return httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})

    client = anthropic.Anthropic(
        api_key="k",
        base_url="https://mock.invalid",
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )
    with client.messages.stream(
        model="claude-opus-5-5", max_tokens=100, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        events = [e.type for e in stream]
        return events, stream.get_final_message()


def _raw_sse(sim: Simulator, **kw) -> bytes:
    raw = httpx2.Client(
        transport=sim.transport(),
        base_url=sim.base_url,
        headers={"x-api-key": "k", "anthropic-version": "2026-10-21"},
    )
    body = {"max_tokens": 100, "stream": True, "messages": [{"role": "user", "content": "x"}], **kw}
    return raw.post("/v1/messages", json=body).content


def _collapse(types: list[str]) -> list[str]:
    raw = [t for t in types if t != "text"]  # drop the SDK-synthesized per-delta events
    return [t for i, t in enumerate(raw) if i == 0 or t != raw[i - 1]]


def test_simulator_streams_match_the_documented_samples():
    sample = (SAMPLES / "basic_text_stream.sse").read_bytes() + b"\n"
    sample_events, sample_final = _sdk_stream(sample)
    sim = Simulator()
    sim.script("Hello!")
    our_events, our_final = _sdk_stream(_raw_sse(sim, model="claude-haiku-4-5"))
    assert _collapse(our_events) == _collapse(sample_events)  # delta counts differ
    assert our_final.content[0].text == sample_final.content[0].text == "Hello!"
    assert sample_final.model_dump().keys() == our_final.model_dump().keys()
    assert our_final.stop_reason == sample_final.stop_reason == "end_turn"


def test_thinking_fragment_matches_sample_shape():
    fragment = (SAMPLES / "fragment_thinking_display_omitted.sse").read_text()
    sample_lines = [ln for ln in fragment.splitlines() if ln.startswith("event: ")]
    ours = _raw_sse(Simulator(), model="claude-opus-5-5").decode()
    our_lines = [ln for ln in ours.splitlines() if ln.startswith("event: ")]
    our_lines = [ln for ln in our_lines if ln != "event: ping"]
    assert our_lines[1 : 1 + len(sample_lines)] == sample_lines
    assert '"thinking_delta", "thinking": ""' in ours and "signature_delta" in ours


def test_error_sample_and_ours_raise_the_same_way():
    sample = (SAMPLES / "error_event.sse").read_bytes() + b"\n"
    with pytest.raises(anthropic.APIStatusError) as theirs:
        _sdk_stream(sample)
    sim = Simulator()
    sim.error_after(3)
    with pytest.raises(anthropic.APIStatusError) as ours:
        _sdk_stream(_raw_sse(sim, model="claude-haiku-4-5"))
    assert ours.value.type == theirs.value.type == "overloaded_error"
    assert ours.value.body == theirs.value.body


def test_token_rate_paces_the_stream():
    sim = Simulator(token_rate=2000.0)
    sim.script("word " * 200)  # 250 tokens -> ~0.125 s
    client = sim.client()
    start = time.perf_counter()
    with client.messages.stream(
        model="claude-haiku-4-5", max_tokens=1000, messages=[{"role": "user", "content": "x"}]
    ) as stream:
        first = next(iter(stream.text_stream))
        first_at = time.perf_counter() - start
        stream.get_final_message()
    total = time.perf_counter() - start
    assert first and total >= 0.1 and first_at < total / 2


def _post_stream(server, **extra) -> tuple[socket.socket, bytes]:
    body = json.dumps({"model": "claude-haiku-4-5", "max_tokens": 20000, "stream": True,
                       "messages": [{"role": "user", "content": "x"}], **extra}).encode()
    head = (f"POST /v1/messages HTTP/1.1\r\nHost: {server.host}\r\nx-api-key: k\r\n"
            "anthropic-version: 2023-06-01\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\n\r\n").encode()
    sock = socket.create_connection((server.host, server.port))
    sock.sendall(head + body)
    return sock, body


def _reset(sock: socket.socket) -> None:
    """Close with a TCP reset, as a client that aborts does."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_aborted_streams_log_one_line_not_a_traceback(capfd):
    sim = Simulator(token_rate=500.0)
    with serve(sim) as server:
        sim.script("word " * 3000)
        sock, _ = _post_stream(server)
        sock.recv(4096)  # the stream has started
        _reset(sock)  # abort mid-stream
        sock, _ = _post_stream(server)
        sock.recv(4096)
        _reset(sock)
        time.sleep(0.5)
        # a client that resets an idle keep-alive connection after a complete stream
        sim.token_rate = None
        sock, _ = _post_stream(server)
        time.sleep(0.3)
        _reset(sock)
        time.sleep(0.5)
        # the server still answers
        remote = anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0)
        assert remote.messages.create(model="claude-haiku-4-5", max_tokens=200,
                                      messages=[{"role": "user", "content": "ok?"}]).id
    err = capfd.readouterr().err
    assert "Traceback" not in err and "ConnectionResetError: [Errno" not in err
    lines = [ln for ln in err.splitlines() if "closed the connection" in ln]
    assert len(lines) == 3, err
    assert all(ln.startswith("offline simulator: ") for ln in lines)
