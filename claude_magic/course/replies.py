"""Exercises of the second part of the course: what comes back, and how it can go wrong.

04 `complete` (continue after max_tokens), 05 `rebuild_message` (a Message from raw stream
events), 06 `replay_safe` (send thinking blocks back unchanged), 12 `extract_contact`
(structured outputs instead of a prefill), 13 `robust_call` (retries without stacking loops).
Each grader runs the learner's code against a sandbox simulator and reads what it sent.
"""

from __future__ import annotations

import copy
import json
import time
from typing import Any

import httpx2

from . import Grader, exercise, sandbox

MODEL = "claude-sonnet-5-5"
_MAX_REQUESTS = 8


class _TooManyRequests(Exception):
    """Raised by the capped transport: the learner's loop did not stop."""


class _Capped(httpx2.BaseTransport):
    """A transport that refuses requests past a limit, so a loop that never ends fails fast."""

    def __init__(self, inner: httpx2.BaseTransport, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.count = 0

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        self.count += 1
        if self.count > self.limit:
            raise _TooManyRequests(f"more than {self.limit} requests")
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def _capped_client(sim: Any, limit: int = _MAX_REQUESTS, **kwargs: Any) -> tuple[Any, _Capped]:
    import anthropic

    capped = _Capped(sim.transport(), limit)
    kwargs.setdefault("max_retries", 0)
    client = sim.client(http_client=anthropic.DefaultHttpxClient(transport=capped), **kwargs)
    return client, capped


def _ends_on_assistant(sim: Any) -> int | None:
    """The number (1-based) of the first request whose messages end on an assistant turn."""
    for n, request in enumerate(sim.requests, start=1):
        messages = (request.json or {}).get("messages") or []
        if messages and messages[-1].get("role") == "assistant":
            return n
    return None


def _texts(message: dict) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content or [] if b.get("type") == "text")


# -- 04: keep going after max_tokens -------------------------------------------------------

_PARTS = [
    ("The first telescopes were made in the Netherlands around 1608, ", "max_tokens"),
    ("and in 1609 Galileo turned one of his own towards the Moon. ", "max_tokens"),
    ("Today the largest telescopes orbit far from the Earth.", "end_turn"),
]


def _complete_right(client: Any, prompt: str) -> str:
    messages: list[dict] = [{"role": "user", "content": prompt}]
    parts = []
    while True:
        reply = client.messages.create(model=MODEL, max_tokens=1024, messages=messages)
        parts.append("".join(b.text for b in reply.content if b.type == "text"))
        if reply.stop_reason != "max_tokens":
            return "".join(parts)
        messages += [
            reply.to_param(),
            {"role": "user", "content": "Continue exactly where you stopped."},
        ]


def _complete_once(client: Any, prompt: str) -> str:
    reply = client.messages.create(
        model=MODEL, max_tokens=1024, messages=[{"role": "user", "content": prompt}]
    )
    return "".join(b.text for b in reply.content if b.type == "text")


def _complete_prefill(client: Any, prompt: str) -> str:
    """The older tutorials' resume: send the partial reply as the last (assistant) turn."""
    text = ""
    while True:
        messages: list[dict] = [{"role": "user", "content": prompt}]
        if text:
            messages.append({"role": "assistant", "content": text})
        reply = client.messages.create(model=MODEL, max_tokens=1024, messages=messages)
        text += "".join(b.text for b in reply.content if b.type == "text")
        if reply.stop_reason != "max_tokens":
            return text


def _complete_last_only(client: Any, prompt: str) -> str:
    messages: list[dict] = [{"role": "user", "content": prompt}]
    while True:
        reply = client.messages.create(model=MODEL, max_tokens=1024, messages=messages)
        if reply.stop_reason != "max_tokens":
            return "".join(b.text for b in reply.content if b.type == "text")
        messages += [reply.to_param(), {"role": "user", "content": "Continue."}]


def _complete_forgets(client: Any, prompt: str) -> str:
    """Asks to continue without sending what was already written."""
    parts = []
    messages: list[dict] = [{"role": "user", "content": prompt}]
    while True:
        reply = client.messages.create(model=MODEL, max_tokens=1024, messages=messages)
        parts.append("".join(b.text for b in reply.content if b.type == "text"))
        if reply.stop_reason != "max_tokens":
            return "".join(parts)
        messages = [{"role": "user", "content": prompt + "\n\nContinue where you stopped."}]


