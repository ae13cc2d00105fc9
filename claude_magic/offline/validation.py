"""Request validation with the real API's statuses, error types and (where documented) messages.

Checked: authentication header present (any key is accepted), anthropic-version, JSON body,
unknown top-level fields, model, max_tokens, messages (roles, content block types, empty text,
system-message placement), temperature/top_p/top_k per API version, prefill support,
thinking config per model, edited thinking blocks in the latest assistant message,
tool_use blocks answered by tool_result blocks that open the next message, tool_result ids,
tool definitions (name + input_schema), tool_choice support, prompt length.
Structured outputs (output_config.format): the format's shape, the schema features the docs
list as supported (schemas.py), no citations and no prefill with it.
Not checked: most field types below the top level, JSON-schema validity of input_schema,
image/PDF contents and sizes, citations rules, per-block cache_control placement rules.
"""

from __future__ import annotations

import json
from typing import Any

from .catalog import ModelInfo, get_model
from .errors import ApiError, invalid
from .schemas import check_output_schema, output_format
from .signing import Signer

VERSIONS = {"2023-01-01", "2023-06-01", "2026-10-21"}
NEW_VERSION = "2026-10-21"
SAMPLING = ("temperature", "top_p", "top_k")
MESSAGE_FIELDS = {
    "model",
    "messages",
    "max_tokens",
    "cache_control",
    "container",
    "diagnostics",
    "inference_geo",
    "metadata",
    "output_config",
    "service_tier",
    "speed",
    "stop_sequences",
    "stream",
    "system",
    "thinking",
    "tool_choice",
    "tools",
    "user_profile_id",
    "workspace_id",
    "temperature",
    "top_p",
    "top_k",
}
COUNT_FIELDS = MESSAGE_FIELDS - {
    "max_tokens",
    "stream",
    "stop_sequences",
    "metadata",
    "service_tier",
    "container",
    "diagnostics",
    "inference_geo",
}
USER_BLOCKS = {"text", "image", "document", "tool_result", "search_result", "container_upload"}
SERVER_RESULT_TYPES = {
    "web_search_tool_result",
    "web_fetch_tool_result",
    "code_execution_tool_result",
    "bash_code_execution_tool_result",
    "text_editor_code_execution_tool_result",
    "tool_search_tool_result",
}
ASSISTANT_BLOCKS = {
    "text",
    "thinking",
    "redacted_thinking",
    "tool_use",
    "server_tool_use",
    *SERVER_RESULT_TYPES,
}
PREFILL_MESSAGE = (
    "This model does not support assistant message prefill. The conversation "
    "must end with a user message."
)
THREADS_BETA_PREFIX = "message-threads-"
THREADS_UNSUPPORTED = (
    "The offline simulator does not support message threads: send the full conversation "
    "without `thread`."
)
THINKING_EDITED = (
    "`thinking` or `redacted_thinking` blocks in the latest assistant message "
    "cannot be modified. These blocks must remain as they were in the original "
    "response."
)


def _is_paused_turn(message: dict[str, Any]) -> bool:
    """A trailing assistant turn that ends in a server tool block resumes a `pause_turn`."""
    content = message.get("content")
    if not isinstance(content, list) or not content:
        return False
    last = content[-1]
    kind = last.get("type") if isinstance(last, dict) else None
    return kind == "server_tool_use" or kind in SERVER_RESULT_TYPES


def check_auth(headers: dict[str, str]) -> None:
    bearer = headers.get("authorization", "")
    if bearer.lower().startswith("bearer ") and bearer[7:].strip():
        return
    if headers.get("x-api-key", "").strip():
        return
    raise ApiError(
        401,
        "Missing authentication: send an `Authorization: Bearer` or `x-api-key` header.",
        "authentication_error",
    )


def check_version(headers: dict[str, str]) -> str:
    version = headers.get("anthropic-version")
    if not version:
        raise invalid("anthropic-version: header is required")
    if version not in VERSIONS:
        raise invalid(f"anthropic-version: invalid version {version!r}")
    return version


def parse_json(body: bytes) -> dict:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"There was an error parsing the body of your request: {exc}") from None
    if not isinstance(data, dict):
        raise invalid("Request body must be a JSON object")
    return data


