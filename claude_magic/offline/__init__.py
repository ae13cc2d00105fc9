"""claude_magic.offline: a local, deterministic implementation of the Claude Messages API.

Use it through the real SDK, in-process or over loopback::

    from claude_magic.offline import Simulator, serve
    sim = Simulator()                      # token_rate=None: stream instantly
    client = sim.client()                  # anthropic.Anthropic on an httpx2 transport
    with serve(sim) as server:             # or: python -m claude_magic.offline --port 8765
        anthropic.Anthropic(base_url=server.url, api_key="anything")

Covered
    POST /v1/messages (JSON and SSE), POST /v1/messages/count_tokens, GET /v1/models (paged
    with after_id / before_id / limit) and GET /v1/models/{id}; the model catalog of
    api-notes §2f/§4 (catalog.py); text, thinking (display "omitted" by default on 5.x, or
    "summarized"), tool_use (input built from input_schema), tool_result follow-ups, server
    tools (web_search / web_fetch / code_execution with fake results), image and PDF
    acknowledgement; stop reasons end_turn, tool_use, max_tokens, stop_sequence; cumulative
    usage; prompt caching (breakpoints, top-level cache_control, minimum length, 5m/1h TTLs
    on an injectable clock); the API's error JSON, statuses and request-id header; scripted
    replies (``script``), HTTP faults (``fail_next``), mid-stream error events
    (``error_after``), dropped connections (``drop_after``) and token-rate pacing.

Approximations
    Tokens: ceil(chars/4) per text, +4 per message, +2 per system block, 1,000 per image,
    2,000 per PDF, 20 + JSON size per tool (+300 once when tools are offered), +3 per
    request (tokens.py); count_tokens equals input + cache-creation + cache-read tokens.
    Replies come from rules (replies.py), start with "**[offline simulator]**", echo the
    prompt, and are deterministic: the same sequence of requests gives the same ids, text
    and signatures. Thinking signatures are HMACs of the returned thinking text, so an
    edited thinking block in the latest assistant message is rejected.

Not covered
    Real language understanding; the Batches, Files, Skills and Admin APIs; beta-only
    features (message threads, MCP connectors, compaction, context management); citations
    objects (server-tool texts cite in Markdown); structured outputs (output_config.format
    is accepted but not enforced); refusals and pause_turn; effort, speed, service tiers
    and rate limits (only as scripted faults); Files-API sources; the real tokenizer and
    image-size token formula; validation below the top level of most fields, the
    20-block cache lookback and the 1h-before-5m breakpoint order rule. Any key is accepted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .catalog import DEFAULT_MODEL, MODELS, ModelInfo, get_model
    from .recording import RecordedRequest, RequestLog
    from .server import RunningServer, serve
    from .simulator import SimResponse, Simulator
    from .transport import SimulatorTransport

__all__ = [
    "DEFAULT_MODEL",
    "MODELS",
    "ModelInfo",
    "RecordedRequest",
    "RequestLog",
    "RunningServer",
    "SimResponse",
    "Simulator",
    "SimulatorTransport",
    "get_model",
    "serve",
]

_WHERE = {
    "DEFAULT_MODEL": "catalog",
    "MODELS": "catalog",
    "ModelInfo": "catalog",
    "get_model": "catalog",
    "RecordedRequest": "recording",
    "RequestLog": "recording",
    "SimResponse": "simulator",
    "Simulator": "simulator",
    "RunningServer": "server",
    "serve": "server",
    "SimulatorTransport": "transport",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        module = importlib.import_module(f".{_WHERE[name]}", __name__)
        return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