@exercise(
    "complete",
    takes="complete",
    right=_complete_right,
    wrong=[_complete_once, _complete_prefill, _complete_last_only, _complete_forgets],
)
def _check_complete(complete: Any, g: Grader) -> None:
    """`complete(client, prompt)`: the whole text of a reply cut by max_tokens, in one string."""
    # A reply in three parts (scripted: each of the first two stops on max_tokens).
    sim = sandbox()
    client, capped = _capped_client(sim)
    for text, stop in _PARTS:
        sim.script({"content": [{"type": "text", "text": text}], "stop_reason": stop})
    got = g.value("complete(client, prompt)", complete, client, "Tell me about telescopes.")
    expected = "".join(text for text, _ in _PARTS)
    prefill = _ends_on_assistant(sim)
    if prefill is not None:
        g.expect(
            False,
            f"request {prefill} ends on an assistant turn (a prefill): current models answer "
            "400 to that. Send the partial reply as an assistant turn, then a user turn such "
            "as 'Continue.', so the conversation ends on a user turn.",
        )
        return
    if capped.count > capped.limit:
        g.expect(
            False,
            f"it sent more than {capped.limit} requests: stop when stop_reason is "
            "no longer 'max_tokens'.",
        )
        return
    if got is None:
        return
    sent = len(sim.requests)
    if not g.expect(
        sent == 3,
        f"it sent {sent} request(s) for a reply that stopped on "
        "max_tokens twice, then on end_turn; expected 3: call again while "
        "stop_reason is 'max_tokens'.",
    ):
        return
    second = sim.requests[1].json["messages"]
    carried = any(m["role"] == "assistant" and _PARTS[0][0] in _texts(m) for m in second)
    g.expect(
        carried,
        "the second request does not carry the first part as an assistant turn, so the model "
        "cannot know where it stopped: append the reply (reply.to_param()) before asking it "
        "to continue.",
    )
    if got != expected:
        if got == _PARTS[-1][0]:
            hint = "only the last part: join the text of every part"
        elif got == _PARTS[0][0]:
            hint = "only the first part"
        else:
            hint = repr(got[:120])
        g.expect(False, f"it returned {hint}; expected the three parts joined: {expected!r}.")
    # A reply that fits: one call, nothing more.
    sim = sandbox()
    client, capped = _capped_client(sim)
    sim.script("A short answer.")
    got = g.value("complete(client, prompt) on a short reply", complete, client, "Say hi.")
    if got is not None:
        g.expect(
            len(sim.requests) == 1 and got == "A short answer.",
            f"for a reply that ends on end_turn it sent {len(sim.requests)} request(s) and "
            f"returned {got!r}; expected 1 request and 'A short answer.'.",
        )


# -- 05: a Message rebuilt from the raw events -----------------------------------------------

_TOOL = {
    "name": "get_forecast",
    "description": "The weather forecast for a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
        "required": ["city", "days"],
    },
}
_STREAM_CASES: list[tuple[str, dict, dict]] = [
    (
        "a reply with thinking, text and a tool call",
        {
            "content": [
                {
                    "type": "thinking",
                    "thinking": "The user wants the weather; I will call the tool.",
                },
                {"type": "text", "text": "Let me look up the forecast for Paris for three days."},
                {"type": "tool_use", "name": "get_forecast", "input": {"city": "Paris", "days": 3}},
            ]
        },
        {},
    ),
    (
        "a reply that stops on a stop sequence",
        {"content": [{"type": "text", "text": "One, two, three. END and more words after it."}]},
        {"stop_sequences": ["END"]},
    ),
]