def check_model(body: dict) -> ModelInfo:
    model_id = body.get("model")
    if model_id is None:
        raise invalid("model: Field required")
    if not isinstance(model_id, str) or not model_id:
        raise invalid("model: Input should be a valid string")
    model = get_model(model_id)
    if model is None or model.lifecycle == "retired":
        raise ApiError(404, f"model: {model_id}", "not_found_error")
    return model


def _check_max_tokens(body: dict, model: ModelInfo) -> None:
    if "max_tokens" not in body:
        raise invalid("max_tokens: Field required")
    mt = body["max_tokens"]
    if isinstance(mt, bool) or not isinstance(mt, int):
        raise invalid("max_tokens: Input should be a valid integer")
    if mt < 1:
        raise invalid("max_tokens: Input should be greater than or equal to 1")
    if mt > model.max_tokens:
        raise invalid(
            f"max_tokens: {mt} > {model.max_tokens}, which is the maximum allowed "
            f"number of output tokens for {model.id}"
        )


def _blocks(content: Any) -> list:
    return content if isinstance(content, list) else []


def _check_messages(body: dict, model: ModelInfo) -> list[dict]:
    if "messages" not in body:
        raise invalid("messages: Field required")
    messages = body["messages"]
    if not isinstance(messages, list):
        raise invalid("messages: Input should be a valid list")
    if not messages:
        raise invalid("messages: at least one message is required")
    for i, msg in enumerate(messages):
        where = f"messages.{i}"
        if not isinstance(msg, dict):
            raise invalid(f"{where}: Input should be a valid dictionary")
        role = msg.get("role")
        if role not in ("user", "assistant", "system"):
            raise invalid(f"{where}.role: Input should be 'user', 'assistant' or 'system'")
        if "content" not in msg:
            raise invalid(f"{where}.content: Field required")
        if role == "system":
            _check_system_message(messages, i, model)
        content = msg["content"]
        final_assistant = role == "assistant" and i == len(messages) - 1
        if isinstance(content, str):
            if not content and not final_assistant:
                raise invalid(
                    f"{where}: all messages must have non-empty content except for "
                    "the optional final assistant message"
                )
            continue
        if not isinstance(content, list):
            raise invalid(f"{where}.content: Input should be a valid string or list")
        if not content and not final_assistant:
            raise invalid(
                f"{where}: all messages must have non-empty content except for the "
                "optional final assistant message"
            )
        allowed = ASSISTANT_BLOCKS if role == "assistant" else USER_BLOCKS
        if role == "system":
            allowed = {"text"}
        for j, blk in enumerate(content):
            bwhere = f"{where}.content.{j}"
            kind = blk.get("type") if isinstance(blk, dict) else None
            if kind not in allowed:
                expected = ", ".join(f"'{k}'" for k in sorted(allowed))
                raise invalid(
                    f"{bwhere}.type: Input tag '{kind}' found using 'type' does not "
                    f"match any of the expected tags: {expected}"
                )
            if kind == "text":
                if not isinstance(blk.get("text"), str):
                    raise invalid(f"{bwhere}.text: Field required")
                if not blk["text"]:
                    raise invalid(f"{bwhere}: text content blocks must be non-empty")
            if kind in ("image", "document") and not isinstance(blk.get("source"), dict):
                raise invalid(f"{bwhere}.source: Field required")
    return messages


def _check_system_message(messages: list, i: int, model: ModelInfo) -> None:
    """A mid-conversation `role: "system"` message: on the models that take it, never first,
    right after a user turn (or a paused server-tool turn), then last or before an assistant
    turn. Consecutive system messages count as one section."""
    where = f"messages.{i}.role"
    if not model.system_messages_midway:
        raise invalid(
            f"{where}: system messages are not supported for {model.id}; use the "
            "top-level `system` parameter"
        )
    if i == 0:
        raise invalid(f"{where}: a system message cannot be the first message")
    roles = [m.get("role") if isinstance(m, dict) else None for m in messages]
    before = next((j for j in range(i - 1, -1, -1) if roles[j] != "system"), None)
    if before is None or not (
        roles[before] == "user"
        or (roles[before] == "assistant" and _is_paused_turn(messages[before]))
    ):
        raise invalid(
            f"{where}: a system message must follow a user message (or an assistant "
            "message that ends in a server tool result)"
        )
    after = next((j for j in range(i + 1, len(roles)) if roles[j] != "system"), None)
    if after is not None and roles[after] != "assistant":
        raise invalid(
            f"{where}: a system message must be the last message or be followed by an "
            "assistant message"
        )


