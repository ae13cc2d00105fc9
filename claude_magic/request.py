"""Building the Messages API request a cell will send.

`RequestOptions` is what the cell's options resolve to; `build_request` turns the chat's
history, the new user message and those options into the keyword arguments of
`client.messages.stream(...)` (the same dict, less `max_tokens`, feeds `count_tokens`).
Pure logic: no SDK, IPython or widget import.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from .models import MODELS, Model, lookup
from .structured import Schema
from .tools import ToolSet

CACHE_TTLS = ("5m", "1h")
EFFORTS = ("low", "medium", "high", "xhigh", "max")
NON_STREAMING_MAX_TOKENS = 21_333
"""The largest max_tokens the SDK sends without streaming: it refuses requests it expects to
take over 10 minutes (3600 s x max_tokens / 128,000 > 600; `_calculate_nonstreaming_timeout`)."""


@dataclass
class RequestOptions:
    model: str
    max_tokens: int
    system: str | None = None
    thinking: str | int | None = None
    """None: the model's default; "adaptive"; "off"; or a budget in tokens."""
    effort: str | None = None
    stop_sequences: list[str] = field(default_factory=list)
    prefill: str | None = None
    cache_ttl: str | None = "5m"
    """Top-level automatic caching TTL ("5m" or "1h"), or None for no caching."""
    tools: ToolSet = field(default_factory=ToolSet)
    """Local tools (schema + callable) and server tools this cell offers."""
    schema: Schema | None = None
    """Structured outputs: the reply must be JSON in this schema (`output_config.format`)."""


def check_for_model(options: RequestOptions) -> None:
    """Raise ValueError, before anything is sent, for options the model table says this
    model rejects (the API would answer 400), model rules first. A model not in the table
    gets only the rules every model has: a new model must still work with a stale table."""
    if options.prefill and options.schema is not None:
        raise ValueError(
            "--prefill cannot be combined with --schema (the API answers 400: structured "
            "outputs cannot continue an assistant prefill)."
        )
    model = lookup(options.model)
    if model is not None:
        _check_known_model(options, model)
    if isinstance(options.thinking, int) and options.thinking >= options.max_tokens:
        raise ValueError(
            f"--thinking {options.thinking} must be below --max-tokens ({options.max_tokens}): "
            "the budget is part of the reply's max_tokens."
        )


def _check_known_model(options: RequestOptions, model: Model) -> None:
    name = model.id
    if options.max_tokens > model.max_tokens:
        raise ValueError(
            f"--max-tokens {options.max_tokens:,} is more than {name} can write "
            f"({model.max_tokens:,})."
        )
    if isinstance(options.thinking, int) and not model.accepts_thinking_enabled:
        raise ValueError(
            f"{name} does not take a thinking budget (the API answers 400 to "
            '"thinking.type.enabled"): use --thinking (adaptive) and --effort instead.'
        )
    if options.thinking == "adaptive" and not model.accepts_thinking_adaptive:
        raise ValueError(
            f"{name} has no adaptive thinking (the API answers 400): give a budget, "
            "--thinking 2048."
        )
    if options.thinking == "off" and model.thinking_off is None:
        raise ValueError(
            f"{name} cannot turn thinking off (the API answers 400 to "
            '"thinking.type.disabled"): use --effort low to keep it short.'
        )
    if (
        options.thinking == "off"
        and model.thinking_off == "between_tools"
        and options.effort in ("xhigh", "max")
    ):
        raise ValueError(
            f"On {name} --thinking off is between_tools thinking, which the API refuses "
            f"with --effort {options.effort} (400): use low, medium or high."
        )
    if options.prefill and not model.accepts_prefill:
        raise ValueError(
            f"{name} does not accept a prefill (the API answers 400: the conversation must "
            "end with a user message). Ask for the format in the prompt or use structured "
            "outputs; models that accept a prefill: "
            + ", ".join(m.id for m in MODELS.values() if m.accepts_prefill)
            + "."
        )


def user_message(text: str, attachments: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The user turn of a cell: attachments first (as the API docs recommend), then text."""
    content: list[dict[str, Any]] = list(attachments or [])
    if text.strip():
        content.append({"type": "text", "text": text})
    return {"role": "user", "content": content}


def thinking_param(thinking: str | int | None, model: str = "") -> dict[str, Any] | None:
    """The `thinking` parameter for an option value; shown thinking uses display summarized.

    "off" is `disabled`, or `between_tools` on models that refuse `disabled` and take it
    instead (Sonnet 5.5: no up-front thinking, short notes between tool calls).
    """
    if thinking is None:
        return None
    if thinking == "off":
        known = lookup(model)
        return {"type": (known.thinking_off if known else None) or "disabled"}
    if thinking == "adaptive":
        return {"type": "adaptive", "display": "summarized"}
    return {"type": "enabled", "budget_tokens": int(thinking), "display": "summarized"}


def build_request(
    history: list[dict[str, Any]],
    user: dict[str, Any],
    options: RequestOptions,
    replies: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Keyword arguments for `messages.stream` for this cell's next API call.

    `replies` are the messages the exchange already added in a tool loop; the prefill
    only goes on the first call, before the model has said anything.
    """
    messages = [*history, user, *(replies or [])]
    if options.prefill and not replies:
        messages.append({"role": "assistant", "content": options.prefill})
    request: dict[str, Any] = {
        "model": options.model,
        "max_tokens": options.max_tokens,
        "messages": copy.deepcopy(messages),
    }
    if options.system:
        request["system"] = options.system
    thinking = thinking_param(options.thinking, options.model)
    if thinking is not None:
        request["thinking"] = thinking
    output_config = output_config_param(options.effort, options.schema)
    if output_config:
        request["output_config"] = output_config
    if options.stop_sequences:
        request["stop_sequences"] = list(options.stop_sequences)
    if options.tools:
        request["tools"] = copy.deepcopy(options.tools.params())
    if options.cache_ttl:
        request["cache_control"] = {"type": "ephemeral", "ttl": options.cache_ttl}
    return request


def output_config_param(effort: str | None, schema: Schema | None) -> dict[str, Any]:
    """`output_config`: the effort and the structured-output format ({} for neither)."""
    config: dict[str, Any] = {}
    if effort:
        config["effort"] = effort
    if schema is not None:
        config["format"] = schema.format_param()
    return config


def count_tokens_request(request: dict[str, Any]) -> dict[str, Any]:
    """The `count_tokens` arguments for a request (it takes no max_tokens or stop sequences)."""
    return {k: v for k, v in request.items() if k not in ("max_tokens", "stop_sequences")}


def merge_prefill(content: list[dict[str, Any]], prefill: str | None) -> list[dict[str, Any]]:
    """The assistant content as the chat keeps it: the prefill is part of the reply's text."""
    if not prefill:
        return content
    merged = copy.deepcopy(content)
    for block in merged:
        if block.get("type") == "text":
            block["text"] = prefill + block.get("text", "")
            return merged
    return [{"type": "text", "text": prefill}, *merged]