def _recorded_streams(case: dict, extra: dict) -> tuple[list[Any], Any]:
    """The raw events of one reply and the SDK's get_final_message() of the same reply."""
    sim = sandbox()
    client = sim.client()
    request = dict(
        model=MODEL,
        max_tokens=1024,
        tools=[_TOOL],
        thinking={"type": "adaptive", "display": "summarized"},
        messages=[{"role": "user", "content": "What will the weather be in Paris?"}],
        **extra,
    )
    sim.script(case)
    recorded = client.messages.create(**request).model_dump()  # replayed verbatim twice
    sim.script(copy.deepcopy(recorded))
    sim.script(copy.deepcopy(recorded))
    with client.messages.create(**request, stream=True) as raw:
        events = list(raw)
    with client.messages.stream(**request) as stream:
        final = stream.get_final_message()
    return events, final


def _rebuild_right(events: list[Any]) -> dict:
    message: dict = {}
    partial_json: dict[int, str] = {}
    for event in events:
        if event.type == "message_start":
            message = event.message.model_dump()
        elif event.type == "content_block_start":
            message["content"].append(event.content_block.model_dump())
        elif event.type == "content_block_delta":
            block, delta = message["content"][event.index], event.delta
            if delta.type == "text_delta":
                block["text"] += delta.text
            elif delta.type == "thinking_delta":
                block["thinking"] += delta.thinking
            elif delta.type == "signature_delta":
                block["signature"] = delta.signature
            elif delta.type == "input_json_delta":
                partial_json[event.index] = partial_json.get(event.index, "") + delta.partial_json
        elif event.type == "content_block_stop":
            if event.index in partial_json:
                message["content"][event.index]["input"] = json.loads(
                    partial_json[event.index] or "{}"
                )
        elif event.type == "message_delta":
            message.update(event.delta.model_dump(exclude_none=True))
            usage = event.usage.model_dump(exclude_none=True)
            message["usage"].update(usage)  # cumulative counts: replace, never add
    return message


def _rebuild_text_only(events: list[Any]) -> dict:
    message: dict = {}
    for event in events:
        if event.type == "message_start":
            message = event.message.model_dump()
        elif event.type == "content_block_start":
            message["content"].append(event.content_block.model_dump())
        elif event.type == "content_block_delta" and event.delta.type == "text_delta":
            message["content"][event.index]["text"] += event.delta.text
        elif event.type == "message_delta":
            message["stop_reason"] = event.delta.stop_reason
            message["stop_sequence"] = event.delta.stop_sequence
            message["usage"]["output_tokens"] = event.usage.output_tokens
    return message


def _rebuild_adds_usage(events: list[Any]) -> dict:
    message = _rebuild_right([e for e in events if e.type != "message_delta"])
    for event in events:
        if event.type == "message_delta":
            message.update(event.delta.model_dump(exclude_none=True))
            message["usage"]["output_tokens"] += event.usage.output_tokens  # not cumulative?
    return message


def _rebuild_no_stop(events: list[Any]) -> dict:
    return _rebuild_right([e for e in events if e.type != "message_delta"])


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "…" + text[-3:]


def _as_message(value: Any) -> Any:
    from anthropic.types import Message

    if isinstance(value, dict):
        return Message.model_validate(value)
    return Message.model_validate(value.model_dump())


def _block_view(block: Any) -> dict:
    keep = ("type", "text", "thinking", "signature", "id", "name", "input")
    return {k: getattr(block, k) for k in keep if getattr(block, k, None) is not None}