def _check_thinking(body: dict, model: ModelInfo, count_only: bool) -> None:
    cfg = body.get("thinking")
    if cfg is None:
        return
    if not isinstance(cfg, dict) or cfg.get("type") not in (
        "enabled",
        "adaptive",
        "disabled",
        "between_tools",
    ):
        raise invalid(
            "thinking.type: Input should be 'enabled', 'adaptive', 'disabled' or 'between_tools'"
        )
    kind = cfg["type"]
    if cfg.get("display") not in (None, "summarized", "omitted"):
        raise invalid(f"thinking.{kind}.display: Input should be 'summarized' or 'omitted'")
    if kind == "disabled" and not model.accepts_thinking_disabled:
        raise invalid(
            '"thinking.type.disabled" is not supported for this model. Use '
            '"thinking.type.adaptive" and "output_config.effort" to control '
            "thinking behavior."
        )
    if kind == "adaptive" and not model.accepts_thinking_adaptive:
        raise invalid("adaptive thinking is not supported on this model")
    if kind == "enabled":
        if not model.accepts_thinking_enabled:
            raise invalid(
                '"thinking.type.enabled" is not supported for this model. Use '
                '"thinking.type.adaptive" and "output_config.effort" to control '
                "thinking behavior."
            )
        budget = cfg.get("budget_tokens")
        if isinstance(budget, bool) or not isinstance(budget, int):
            raise invalid("thinking.enabled.budget_tokens: Field required")
        if budget < 1024:
            raise invalid(
                "thinking.enabled.budget_tokens: Input should be greater than or equal to 1024"
            )
        if not count_only and budget >= body.get("max_tokens", 0):
            raise invalid(
                "`max_tokens` must be greater than `thinking.budget_tokens`. Please "
                "consult our documentation at https://docs.claude.com/en/docs/"
                "build-with-claude/extended-thinking#max-tokens-and-context-window"
                "-size"
            )


def _check_history(messages: list[dict], signer: Signer) -> None:
    last_assistant = max(
        (i for i, m in enumerate(messages) if m.get("role") == "assistant"), default=None
    )
    if last_assistant is not None:
        for j, blk in enumerate(_blocks(messages[last_assistant].get("content"))):
            if blk.get("type") == "thinking":
                if not signer.accepts(blk):
                    raise invalid(f"messages.{last_assistant}.content.{j}: {THINKING_EDITED}")
    for i, msg in enumerate(messages):
        if i > 0:
            _check_answered(messages[i - 1], msg, i)
        results = [
            (j, b)
            for j, b in enumerate(_blocks(msg.get("content")))
            if b.get("type") == "tool_result"
        ]
        if not results:
            continue
        prev = messages[i - 1] if i > 0 else {}
        ids = {b.get("id") for b in _blocks(prev.get("content")) if b.get("type") == "tool_use"}
        if prev.get("role") != "assistant":
            ids = set()
        for j, b in results:
            if b.get("tool_use_id") not in ids:
                raise invalid(
                    f"messages.{i}.content.{j}: unexpected `tool_use_id` found in "
                    f"`tool_result` blocks: {b.get('tool_use_id')}. Each "
                    "`tool_result` block must have a corresponding `tool_use` block "
                    "in the previous message."
                )


def _check_answered(prev: dict, msg: dict, i: int) -> None:
    """Every client tool_use of an assistant turn is answered by a tool_result that opens the
    next message (tool_result blocks first, before any other block)."""
    if prev.get("role") != "assistant":
        return
    ids = [b.get("id") for b in _blocks(prev.get("content")) if b.get("type") == "tool_use"]
    if not ids:
        return
    answered = set()
    if msg.get("role") == "user":
        for b in _blocks(msg.get("content")):
            if b.get("type") != "tool_result":
                break
            answered.add(b.get("tool_use_id"))
    missing = [str(t) for t in ids if t not in answered]
    if missing:
        raise invalid(
            f"messages.{i}: `tool_use` ids were found without `tool_result` blocks immediately "
            f"after: {', '.join(missing)}. Each `tool_use` block must have a corresponding "
            "`tool_result` block in the next message."
        )


