"""claude_magic.offline: a local, deterministic implementation of the Claude Messages API.

Use it through the real SDK, in-process or over loopback::

    from claude_magic.offline import Simulator, serve
    sim = Simulator()                      # token_rate=None: stream instantly
    client = sim.client()                  # anthropic.Anthropic on an httpx2 transport
    with serve(sim) as server:             # or: python -m claude_magic.offline --port 8765
        anthropic.Anthropic(base_url=server.url, api_key="anything")

Covered
    POST /v1/messages (JSON and SSE), POST /v1/messages/count_tokens, GET /v1/models (paged
    with after_id / before_id / limit) and GET /v1/models/{id}; the Message Batches API
    (batches.py: create, retrieve, list, cancel, delete, results); the model catalog of
    api-notes §2f/§4 (catalog.py); text, thinking (display "omitted" by default on 5.x, or
    "summarized"), tool_use (input built from input_schema), tool_result follow-ups (a
    tool_use must be answered by tool_result blocks that open the next message), server
    tools (web_search / web_fetch / code_execution with fake results), image and PDF
    acknowledgement; structured outputs (output_config.format: the reply's text is JSON built
    from the schema; the documented schema limits are 400s; schemas.py); stop reasons
    end_turn, tool_use, max_tokens, stop_sequence, and scripted refusals (stop_details on the
    message and in message_delta); cumulative usage; prompt caching (breakpoints, top-level
    cache_control, minimum length, 5m/1h TTLs on an injectable clock); the API's error JSON
    (with error.details where coded), statuses and request-id header; message-threads
    requests answered with the documented thread_unsupported_request 400, so the SDK's tool
    runner falls back to its classic loop; scripted replies (``script``, which also replays
    a recorded Message verbatim), HTTP faults (``fail_next``), mid-stream error events
    (``error_after``), dropped connections (``drop_after``) and token-rate pacing (sync
    clients sleep, the async client awaits asyncio.sleep so a cancelled task cancels).

Message Batches (batches.py has the details)
    Modelled: creation-time validation (custom_id 1-64 of [a-zA-Z0-9_-], unique; at most
    100,000 requests; 413 over 256 MB), per-row validation at processing time (one bad row
    ends ``errored`` alone, with the error /v1/messages would give), sequential processing
    on a clock (``Simulator(batch_clock=..., batch_seconds_per_request=...)``,
    ``sim.batches.advance(seconds)``; lazy, no background thread), request_counts as
    documented (all "processing" until the batch ends), canceling -> ended with the request
    in progress finishing, the 24 h expiry, archival after 29 days, results as JSONL out of
    submission order at a results_url on the client's own origin, usage service_tier
    "batch", the same generated or scripted replies as /v1/messages. Not modelled: parallel
    or demand-dependent speed, workspaces, rate limits, batch-specific cache hit rates,
    server tools' larger iteration limit, ``fallbacks``.

Approximations
    Tokens: ceil(chars/4) per text, +4 per message, +2 per system block, 1,000 per image,
    2,000 per PDF, 20 + JSON size per tool (+300 once when tools are offered) and per
    structured-output schema, +3 per request (tokens.py); count_tokens equals input +
    cache-creation + cache-read tokens. Replies come from rules (replies.py), start with
    "**[offline simulator]**", echo the prompt, and are deterministic: the same sequence of
    requests gives the same ids, text and signatures. Thinking signatures are HMACs of the
    returned thinking text, and the simulator remembers the thinking blocks it sent (also
    those of replayed recordings), so an edited thinking block in the latest assistant
    message is rejected. Memory is bounded: ``sim.requests`` keeps the most recent requests
    (500, 8 MiB of bodies by default; recording.py), the prompt cache drops expired entries.
    Where the API's wording of an error is not documented (schema limits, batch states,
    threads) the message is the simulator's own; the status and error type follow the docs.

Not covered
    Real language understanding; the Files, Skills and Admin APIs; beta-only features
    (message threads themselves, MCP connectors, compaction, context management); citations
    objects in generated replies (server-tool texts cite in Markdown; replayed recordings
    keep theirs); model-initiated refusals and pause_turn (only scripted); strict tool use
    (tools[].strict is not enforced); effort, speed, service tiers and rate limits (only as
    scripted faults); Files-API sources; the real tokenizer and image-size token formula;
    validation below the top level of most fields, redacted_thinking contents, the 20-block
    cache lookback and the 1h-before-5m breakpoint order rule. Any key is accepted.
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