@exercise(
    "rebuild_message",
    takes="rebuild",
    right=_rebuild_right,
    wrong=[_rebuild_text_only, _rebuild_adds_usage, _rebuild_no_stop],
)
def _check_rebuild_message(rebuild: Any, g: Grader) -> None:
    """`rebuild(events)`: the Message the raw stream events add up to (dict or Message)."""
    for what, case, extra in _STREAM_CASES:
        events, final = _recorded_streams(case, extra)
        got = g.value(f"rebuild on {what}", rebuild, events)
        if got is None:
            continue
        try:
            mine = _as_message(got)
        except Exception as exc:  # the learner's value: any shape problem is feedback
            g.expect(
                False,
                f"for {what} it returned something that is not a Message "
                f"(a dict with the Message fields): {str(exc).splitlines()[0]}",
            )
            continue
        theirs = [_block_view(b) for b in final.content]
        ours = [_block_view(b) for b in mine.content]
        if [b["type"] for b in ours] != [b["type"] for b in theirs]:
            g.expect(
                False,
                f"for {what} the blocks are {[b['type'] for b in ours]}; expected "
                f"{[b['type'] for b in theirs]}: add a block at each content_block_start.",
            )
            continue
        for n, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            for key in b:
                if a.get(key) == b[key]:
                    continue
                hint = {
                    "text": "append every text_delta's .text",
                    "thinking": "append every thinking_delta's .thinking",
                    "signature": "take the signature_delta's .signature (without it the block "
                    "is rejected when you send it back)",
                    "input": "join the input_json_delta pieces (.partial_json) and parse them "
                    "with json.loads at content_block_stop",
                }.get(key, "copy it from content_block_start")
                g.expect(
                    False,
                    f"for {what}, block {n} ({b['type']}) has {key}="
                    f"{_short(a.get(key))}; expected {_short(b[key])}: {hint}.",
                )
        for key in ("id", "model", "role", "stop_reason", "stop_sequence"):
            g.expect(
                getattr(mine, key) == getattr(final, key),
                f"for {what}, {key} is {getattr(mine, key)!r}; expected {getattr(final, key)!r}"
                + (" (it arrives in message_delta)" if key.startswith("stop") else "")
                + ".",
            )
        for key in ("input_tokens", "output_tokens"):
            a, b = getattr(mine.usage, key), getattr(final.usage, key)
            g.expect(
                a == b,
                f"for {what}, usage.{key} is {a}; expected {b}. The usage in message_delta is "
                "cumulative (a running total): replace the counts, do not add them.",
            )


# -- 06: send thinking blocks back unchanged -------------------------------------------------

_SIGNATURE = "c2lnbmF0dXJlLW9mLXRoZS1vcmlnaW5hbC10aGlua2luZy1ibG9jaw=="


def _thinking_cases() -> list[tuple[str, dict]]:
    """Recorded replies (as the API returned them) whose history the learner cleans up."""
    return [
        (
            "a reply with summarized thinking, a redacted block and an empty text block",
            {
                "type": "message",
                "content": [
                    {
                        "type": "thinking",
                        "thinking": "  The user asks which day. The calendar says Tuesday.\n",
                        "signature": _SIGNATURE,
                    },
                    {"type": "redacted_thinking", "data": "EmwKAhgBEgy3va3pzix/LafPsn4a"},
                    {"type": "text", "text": ""},
                    {"type": "text", "text": "The meeting is on Tuesday.  "},
                ],
                "stop_reason": "end_turn",
            },
        ),
        (
            "a reply whose thinking is hidden (display omitted: empty text, a signature)",
            {
                "type": "message",
                "content": [
                    {"type": "thinking", "thinking": "", "signature": _SIGNATURE[::-1]},
                    {"type": "text", "text": "At ten o'clock."},
                ],
                "stop_reason": "end_turn",
            },
        ),
    ]


def _replay_right(history: list[dict]) -> list[dict]:
    out = []
    for message in history:
        content = message["content"]
        if isinstance(content, str):
            out.append({"role": message["role"], "content": content})
            continue
        blocks = []
        for block in content:
            block = block if isinstance(block, dict) else block.model_dump(exclude_none=True)
            if block["type"] == "text" and not block["text"]:
                continue  # the API returns empty text blocks and rejects them when sent back
            blocks.append(block)
        out.append({"role": message["role"], "content": blocks})
    return out


def _replay_as_is(history: list[dict]) -> list[dict]:
    return history


def _replay_strip(history: list[dict]) -> list[dict]:
    """Tidies every string, thinking included: an edited thinking block."""
    out = []
    for message in _replay_right(history):
        content = message["content"]
        if isinstance(content, list):
            content = [
                {k: v.strip() if isinstance(v, str) else v for k, v in b.items()} for b in content
            ]
        out.append({"role": message["role"], "content": content})
    return out


def _replay_drop_empty(history: list[dict]) -> list[dict]:
    """Drops every block with no visible text: hidden thinking too."""
    out = []
    for message in _replay_right(history):
        content = message["content"]
        if isinstance(content, list):
            content = [b for b in content if b.get("text", b.get("thinking", "x"))]
        out.append({"role": message["role"], "content": content})
    return out