def _check_tools(body: dict, model: ModelInfo) -> None:
    tools = body.get("tools")
    if tools is None:
        return
    if not isinstance(tools, list):
        raise invalid("tools: Input should be a valid list")
    names = set()
    for i, tool in enumerate(tools):
        if not isinstance(tool, dict):
            raise invalid(f"tools.{i}: Input should be a valid dictionary")
        if tool.get("type") in (None, "custom"):
            if not tool.get("name"):
                raise invalid(f"tools.{i}.custom.name: Field required")
            if not isinstance(tool.get("input_schema"), dict):
                raise invalid(f"tools.{i}.custom.input_schema: Field required")
        name = tool.get("name")
        if name in names:
            raise invalid(f"tools: Tool names must be unique. Duplicate: {name}")
        names.add(name)
    choice = body.get("tool_choice")
    if isinstance(choice, dict) and choice.get("type") in ("any", "tool"):
        if not model.accepts_forced_tool_choice:
            raise invalid('tool_choice: type "tool" and "any" are not supported for this model.')
        if choice["type"] == "tool" and choice.get("name") not in names:
            raise invalid(
                f"tool_choice.tool.name: Tool '{choice.get('name')}' not found in "
                "the provided tools"
            )


def validate_request(
    body: dict,
    headers: dict[str, str],
    *,
    count_only: bool = False,
    signer: Signer | None = None,
) -> ModelInfo:
    """Validate a /v1/messages (or count_tokens) body. Returns the model or raises ApiError."""
    version = check_version(headers)
    allowed = COUNT_FIELDS if count_only else MESSAGE_FIELDS
    betas = [b.strip() for b in headers.get("anthropic-beta", "").split(",")]
    if "thread" in body and any(b.startswith(THREADS_BETA_PREFIX) for b in betas):
        # The SDK's tool runner falls back to the classic loop on exactly this error code.
        raise ApiError(
            400,
            THREADS_UNSUPPORTED,
            "invalid_request_error",
            details={"error_code": "thread_unsupported_request"},
        )
    for key in body:
        if key not in allowed:
            raise invalid(f"{key}: Extra inputs are not permitted")
    if version == NEW_VERSION:
        for key in SAMPLING:
            if key in body:
                raise invalid(
                    f"{key}: is not supported in API version {NEW_VERSION}; "
                    "remove it or send anthropic-version: 2023-06-01"
                )
    model = check_model(body)
    if not count_only:
        _check_max_tokens(body, model)
        stops = body.get("stop_sequences")
        if stops is not None and (
            not isinstance(stops, list) or not all(isinstance(s, str) for s in stops)
        ):
            raise invalid("stop_sequences: Input should be a valid list of strings")
    messages = _check_messages(body, model)
    system = body.get("system")
    if system is not None and not isinstance(system, (str, list)):
        raise invalid("system: Input should be a valid string or list")
    last = messages[-1]
    if (
        not count_only
        and last.get("role") == "assistant"
        and not model.accepts_prefill
        and not _is_paused_turn(last)
    ):
        raise invalid(PREFILL_MESSAGE)
    _check_thinking(body, model, count_only)
    _check_tools(body, model)
    _check_output_format(body, messages, count_only)
    _check_history(messages, signer or Signer())
    return model


def _check_output_format(body: dict, messages: list[dict], count_only: bool) -> None:
    """Structured outputs: the format's shape always; the schema's features, citations and
    prefill only where the grammar is compiled (count_tokens counts "without compilation")."""
    fmt = output_format(body)
    if fmt is None or count_only:
        return
    check_output_schema(fmt["schema"])
    for msg in messages:
        for blk in _blocks(msg.get("content")):
            cites = blk.get("citations") if blk.get("type") == "document" else None
            if isinstance(cites, dict) and cites.get("enabled"):
                raise invalid("citations are not supported with output_config.format")
    if messages[-1].get("role") == "assistant" and not _is_paused_turn(messages[-1]):
        raise invalid(
            "output_config.format: structured outputs cannot be combined with an assistant "
            "message prefill; end the conversation with a user message"
        )
