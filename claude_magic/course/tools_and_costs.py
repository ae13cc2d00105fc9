"""Exercises of the third part of the course: tokens and cost, prompt caching, tools, vision.

Each check runs the learner's code against a sandbox simulator and reads what it sent
(`sim.requests`), the usage the simulator reported, or the stop reasons it scripted.
"""

from __future__ import annotations

import base64
import copy
import io
import json
import math
from collections.abc import Callable
from typing import Any

from ..pricing import WEB_SEARCH_USD_PER_REQUEST
from . import Grader, exercise, sandbox

MODEL = "claude-sonnet-5-5"


def _posts(sim: Any) -> list[Any]:
    """The /v1/messages requests the sandbox received, oldest first."""
    return [r for r in sim.requests if r.path == "/v1/messages"]


def _blocks(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message.get("content")
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    return [b for b in content or [] if isinstance(b, dict)]


def _types(message: dict[str, Any]) -> list[str]:
    return [str(b.get("type")) for b in _blocks(message)]


def _call(g: Grader, what: str, fn: Callable[..., Any], *args: Any) -> tuple[bool, Any]:
    """Run the learner's code: (whether it returned rather than raised, what it returned).
    An exception is already noted as a problem by `g.run`."""
    raised, value = g.attempt(what, fn, *args)
    return not raised, value


def _is_message(value: Any) -> bool:
    return getattr(value, "type", None) == "message" and hasattr(value, "stop_reason")


# -- 07: the cost of a call, from its usage and the price table ------------------------------

WEB_SEARCH_USD = WEB_SEARCH_USD_PER_REQUEST
"""$10 per 1,000 web searches, on top of the tokens (the pricing module's figure)."""


def _cost_right(usage: Any, model: str) -> float:
    import claude_magic

    prices = claude_magic.price_table().set_index("model").loc[model]
    split = usage.cache_creation
    write_1h = split.ephemeral_1h_input_tokens if split else 0
    write_5m = (usage.cache_creation_input_tokens or 0) - write_1h
    read = usage.cache_read_input_tokens or 0
    prompt = usage.input_tokens + write_5m + write_1h + read
    rate = "long_prompt_" if prompt > 100_000 and not math.isnan(prices.long_prompt_input) else ""
    tokens = (
        usage.input_tokens * prices[f"{rate}input"]
        + usage.output_tokens * prices[f"{rate}output"]
        + write_5m * prices[f"{rate}cache_write_5m"]
        + write_1h * prices[f"{rate}cache_write_1h"]
        + read * prices[f"{rate}cache_read"]
    ) / 1_000_000
    if usage.service_tier == "batch":
        tokens /= 2
    searches = usage.server_tool_use.web_search_requests if usage.server_tool_use else 0
    return float(tokens + searches * WEB_SEARCH_USD)


def _cost_input_output_only(usage: Any, model: str) -> float:
    import claude_magic

    prices = claude_magic.price_table().set_index("model").loc[model]
    return (usage.input_tokens * prices.input + usage.output_tokens * prices.output) / 1e6


def _cost_every_write_at_5m(usage: Any, model: str) -> float:
    import claude_magic

    prices = claude_magic.price_table().set_index("model").loc[model]
    searches = usage.server_tool_use.web_search_requests if usage.server_tool_use else 0
    return (
        usage.input_tokens * prices.input
        + usage.output_tokens * prices.output
        + usage.cache_creation_input_tokens * prices.cache_write_5m
        + usage.cache_read_input_tokens * prices.cache_read
    ) / 1e6 + searches * WEB_SEARCH_USD


def _cost_in_cents(usage: Any, model: str) -> float:
    return _cost_right(usage, model) * 100


def _cost_without_search_fee(usage: Any, model: str) -> float:
    searches = usage.server_tool_use.web_search_requests if usage.server_tool_use else 0
    return _cost_right(usage, model) - searches * WEB_SEARCH_USD


def _priced_calls() -> list[tuple[str, str, Any]]:
    """(what the call did, model, its SDK Usage): three calls that exercise every rate."""
    sim = sandbox()
    client = sim.client()
    rules = "\n".join(
        f"Rule {i}: quote prices per million tokens and name the usage field they apply to."
        for i in range(1, 90)
    )
    question = {"role": "user", "content": "What does a cache read cost?"}
    first = client.messages.create(
        model=MODEL, max_tokens=300, system=rules, messages=[question],
        cache_control={"type": "ephemeral"},
    )  # fmt: skip
    follow_up = [
        question,
        {"role": "assistant", "content": first.content},
        {"role": "user", "content": "And a cache write?"},
    ]
    second = client.messages.create(
        model=MODEL, max_tokens=300, system=rules, messages=follow_up,
        cache_control={"type": "ephemeral"},
    )  # fmt: skip
    searched = client.messages.create(
        model="claude-opus-5-5", max_tokens=600, system=rules,
        tools=[{"type": "web_search_20260318", "name": "web_search"}],
        messages=[{"role": "user", "content": "Search the web for the current Claude prices."}],
        cache_control={"type": "ephemeral", "ttl": "1h"},
    )  # fmt: skip
    return [
        ("call 1 (claude-sonnet-5-5, writes a 5-minute cache)", MODEL, first.usage),
        ("call 2 (claude-sonnet-5-5, reads that cache)", MODEL, second.usage),
        ("call 3 (claude-opus-5-5, writes a 1-hour cache and runs a web search)",
         "claude-opus-5-5", searched.usage),
    ]  # fmt: skip


def _cost_hint(usage: Any, model: str, got: float, expected: float) -> str:
    """What the difference between `got` and `expected` most likely comes from."""
    from ..pricing import get_price

    price = get_price(model)
    searches = usage.server_tool_use.web_search_requests if usage.server_tool_use else 0
    write_1h = usage.cache_creation.ephemeral_1h_input_tokens if usage.cache_creation else 0
    gap = expected - got

    def near(amount: float) -> bool:
        return math.isclose(gap, amount, rel_tol=1e-6, abs_tol=1e-12)

    if price is not None and near(write_1h * (price.cache_write_1h - price.cache_write_5m) / 1e6):
        return (
            "The 1-hour cache write was priced at the 5-minute rate: usage.cache_creation "
            "splits the writes by TTL, and 1-hour writes cost cache_write_1h (2× input)."
        )
    if searches and near(searches * WEB_SEARCH_USD):
        return "The web search fee is missing: $10 per 1,000 searches (usage.server_tool_use)."
    if got > 0 and expected > 0:
        power = math.log10(got / expected)
        if round(power) != 0 and math.isclose(power, round(power), abs_tol=1e-6):
            scale = (
                f"{got / expected:,.0f}× the ledger's figure"
                if got > expected
                else f"1/{expected / got:,.0f} of the ledger's figure"
            )
            return (
                f"It is {scale}: the prices are USD per million tokens (divide tokens × price "
                "by 1,000,000), and the answer is in dollars, not cents."
            )
    if usage.cache_creation_input_tokens or usage.cache_read_input_tokens:
        return (
            "Price every counter: input_tokens, output_tokens, cache writes (5m and 1h) and "
            "cache reads each have their own column in the price table."
        )
    return "Multiply each token counter by its column of the price table (USD per million)."


@exercise(
    "cost",
    takes="cost",
    right=_cost_right,
    wrong=[
        _cost_input_output_only,
        _cost_every_write_at_5m,
        _cost_without_search_fee,
        _cost_in_cents,
    ],
)
def _check_cost(cost: Any, g: Grader) -> None:
    """`cost(usage, model)`: a call's cost in USD, equal to the ledger's cost_usd."""
    from ..pricing import cost_usd

    for what, model, usage in _priced_calls():
        expected = cost_usd(model, usage.model_dump())
        returned, got = _call(g, f"cost(usage, {model!r}) for {what}", cost, usage, model)
        if not returned:
            return  # it raised: one message is enough
        if not g.expect(
            isinstance(got, (int, float)) and not isinstance(got, bool) and math.isfinite(got),
            f"for {what} it returned {got!r}; return the cost in dollars as a number.",
        ):
            continue
        g.expect(
            math.isclose(got, expected, rel_tol=1e-9, abs_tol=1e-12),
            f"for {what} it returned ${got:.8f}; the ledger records ${expected:.8f}. "
            + _cost_hint(usage, model, got, expected),
        )


# -- 08: one cache breakpoint, placed where the prefix stops changing -------------------------

HANDBOOK = "\n".join(
    f"Section {i}. When a customer asks about topic {i}, check the order history first, quote "
    "the policy by its section number, and offer the documented remedy before anything else."
    for i in range(1, 111)
)
"""The long, stable part of the support agent's system prompt (about 4,800 tokens offline)."""
LOOKUP_TOOL = {
    "name": "lookup_order",
    "description": "Look up an order by its number.",
    "input_schema": {
        "type": "object",
        "properties": {"order": {"type": "string", "description": "The order number."}},
        "required": ["order"],
    },
}
CACHE_READ_TARGET = 4000


def support_request(clock: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    """The support agent's request: a tool, the handbook, then a line with the current time."""
    return {
        "model": MODEL,
        "max_tokens": 400,
        "tools": [copy.deepcopy(LOOKUP_TOOL)],
        "system": [
            {"type": "text", "text": HANDBOOK},
            {"type": "text", "text": f"Current time: {clock}"},
        ],
        "messages": copy.deepcopy(messages),
    }


def _without_cache_control(value: Any) -> Any:
    """The request as the API reads it, minus its markers (a string content is one text block)."""
    if isinstance(value, dict):
        if isinstance(value.get("content"), str) and "role" in value:
            value = {**value, "content": [{"type": "text", "text": value["content"]}]}
        return {k: _without_cache_control(v) for k, v in value.items() if k != "cache_control"}
    if isinstance(value, list):
        return [_without_cache_control(v) for v in value]
    return value


def _breakpoints(value: Any, path: str = "") -> list[str]:
    """Where `cache_control` markers are (block paths; "" is the top level)."""
    found = []
    if isinstance(value, dict):
        if "cache_control" in value:
            found.append(path)
        for k, v in value.items():
            if k != "cache_control":
                found += _breakpoints(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found += _breakpoints(v, f"{path}.{i}")
    return found


def _mark(block: dict[str, Any]) -> None:
    block["cache_control"] = {"type": "ephemeral"}


def _breakpoint_right(request: dict[str, Any]) -> dict[str, Any]:
    request = copy.deepcopy(request)
    _mark(request["system"][0])  # the end of what stays the same: tools, then the handbook
    return request


def _breakpoint_on_last_message(request: dict[str, Any]) -> dict[str, Any]:
    request = copy.deepcopy(request)
    last = request["messages"][-1]
    if isinstance(last["content"], str):
        last["content"] = [{"type": "text", "text": last["content"]}]
    _mark(last["content"][-1])
    return request


def _breakpoint_on_clock(request: dict[str, Any]) -> dict[str, Any]:
    request = copy.deepcopy(request)
    _mark(request["system"][-1])
    return request


def _breakpoint_on_tools(request: dict[str, Any]) -> dict[str, Any]:
    request = copy.deepcopy(request)
    _mark(request["tools"][-1])
    return request


def _breakpoint_in_place(request: dict[str, Any]) -> None:
    _mark(request["system"][0])  # right block, but the request is not returned


def _automatic_instead(request: dict[str, Any]) -> dict[str, Any]:
    return {**request, "cache_control": {"type": "ephemeral"}}


@exercise(
    "cache_breakpoint",
    takes="add_breakpoint",
    right=_breakpoint_right,
    wrong=[_breakpoint_on_last_message, _breakpoint_on_clock, _breakpoint_on_tools,
           _automatic_instead, _breakpoint_in_place],
)  # fmt: skip
def _check_cache_breakpoint(add_breakpoint: Any, g: Grader) -> None:
    """`add_breakpoint(request)`: one cache_control so that turn 2 reads ≥ 4,000 tokens."""
    import anthropic

    sim = sandbox()
    client = sim.client(max_retries=0)
    question = {"role": "user", "content": "Where is my order 1042?"}
    turns = [support_request("09:00:00", [question])]
    usages = []
    for n in (1, 2):
        if n == 2:
            reply = usages[-1][1]
            history = [
                question,
                {"role": "assistant", "content": [b.model_dump(exclude_none=True) for b in reply]},
                {"role": "user", "content": "It still has not arrived."},
            ]
            turns.append(support_request("09:03:00", history))
        original = turns[-1]
        returned, sent = _call(
            g, f"add_breakpoint on turn {n}'s request", add_breakpoint, copy.deepcopy(original)
        )
        if not returned:
            return
        if not g.expect(
            isinstance(sent, dict), f"turn {n}: return the request (a dict); it returned {sent!r}."
        ):
            return
        if not g.expect(
            _without_cache_control(sent) == _without_cache_control(original),
            f"turn {n}: the request's content changed. Only add a cache_control marker; the "
            "clock line has to stay (the agent needs the time).",
        ):
            return
        marks = _breakpoints(sent)
        if not g.expect(
            "" not in marks,
            "a top-level cache_control is automatic caching: it puts the breakpoint on the last "
            "block, which changes every turn here. Put one cache_control on a block instead.",
        ):
            return
        if not g.expect(
            len(marks) == 1,
            f"turn {n} has {len(marks)} cache_control markers ({', '.join(marks) or 'none'}); "
            "place exactly one.",
        ):
            return
        try:
            message = client.messages.create(**sent)
        except anthropic.APIStatusError as exc:
            g.expect(False, f"turn {n} was rejected: {exc.status_code} {exc.api_message}")
            return
        usages.append((marks[0], message.content, message.usage))
    where, _, usage = usages[-1]
    read, written = usage.cache_read_input_tokens or 0, usage.cache_creation_input_tokens or 0
    if read >= CACHE_READ_TARGET:
        return
    if not written and not read:
        why = (
            f"nothing was cached: the prefix up to {where} is shorter than the model's minimum "
            "cacheable length (512 tokens on Sonnet 5.5), so the breakpoint was silently ignored."
        )
    else:
        why = (
            f"it wrote {written:,} tokens to the cache again instead: something up to the "
            f"breakpoint ({where}) differs between the turns, so the prefix never matches. "
            "The prefix runs tools → system → messages; end it at the last block that is "
            "identical in both turns."
        )
    g.expect(
        False, f"turn 2 read {read:,} tokens from the cache (need ≥ {CACHE_READ_TARGET:,}); {why}"
    )


# -- 09: the tool loop by hand ----------------------------------------------------------------


def _tool(name: str, description: str, **properties: str) -> dict[str, Any]:
    return {
        "name": name,
        "description": description,
        "input_schema": {
            "type": "object",
            "properties": {k: {"type": "string", "description": v} for k, v in properties.items()},
            "required": list(properties),
        },
    }


WEATHER_TOOLS = [
    _tool("get_weather", "The current weather in a city.", city="The city name."),
    _tool("get_time", "The local time in a city.", city="The city name."),
]
ORDER_TOOLS = [_tool("lookup_order", "Look up an order by its number.", order="The number.")]


def _weather(city: str) -> str:
    return f"{city}: 21 °C, sunny"


def _time(city: str) -> str:
    return f"{city}: 14:05"


def _lookup(order: str) -> str:
    raise KeyError(f"no order {order}")


def _results(content: list[Any], functions: dict[str, Callable[..., Any]]) -> list[dict]:
    results = []
    for block in content:
        if block.type != "tool_use":
            continue
        try:
            output = functions[block.name](**block.input)
            results.append({"type": "tool_result", "tool_use_id": block.id, "content": str(output)})
        except Exception as exc:
            results.append(
                {"type": "tool_result", "tool_use_id": block.id, "content": f"Error: {exc!r}",
                 "is_error": True}
            )  # fmt: skip
    return results


def _loop_right(client: Any, messages: list, tools: list, functions: dict) -> Any:
    messages = list(messages)
    while True:
        reply = client.messages.create(model=MODEL, max_tokens=1024, tools=tools, messages=messages)
        if reply.stop_reason != "tool_use":
            return reply
        messages.append({"role": "assistant", "content": reply.content})
        messages.append({"role": "user", "content": _results(reply.content, functions)})


def _loop_one_message_per_result(client: Any, messages: list, tools: list, functions: dict) -> Any:
    messages = list(messages)
    while True:
        reply = client.messages.create(model=MODEL, max_tokens=1024, tools=tools, messages=messages)
        if reply.stop_reason != "tool_use":
            return reply
        messages.append({"role": "assistant", "content": reply.content})
        for result in _results(reply.content, functions):
            messages.append({"role": "user", "content": [result]})


def _loop_first_call_only(client: Any, messages: list, tools: list, functions: dict) -> Any:
    messages = list(messages)
    while True:
        reply = client.messages.create(model=MODEL, max_tokens=1024, tools=tools, messages=messages)
        if reply.stop_reason != "tool_use":
            return reply
        first = next(b for b in reply.content if b.type == "tool_use")
        messages.append({"role": "assistant", "content": reply.content})
        messages.append({"role": "user", "content": _results([first], functions)})


def _loop_without_is_error(client: Any, messages: list, tools: list, functions: dict) -> Any:
    messages = list(messages)
    while True:
        reply = client.messages.create(model=MODEL, max_tokens=1024, tools=tools, messages=messages)
        if reply.stop_reason != "tool_use":
            return reply
        results = [
            {"type": "tool_result", "tool_use_id": b.id,
             "content": str(functions[b.name](**b.input))}
            for b in reply.content if b.type == "tool_use"
        ]  # fmt: skip
        messages.append({"role": "assistant", "content": reply.content})
        messages.append({"role": "user", "content": results})


def _loop_without_return(client: Any, messages: list, tools: list, functions: dict) -> None:
    _loop_right(client, messages, tools, functions)  # the final Message is dropped


def _no_loop(client: Any, messages: list, tools: list, functions: dict) -> Any:
    return client.messages.create(model=MODEL, max_tokens=1024, tools=tools, messages=messages)


def _check_parallel_round(run_tool_loop: Any, g: Grader) -> None:
    sim = sandbox()
    client = sim.client(max_retries=0)
    prompt = [{"role": "user", "content": 'Use get_weather and get_time for "Paris".'}]
    functions = {"get_weather": _weather, "get_time": _time}
    returned, final = _call(g, "run_tool_loop on a reply with two tool calls", run_tool_loop,
                            client, prompt, WEATHER_TOOLS, functions)  # fmt: skip
    posts = _posts(sim)
    if not posts:
        g.expect(not returned, "run_tool_loop sent no request: call client.messages.create.")
        return
    asked = _tool_use_ids(_replayed(posts[0]))
    if not g.expect(
        len(posts) >= 2,
        "only one request was sent: when stop_reason is 'tool_use', run the tools and send "
        "their results back in a new request (that is the loop).",
    ):
        return
    second = posts[1].json["messages"]
    last, before = second[-1], second[-2] if len(second) > 1 else {}
    if last.get("role") == "user" and before.get("role") == "user":
        g.expect(
            False,
            "the second request ends with two user messages: put every tool_result of one "
            "reply in ONE user message, right after the assistant turn that asked for them.",
        )
        return
    g.expect(
        before.get("role") == "assistant" and "tool_use" in _types(before),
        "the second request must resend the assistant turn with its tool_use blocks "
        "(all of reply.content), before the user turn holding the results.",
    )
    results = [b for b in _blocks(last) if b.get("type") == "tool_result"]
    ids = sorted(str(b.get("tool_use_id")) for b in results)
    if not g.expect(
        last.get("role") == "user" and ids == sorted(asked),
        f"the second request's last (user) message answers tool_use ids {ids}; the reply "
        f"asked for {sorted(asked)}. Answer every tool_use of the reply, each with its "
        "own tool_result carrying the same tool_use_id.",
    ):
        return
    contents = " ".join(str(b.get("content")) for b in results)
    g.expect(
        "21 °C" in contents and "14:05" in contents,
        "the tool results should carry what the functions returned (e.g. 'Paris: 21 °C, "
        f"sunny'); they were: {contents[:200]!r}.",
    )
    if returned:
        g.expect(
            _is_message(final) and final.stop_reason == "end_turn",
            "return the final Message (the one whose stop_reason is 'end_turn'); it returned "
            + (
                f"a reply with stop_reason {final.stop_reason!r}."
                if _is_message(final)
                else f"{final!r}."
            ),
        )


def _replayed(request: Any) -> dict[str, Any]:
    """The reply the sandbox gave `request`: the simulator is deterministic, so a fresh one
    answers the same first request with the same blocks and ids."""
    body = {k: v for k, v in request.json.items() if k != "stream"}
    headers = {**request.headers, "authorization": "Bearer sandbox"}
    return sandbox().handle("POST", "/v1/messages", headers, json.dumps(body).encode()).json


def _tool_use_ids(message: dict[str, Any]) -> list[str]:
    return [str(b.get("id")) for b in _blocks(message) if b.get("type") == "tool_use"]


def _check_error_round(run_tool_loop: Any, g: Grader) -> None:
    sim = sandbox()
    client = sim.client(max_retries=0)
    prompt = [{"role": "user", "content": 'Use lookup_order for order "1042".'}]
    ran = g.run(
        "run_tool_loop with a tool that raises",
        run_tool_loop, client, prompt, ORDER_TOOLS, {"lookup_order": _lookup},
    )  # fmt: skip
    posts = _posts(sim)
    if ran is None and len(posts) < 2:
        g.expect(
            False,
            "when a tool raises, catch the exception and send its text back as the tool_result "
            'with "is_error": true, so the model can react (the loop must not crash).',
        )
        return
    if len(posts) < 2:
        return  # the first round already reported the missing loop
    results = [b for b in _blocks(posts[1].json["messages"][-1]) if b.get("type") == "tool_result"]
    g.expect(
        results and all(b.get("is_error") is True for b in results),
        'the tool raised, but its tool_result has no "is_error": true: set it, with the '
        "error text as the content.",
    )


@exercise(
    "tool_loop",
    takes="run_tool_loop",
    right=_loop_right,
    wrong=[
        _loop_one_message_per_result,
        _loop_first_call_only,
        _loop_without_is_error,
        _no_loop,
        _loop_without_return,
    ],
)
def _check_tool_loop(run_tool_loop: Any, g: Grader) -> None:
    """`run_tool_loop(client, messages, tools, functions)`: the tool loop with the raw SDK."""
    _check_parallel_round(run_tool_loop, g)
    if not g.problems:  # one round at a time: the error round builds on the loop
        _check_error_round(run_tool_loop, g)


# -- 10: resuming a paused turn --------------------------------------------------------------

SEARCH_TOOL = {"type": "web_search_20260318", "name": "web_search"}


def _paused(n: int) -> dict[str, Any]:
    """A scripted reply that stops with pause_turn after one server-side search."""
    use_id = f"srvtoolu_01pausedsearch{n}"
    return {
        "content": [
            {"type": "server_tool_use", "id": use_id, "name": "web_search",
             "input": {"query": f"Claude API release notes, page {n}"}},
            {"type": "web_search_tool_result", "tool_use_id": use_id, "content": [
                {"type": "web_search_result", "url": f"https://example.com/notes/{n}",
                 "title": f"Release notes, page {n}", "encrypted_content": "b2ZmbGluZQ==",
                 "page_age": "1 day ago"}]},
        ],
        "stop_reason": "pause_turn",
    }  # fmt: skip


def _finish_right(client: Any, request: dict) -> Any:
    reply = client.messages.create(**request)
    while reply.stop_reason == "pause_turn":
        messages = [*request["messages"], {"role": "assistant", "content": reply.content}]
        request = {**request, "messages": messages}
        reply = client.messages.create(**request)
    return reply


def _finish_no_resume(client: Any, request: dict) -> Any:
    return client.messages.create(**request)


def _finish_resend_unchanged(client: Any, request: dict) -> Any:
    reply = client.messages.create(**request)
    while reply.stop_reason == "pause_turn":
        reply = client.messages.create(**request)
    return reply


def _finish_says_continue(client: Any, request: dict) -> Any:
    reply = client.messages.create(**request)
    while reply.stop_reason == "pause_turn":
        messages = [
            *request["messages"],
            {"role": "assistant", "content": reply.content},
            {"role": "user", "content": "Please continue."},
        ]
        request = {**request, "messages": messages}
        reply = client.messages.create(**request)
    return reply


def _finish_without_return(client: Any, request: dict) -> None:
    _finish_right(client, request)  # the final Message is dropped


def _finish_resumes_once(client: Any, request: dict) -> Any:
    reply = client.messages.create(**request)
    if reply.stop_reason == "pause_turn":
        messages = [*request["messages"], {"role": "assistant", "content": reply.content}]
        reply = client.messages.create(**{**request, "messages": messages})
    return reply


def _check_pauses(finish_turn: Any, g: Grader, pauses: int) -> None:
    sim = sandbox()
    client = sim.client(max_retries=0)
    for n in range(1, pauses + 1):
        sim.script(_paused(n))
    request = {
        "model": MODEL,
        "max_tokens": 1024,
        "tools": [SEARCH_TOOL],
        "messages": [
            {"role": "user", "content": "Search the web for the Claude API release notes."}
        ],
    }
    what = f"finish_turn on a turn that pauses {pauses} time{'s' if pauses > 1 else ''}"
    returned, final = _call(g, what, finish_turn, client, copy.deepcopy(request))
    posts = _posts(sim)
    if not returned and not posts:
        return  # it raised before sending anything: that is the one problem
    expected = pauses + 1
    if not g.expect(
        len(posts) >= expected,
        f"{what} sent {len(posts)} request(s); expected {expected}. While stop_reason is "
        "'pause_turn', send the request again with the paused reply appended.",
    ):
        return
    for n, post in enumerate(posts[1:expected], start=1):
        messages = post.json["messages"]
        last = messages[-1]
        ids = [
            b.get("id") for m in messages for b in _blocks(m) if b.get("type") == "server_tool_use"
        ]
        if not g.expect(
            f"srvtoolu_01pausedsearch{n}" in ids,
            f"resend {n} does not carry the paused reply (its server_tool_use "
            f"srvtoolu_01pausedsearch{n}): append reply.content unchanged as an assistant "
            "message, so the server continues from where it stopped.",
        ):
            return
        if not g.expect(
            last.get("role") == "assistant",
            f"resend {n} ends with a {last.get('role')} message: end it with the paused "
            "assistant turn itself (a new user message starts a new turn instead of "
            "continuing the paused one).",
        ):
            return
    g.expect(
        len(posts) == expected,
        f"{what} sent {len(posts)} requests; expected {expected}: stop once the reply's "
        "stop_reason is no longer 'pause_turn'.",
    )
    if returned:
        g.expect(
            _is_message(final) and final.stop_reason == "end_turn",
            f"{what} returned "
            + (
                f"a reply with stop_reason {final.stop_reason!r}"
                if _is_message(final)
                else repr(final)
            )
            + "; return the final Message (stop_reason 'end_turn').",
        )


@exercise(
    "pause_turn",
    takes="finish_turn",
    right=_finish_right,
    wrong=[_finish_no_resume, _finish_resend_unchanged, _finish_says_continue,
           _finish_resumes_once, _finish_without_return],
)  # fmt: skip
def _check_pause_turn(finish_turn: Any, g: Grader) -> None:
    """`finish_turn(client, request)`: resend a paused turn until it ends."""
    for pauses in (1, 2):
        before = len(g.problems)
        _check_pauses(finish_turn, g, pauses)
        if len(g.problems) > before:
            return


# -- 11: two images, then the question --------------------------------------------------------


def _media_type(data: bytes) -> str:
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    raise ValueError("not a PNG, JPEG, GIF or WebP image")


def _image_block(data: bytes, media_type: str) -> dict[str, Any]:
    encoded = base64.b64encode(data).decode("ascii")
    return {
        "type": "image",
        "source": {"type": "base64", "media_type": media_type, "data": encoded},
    }


def _images_right(client: Any, images: list[bytes], question: str) -> Any:
    blocks = [_image_block(data, _media_type(data)) for data in images]
    return client.messages.create(
        model=MODEL, max_tokens=1024,
        messages=[{"role": "user", "content": [*blocks, {"type": "text", "text": question}]}],
    )  # fmt: skip


def _images_text_first(client: Any, images: list[bytes], question: str) -> Any:
    blocks = [_image_block(data, _media_type(data)) for data in images]
    return client.messages.create(
        model=MODEL, max_tokens=1024,
        messages=[{"role": "user", "content": [{"type": "text", "text": question}, *blocks]}],
    )  # fmt: skip


def _images_first_only(client: Any, images: list[bytes], question: str) -> Any:
    block = _image_block(images[0], _media_type(images[0]))
    return client.messages.create(
        model=MODEL, max_tokens=1024,
        messages=[{"role": "user", "content": [block, {"type": "text", "text": question}]}],
    )  # fmt: skip


def _images_all_png(client: Any, images: list[bytes], question: str) -> Any:
    blocks = [_image_block(data, "image/png") for data in images]
    return client.messages.create(
        model=MODEL, max_tokens=1024,
        messages=[{"role": "user", "content": [*blocks, {"type": "text", "text": question}]}],
    )  # fmt: skip


def _sample_images() -> list[bytes]:
    """A small PNG chart-like picture and a small JPEG photo-like one (real files)."""
    from PIL import Image

    out = []
    for fmt, colour in (("PNG", (90, 60, 160)), ("JPEG", (30, 140, 90))):
        buffer = io.BytesIO()
        Image.new("RGB", (64, 48), colour).save(buffer, format=fmt)
        out.append(buffer.getvalue())
    return out


@exercise(
    "two_images",
    takes="ask_about_images",
    right=_images_right,
    wrong=[_images_text_first, _images_first_only, _images_all_png],
)
def _check_two_images(ask_about_images: Any, g: Grader) -> None:
    """`ask_about_images(client, images, question)`: image blocks first, then the text."""
    sim = sandbox()
    client = sim.client(max_retries=0)
    images = _sample_images()
    question = "Which of these two pictures is greener?"
    returned, reply = _call(g, "ask_about_images", ask_about_images, client, images, question)
    posts = _posts(sim)
    if not returned and not posts:
        return  # it raised before sending anything: that is the one problem
    if not g.expect(
        len(posts) == 1, f"send one request with everything in it; it sent {len(posts)}."
    ):
        return
    messages = posts[0].json["messages"]
    if not g.expect(
        len(messages) == 1 and messages[0].get("role") == "user",
        "send one user message holding both images and the question.",
    ):
        return
    types = _types(messages[0])
    if not g.expect(
        types == ["image", "image", "text"],
        f"the user message's blocks are {types}; expected ['image', 'image', 'text']: every "
        "image as its own block, before the question (images first works best).",
    ):
        return
    blocks = _blocks(messages[0])
    for n, (block, data, kind) in enumerate(
        zip(blocks, images, ("image/png", "image/jpeg"), strict=False), start=1
    ):
        source = block.get("source") or {}
        g.expect(
            source.get("type") == "base64",
            f"image {n}: use a base64 source ({{'type': 'base64', ...}}).",
        )
        g.expect(
            source.get("media_type") == kind,
            f"image {n} is a {kind.split('/')[1].upper()} but was sent as "
            f"{source.get('media_type')!r}: read the media type from the file's first bytes.",
        )
        try:
            same = base64.b64decode(source.get("data", ""), validate=True) == data
        except (ValueError, TypeError):
            same = False
        g.expect(same, f"image {n}: 'data' must be the image's bytes, base64-encoded.")
    text = blocks[2].get("text")
    g.expect(text == question, f"the text block should be the question; it was {text!r}.")
    if returned:
        g.expect(
            _is_message(reply),
            f"return the reply (the Message client.messages.create gave); it returned {reply!r}.",
        )