@exercise(
    "replay_safe",
    takes="replay_safe",
    right=_replay_right,
    wrong=[_replay_as_is, _replay_strip, _replay_drop_empty],
)
def _check_replay_safe(replay_safe: Any, g: Grader) -> None:
    """`replay_safe(history)`: JSON-ready messages, empty text dropped, thinking untouched."""
    import anthropic

    for what, recorded in _thinking_cases():
        sim = sandbox()
        client = sim.client(max_retries=0)
        sim.script(recorded)
        question = [{"role": "user", "content": "Which day is the meeting?"}]
        reply = client.messages.create(model=MODEL, max_tokens=1024, messages=question)
        history = [*question, reply.to_param(), {"role": "user", "content": "At what time?"}]
        got = g.value(f"replay_safe on {what}", replay_safe, copy.deepcopy(history))
        if got is None:
            continue
        try:
            json.dumps(got)
        except TypeError as exc:
            g.expect(
                False,
                f"for {what} the result is not JSON-ready ({exc}): turn SDK blocks "
                "into dicts with block.model_dump(exclude_none=True).",
            )
            continue
        sent = [m for m in got if m.get("role") == "assistant"]
        blocks = sent[0]["content"] if sent and isinstance(sent[0]["content"], list) else []
        original = [b.model_dump(exclude_none=True) for b in reply.content]
        kept = [b for b in blocks if b.get("type") in ("thinking", "redacted_thinking")]
        wanted = [b for b in original if b["type"] in ("thinking", "redacted_thinking")]
        if len(kept) < len(wanted):
            g.expect(
                False,
                f"for {what} {len(wanted) - len(kept)} thinking block(s) are missing "
                "from the assistant turn: keep thinking and redacted_thinking blocks even "
                "when their text is empty (hidden thinking is an empty text plus a "
                "signature).",
            )
        if any(b.get("type") == "text" and not b.get("text") for b in blocks):
            g.expect(
                False,
                f"for {what} an empty text block is still there: the API rejects "
                "empty text blocks in a request, so drop them.",
            )
        try:
            client.messages.create(model=MODEL, max_tokens=1024, messages=got)
        except anthropic.BadRequestError as exc:
            message = exc.api_message or str(exc)
            hint = (
                " A thinking block was changed: keep its text and signature exactly as received "
                "(no strip(), no edits)."
                if "cannot be modified" in message
                else ""
            )
            g.expect(False, f"for {what} the follow-up request was rejected (400): {message}{hint}")


# -- 12: structured outputs instead of a prefill ---------------------------------------------

_CONTACTS = [
    (
        "Write to Ada Lovelace at ada@example.com or call +44 20 7946 0958.",
        {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+44 20 7946 0958"},
    ),
    (
        "Grace Hopper (grace@example.org, +1 202 555 0143) will join.",
        {"name": "Grace Hopper", "email": "grace@example.org", "phone": "+1 202 555 0143"},
    ),
]
_CONTACT_SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string"},
        "email": {"type": "string"},
        "phone": {"type": "string"},
    },
    "required": ["name", "email", "phone"],
    "additionalProperties": False,
}


def _extract_right(client: Any, text: str) -> dict:
    reply = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        messages=[{"role": "user", "content": f"Extract the contact details from: {text}"}],
        output_config={"format": {"type": "json_schema", "schema": _CONTACT_SCHEMA}},
    )
    return json.loads(next(b.text for b in reply.content if b.type == "text"))


def _extract_prefill(client: Any, text: str) -> dict:
    """The recipe, unchanged, on a current model."""
    reply = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        messages=[
            {"role": "user", "content": f"Extract name, email and phone as JSON from: {text}"},
            {"role": "assistant", "content": "{"},
        ],
    )
    return json.loads("{" + reply.content[-1].text)


def _extract_prompt_only(client: Any, text: str) -> dict:
    reply = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        messages=[
            {"role": "user", "content": f"Reply with JSON only (name, email, phone): {text}"}
        ],
    )
    return json.loads(next(b.text for b in reply.content if b.type == "text"))


def _extract_optional_keys(client: Any, text: str) -> dict:
    schema = {k: v for k, v in _CONTACT_SCHEMA.items() if k != "required"}
    reply = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        messages=[{"role": "user", "content": f"Extract the contact details from: {text}"}],
        output_config={"format": {"type": "json_schema", "schema": schema}},
    )
    return json.loads(next(b.text for b in reply.content if b.type == "text"))


def _extract_text(client: Any, text: str) -> Any:
    reply = client.messages.create(
        model=MODEL,
        max_tokens=1024,
        messages=[{"role": "user", "content": f"Extract the contact details from: {text}"}],
        output_config={"format": {"type": "json_schema", "schema": _CONTACT_SCHEMA}},
    )
    return next(b.text for b in reply.content if b.type == "text")


@exercise(
    "extract_contact",
    takes="extract_contact",
    right=_extract_right,
    wrong=[_extract_prefill, _extract_prompt_only, _extract_optional_keys, _extract_text],
)
def _check_extract_contact(extract: Any, g: Grader) -> None:
    """`extract_contact(client, text)`: a dict name/email/phone, from a structured output."""
    for text, answer in _CONTACTS:
        sim = sandbox()
        client, _ = _capped_client(sim)
        # Scripted: the JSON a model would write for this text.
        sim.script(json.dumps(answer))
        got = g.value(f"extract_contact on {text!r}", extract, client, text)
        prefill = _ends_on_assistant(sim)
        if prefill is not None:
            g.expect(
                False,
                "the request ends on an assistant turn (the '{' prefill): current "
                "models answer 400. End on the user turn and ask for the format with "
                "output_config={'format': {'type': 'json_schema', 'schema': ...}} "
                "(or messages.parse(output_format=...)).",
            )
            return
        if not sim.requests:
            g.expect(got is None, "it sent no request: call client.messages.create (or .parse).")
            return
        body = sim.requests[-1].json or {}
        fmt = (body.get("output_config") or {}).get("format")
        if not g.expect(
            fmt,
            "the request has no output_config.format: asking for JSON in "
            "words does not constrain the reply. Send a json_schema format (or use "
            "messages.parse(output_format=YourModel)).",
        ):
            return
        schema = fmt.get("schema") or {}
        missing = {"name", "email", "phone"} - set(schema.get("properties") or {})
        g.expect(
            not missing,
            f"the schema has no propert{'y' if len(missing) == 1 else 'ies'} "
            f"{', '.join(sorted(missing))}.",
        )
        optional = {"name", "email", "phone"} - set(schema.get("required") or [])
        g.expect(
            not optional,
            f"the schema does not require {', '.join(sorted(optional))}: the "
            "model may then leave them out. List all three in 'required'.",
        )
        if got is None:
            return
        if not g.expect(
            isinstance(got, dict),
            f"it returned a {type(got).__name__}; return a "
            "dict (json.loads the text, or .parsed_output.model_dump()).",
        ):
            return
        g.expect(got == answer, f"for {text!r} it returned {got!r}; expected {answer!r}.")
        if g.problems:
            return


# -- 13: retries without stacking loops ------------------------------------------------------


def _robust_right(client: Any, **request: Any) -> Any:
    return client.with_options(max_retries=2, timeout=30).messages.create(**request)


def _robust_plain(client: Any, **request: Any) -> Any:
    return client.messages.create(**request)


def _robust_stacked(client: Any, **request: Any) -> Any:
    """A hand-written loop on top of the SDK's own retries."""
    import anthropic

    for attempt in range(3):
        try:
            return client.with_options(timeout=30).messages.create(**request)
        except anthropic.APIError:
            if attempt == 2:
                raise
    return None


def _robust_retry_everything(client: Any, **request: Any) -> Any:
    """Retries a 400 too (the 'APIError means 500+' belief)."""
    import anthropic

    for attempt in range(3):
        try:
            return client.with_options(max_retries=0, timeout=30).messages.create(**request)
        except anthropic.APIError:
            if attempt == 2:
                raise
    return None


def _robust_off_by_one(client: Any, **request: Any) -> Any:
    return client.with_options(max_retries=3, timeout=30).messages.create(**request)


def _robust_swallows(client: Any, **request: Any) -> Any:
    import anthropic

    try:
        return client.with_options(max_retries=2, timeout=30).messages.create(**request)
    except anthropic.APIError:
        return None


_REQUEST = {
    "model": MODEL,
    "max_tokens": 200,
    "messages": [{"role": "user", "content": "Summarise the error handling lesson."}],
}


def _attempts(robust: Any, *, status: int | None, failures: int, max_retries: int) -> tuple:
    """Run the learner's code against `failures` HTTP `status` answers on a client configured
    with `max_retries`: (requests sent, value returned, exception raised, read timeouts)."""
    sim = sandbox()
    client, capped = _capped_client(sim, limit=12, max_retries=max_retries)
    if status is not None:
        sim.fail_next(failures, status=status, retry_after=0.01)
    value = error = None
    try:
        value = robust(client, **copy.deepcopy(_REQUEST))
    except Exception as exc:  # the learner's code: the exception is what we grade
        error = exc
    timeouts = {_seconds(r.headers.get("x-stainless-read-timeout")) for r in sim.requests}
    return len(sim.requests), value, error, timeouts


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


@exercise(
    "robust_call",
    takes="robust_call",
    right=_robust_right,
    wrong=[
        _robust_plain,
        _robust_stacked,
        _robust_retry_everything,
        _robust_off_by_one,
        _robust_swallows,
    ],
)
def _check_robust_call(robust: Any, g: Grader) -> None:
    """`robust_call(client, **request)`: 3 attempts for errors worth retrying, 1 for others."""
    import anthropic

    started = time.monotonic()
    sent, value, error, timeouts = _attempts(robust, status=None, failures=0, max_retries=2)
    if isinstance(error, NotImplementedError):
        g.expect(False, "robust_call is not written yet (it raises NotImplementedError).")
        return
    if error is not None and not isinstance(error, anthropic.APIError):
        g.expect(False, f"robust_call(client, **request) raised {type(error).__name__}: {error}")
        return
    g.expect(
        isinstance(value, anthropic.types.Message),
        f"when the API answers at once it returned {value!r}; return the Message.",
    )
    g.expect(
        timeouts == {30.0},
        f"the requests were sent with a read timeout of "
        f"{', '.join(sorted(str(t) for t in timeouts))} seconds; give every attempt 30 "
        "seconds (with_options(timeout=30)).",
    )
    cases = [
        (
            "an API that stays overloaded (529), on a client with the default max_retries=2",
            529,
            2,
            3,
        ),
        ("an API that stays overloaded (529), on a client built with max_retries=0", 529, 0, 3),
        ("a bad request (400), which no retry can fix", 400, 2, 1),
    ]
    for what, status, client_retries, expected in cases:
        sent, value, error, _ = _attempts(
            robust, status=status, failures=12, max_retries=client_retries
        )
        if sent != expected:
            if sent > expected and status == 400:
                why = "a 400 is not worth retrying: retry only what the SDK retries"
            elif sent >= 2 * expected and sent % expected == 0:
                why = (
                    "don't stack a loop on the SDK's retries: set max_retries on the "
                    "client (with_options) and let it retry"
                )
            elif sent > expected:
                why = (
                    "max_retries counts the retries after the first attempt, so 3 "
                    "attempts is max_retries=2"
                )
            else:
                why = (
                    "set the retries yourself with client.with_options(max_retries=...), "
                    "whatever the client was built with"
                )
            g.expect(False, f"for {what} it sent {sent} request(s); expected {expected}: {why}.")
        elif error is None:
            g.expect(
                False,
                f"for {what} it returned {value!r} instead of raising: after the "
                "last attempt, let the SDK's error propagate so the caller knows.",
            )
    sent, value, error, _ = _attempts(robust, status=529, failures=1, max_retries=0)
    g.expect(
        sent == 2 and isinstance(value, anthropic.types.Message),
        f"when one 529 is followed by a success it sent {sent} request(s) and returned "
        f"{type(value).__name__ if error is None else type(error).__name__}; expected 2 "
        "requests and the Message.",
    )
    if time.monotonic() - started > 20:
        g.expect(False, "it took more than 20 seconds: let the SDK wait (it honours retry-after).")
