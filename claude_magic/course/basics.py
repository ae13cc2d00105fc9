"""Exercises of the first part of the course: requests, replies and conversations."""

from __future__ import annotations

from typing import Any

from ..formatting import plural
from . import NOT_WRITTEN as _NOT_WRITTEN
from . import Grader, exercise, sandbox


def _run(g: Grader, what: str, fn: Any, *args: Any, none_ok: bool = False) -> Any:
    """`g.value` (or `g.run` with `none_ok`, when the caller judges a None returned itself)."""
    return (g.run if none_ok else g.value)(what, fn, *args)


# -- 01: the reply's text, whatever block comes first --------------------------------------


def _first_text_right(message: Any) -> str:
    return next((b.text for b in message.content if b.type == "text"), "")


def _first_text_index_zero(message: Any) -> str:
    return message.content[0].text  # the older tutorials' idiom


def _first_text_joined_types(message: Any) -> str:
    return "".join(getattr(b, "text", "") or "" for b in message.content[:1])


def _replies() -> list[tuple[str, Any, str]]:
    """(what it is, a real SDK Message from the simulator, the text expected)."""
    sim = sandbox()
    client = sim.client()
    cases = [
        (
            "a reply that starts with a thinking block",
            {
                "content": [
                    {"type": "thinking", "thinking": "The user wants a greeting."},
                    {"type": "text", "text": "Hello there."},
                ]
            },
            "Hello there.",
        ),
        (
            "a reply with only text",
            {"content": [{"type": "text", "text": "Just text."}]},
            "Just text.",
        ),
        (
            "a reply with a tool call and no text",
            {"content": [{"type": "tool_use", "name": "lookup", "input": {"q": "x"}}]},
            "",
        ),
    ]
    tools = [{"name": "lookup", "description": "Look up.", "input_schema": {"type": "object"}}]
    out = []
    for what, script, expected in cases:
        sim.script(script)
        message = client.messages.create(
            model="claude-sonnet-5-5",
            max_tokens=200,
            messages=[{"role": "user", "content": "hi"}],
            tools=tools,
        )
        out.append((what, message, expected))
    return out


@exercise(
    "first_text",
    takes="first_text",
    right=_first_text_right,
    wrong=[_first_text_index_zero, _first_text_joined_types],
)
def _check_first_text(first_text: Any, g: Grader) -> None:
    """`first_text(message)`: the text of the first text block, "" when there is none."""
    for what, message, expected in _replies():
        raised, got = g.attempt(f"first_text on {what}", first_text, message)
        if raised:  # the problem says how
            continue
        hint = (
            "Return '' (not None) when no block is text."
            if got is None and not expected
            else "Look for the first block whose .type is 'text' instead of taking content[0]."
        )
        g.expect(
            got == expected,
            f"for {what} (blocks: {', '.join(b.type for b in message.content)}) it returned "
            f"{got!r}; expected {expected!r}. {hint}",
        )


# -- 00: a first question and two follow-ups, in one chat -----------------------------------

_ROLES_OF_A_THIRD_REQUEST = ["user", "assistant", "user", "assistant", "user"]


def _practice_chat(prompts: list[str], name: str = "practice") -> Any:
    """A chat as the magic leaves it after one cell per prompt (each turn: thinking + text)."""
    from ..chat import Chat
    from ..turn import Turn

    chat = Chat(name)
    for n, prompt in enumerate(prompts):
        chat.commit(
            Turn(
                chat=name,
                cell_id=f"cell-{n}",
                user={"role": "user", "content": [{"type": "text", "text": prompt}]},
                replies=[
                    {
                        "role": "assistant",
                        "content": [
                            {"type": "thinking", "thinking": "", "signature": f"sig{n}"},
                            {"type": "text", "text": f"Answer {n + 1}."},
                        ],
                    }
                ],
                model="claude-sonnet-5-5",
            )
        )
    return chat


_THREE_PROMPTS = ["What is a token?", "How many in a page of text?", "And in a photo?"]


@exercise(
    "follow_ups",
    right=_practice_chat(_THREE_PROMPTS),
    wrong=[
        _practice_chat(_THREE_PROMPTS[-1:]),  # three %claude lines in one cell: one turn left
        _practice_chat(_THREE_PROMPTS[:2]),  # only one follow-up
        "practice",  # the chat's name, not the chat
    ],
)
def _check_follow_ups(chat: Any, g: Grader) -> None:
    """A chat with a first question and two follow-ups: its third request resent 5 messages."""
    if not g.expect(
        hasattr(chat, "turns") and hasattr(chat, "messages"),
        "pass the chat object itself: course.check_follow_ups(claude_magic.get_chat('practice'))",
    ):
        return
    turns = list(chat.turns)
    if not g.expect(
        len(turns) >= 3,
        f"chat {chat.name!r} has {plural(len(turns), 'turn')}; it needs three: a first "
        f"question, then two follow-ups, each in its own `%%claude -c {chat.name}` cell "
        "(several `%claude` lines in one cell count as one cell: each replaces the turn of "
        "the one before).",
    ):
        return
    sent = [m for turn in turns[:2] for m in turn.messages] + [turns[2].user]
    roles = [m.get("role") for m in sent]
    g.expect(
        roles == _ROLES_OF_A_THIRD_REQUEST,
        f"the third request resent {plural(len(sent), 'message')} ({', '.join(roles)}); a plain "
        "follow-up resends 5: user, assistant, user, assistant, user. Ask the follow-ups "
        "without tools or --new, in the same chat.",
    )
    for n, turn in enumerate(turns[:3], start=1):
        g.expect(
            turn.final_message is not None,
            f"turn {n} has no reply; run its cell again.",
        )


# -- 02: a Chat class that keeps the history -------------------------------------------------

_TUTOR = "You are a patient tutor. Answer in two sentences."
_QUESTIONS = ["What is a token?", "Why do prices count them?", "How do I count them?"]
_ANSWERS = [
    "A token is a chunk of text, often part of a word.",
    "Because the model reads and writes tokens, so they measure the work.",
    "Call client.messages.count_tokens with the request you plan to send.",
]


class _ChatRight:
    def __init__(self, client: Any, system: str, model: str = "claude-sonnet-5-5") -> None:
        self.client, self.system, self.model = client, system, model
        self.messages: list[dict[str, Any]] = []

    def send(self, text: str) -> str:
        self.messages.append({"role": "user", "content": text})
        reply = self.client.messages.create(
            model=self.model, max_tokens=1024, system=self.system, messages=self.messages
        )
        self.messages.append(reply.to_param())
        return next((b.text for b in reply.content if b.type == "text"), "")


class _ChatForgets(_ChatRight):
    """Sends only the new message: the API remembers nothing."""

    def send(self, text: str) -> str:
        reply = self.client.messages.create(
            model=self.model,
            max_tokens=1024,
            system=self.system,
            messages=[{"role": "user", "content": text}],
        )
        return next((b.text for b in reply.content if b.type == "text"), "")


class _ChatSystemAsMessage(_ChatRight):
    """Puts the system prompt first in `messages`, OpenAI style."""

    def send(self, text: str) -> str:
        if not self.messages:
            self.messages.append({"role": "system", "content": self.system})
        self.messages.append({"role": "user", "content": text})
        reply = self.client.messages.create(
            model=self.model, max_tokens=1024, messages=self.messages
        )
        self.messages.append(reply.to_param())
        return next((b.text for b in reply.content if b.type == "text"), "")


class _ChatKeepsOnlyText(_ChatRight):
    """Appends the reply's text alone: the thinking block is lost."""

    def send(self, text: str) -> str:
        self.messages.append({"role": "user", "content": text})
        reply = self.client.messages.create(
            model=self.model, max_tokens=1024, system=self.system, messages=self.messages
        )
        answer = next((b.text for b in reply.content if b.type == "text"), "")
        self.messages.append({"role": "assistant", "content": answer})
        return answer


class _ChatIndexZero(_ChatRight):
    """Reads content[0].text, which is the thinking block on current models."""

    def send(self, text: str) -> str:
        self.messages.append({"role": "user", "content": text})
        reply = self.client.messages.create(
            model=self.model, max_tokens=1024, system=self.system, messages=self.messages
        )
        self.messages.append(reply.to_param())
        return reply.content[0].text


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    return "".join(b.get("text", "") for b in content if isinstance(b, dict))


def _system_text(system: Any) -> str:
    return _text_of(system) if system is not None else ""


@exercise(
    "chat_send",
    takes="Chat",
    right=_ChatRight,
    wrong=[_ChatForgets, _ChatSystemAsMessage, _ChatKeepsOnlyText, _ChatIndexZero],
)
def _check_chat_send(chat_class: Any, g: Grader) -> None:
    """`Chat(client, system).send(text)`: resends the whole history and the system prompt."""
    sim = sandbox()
    for answer in _ANSWERS:  # scripted replies: thinking first, as current models reply
        sim.script(
            {
                "content": [
                    {"type": "thinking", "thinking": ""},
                    {"type": "text", "text": answer},
                ]
            }
        )
    chat = _run(g, "Chat(client, system=...)", chat_class, sim.client(max_retries=0), _TUTOR)
    if chat is None:
        return
    for n, (question, answer) in enumerate(zip(_QUESTIONS, _ANSWERS, strict=True), start=1):
        got = _run(g, f"send() of turn {n}", chat.send, question)
        if got is None:
            return
        g.expect(
            got == answer,
            f"send() of turn {n} returned {got!r}; it should return the reply's text "
            f"({answer!r}): the text block, not content[0].",
        )
    sent = [r.json for r in sim.requests if r.path == "/v1/messages"]
    if not g.expect(
        len(sent) == 3, f"three send() calls made {len(sent)} requests; make one per turn."
    ):
        return
    for n, body in enumerate(sent, start=1):
        g.expect(
            _system_text(body.get("system")) == _TUTOR,
            f"request {n} has no top-level `system` prompt (it has "
            f"{body.get('system')!r}); pass system=self.system on every call.",
        )
    third = sent[2]["messages"]
    roles = [m.get("role") for m in third]
    if not g.expect(
        roles == _ROLES_OF_A_THIRD_REQUEST,
        f"the third request carried {plural(len(third), 'message')} ({', '.join(roles)}); it "
        "should resend the whole history: user, assistant, user, assistant, user.",
    ):
        return
    users = [_text_of(m["content"]) for m in third if m["role"] == "user"]
    g.expect(users == _QUESTIONS, f"the user turns were {users}; expected {_QUESTIONS} in order.")
    for m in third:
        if m["role"] == "assistant":
            kinds = [b.get("type") for b in m["content"]] if isinstance(m["content"], list) else []
            g.expect(
                kinds == ["thinking", "text"],
                "an assistant turn was sent back without its thinking block (as "
                f"{kinds or 'a plain string'}); append the whole reply with "
                "message.to_param().",
            )
            break


# -- 03: pick a model by its capabilities ----------------------------------------------------


def _pick_model_right(client: Any, need_thinking_off: bool = False) -> str:
    for model in client.models.list():
        if model.lifecycle != "active":
            continue
        if need_thinking_off and not model.capabilities.thinking.types.disabled.supported:
            continue
        return model.id
    raise LookupError("no model fits")


def _pick_model_newest(client: Any, need_thinking_off: bool = False) -> str:
    return next(m.id for m in client.models.list() if m.lifecycle == "active")


def _pick_model_hard_coded(client: Any, need_thinking_off: bool = False) -> str:
    return "claude-opus-5-5"


def _pick_model_hard_coded_right_today(client: Any, need_thinking_off: bool = False) -> str:
    return "claude-haiku-5-5" if need_thinking_off else "claude-fable-5-2"


@exercise(
    "pick_model",
    takes="pick_model",
    right=_pick_model_right,
    wrong=[_pick_model_newest, _pick_model_hard_coded, _pick_model_hard_coded_right_today],
)
def _check_pick_model(pick_model: Any, g: Grader) -> None:
    """`pick_model(client, need_thinking_off)`: the first active model listed that fits."""
    sim = sandbox()
    client = sim.client(max_retries=0)
    listed = [m for m in client.models.list() if m.lifecycle == "active"]
    sim.requests.clear()
    unasked: list[str] = []
    for need_off in (True, False):
        fits = [
            m for m in listed if not need_off or m.capabilities.thinking.types.disabled.supported
        ]
        expected = fits[0].id
        before = len(sim.requests)
        got = _run(
            g, f"pick_model(client, need_thinking_off={need_off})", pick_model, client, need_off
        )
        if got is None:  # raised or returned None: already told
            if g.problems[-1].endswith(_NOT_WRITTEN):
                return  # once is enough
            continue
        if not any(r.path.startswith("/v1/models") for r in sim.requests[before:]):
            unasked.append(f"{got!r} for need_thinking_off={need_off}")
        info = next((m for m in listed if m.id == got), None)
        if not g.expect(info is not None, f"{got!r} is not an active model of models.list()."):
            continue
        if need_off:
            try:
                client.messages.create(
                    model=got,
                    max_tokens=200,
                    thinking={"type": "disabled"},
                    messages=[{"role": "user", "content": "hi"}],
                )
            except Exception as exc:  # the sandbox's 400 is the feedback
                g.expect(
                    False,
                    f"{got} refuses thinking disabled (the API answered "
                    f"{getattr(exc, 'status_code', '')}: {getattr(exc, 'api_message', exc)}); "
                    "skip models whose "
                    "capabilities.thinking.types.disabled.supported is False.",
                )
                continue
        g.expect(
            got == expected,
            f"with need_thinking_off={need_off} it returned {got!r}; the first active model "
            f"listed that fits is {expected!r} (models.list() gives the newest first).",
        )
    g.expect(
        not unasked,
        f"it returned {' and '.join(unasked)} without asking the API (no models.list() or "
        "models.retrieve() call); read the ids and capabilities from the API: ids go stale.",
    )


# -- 15: port an OpenAI tool call to the Messages API ----------------------------------------

_WEATHER_SYSTEM = "You are a weather assistant."
_WEATHER_QUESTION = "What's the weather in Paris?"
_WEATHER_TOOL = {
    "name": "get_weather",
    "description": "Current weather for a city.",
    "input_schema": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
_WEATHER_ANSWER = "It is sunny in Paris, 21 °C."


def _weather_right(client: Any, get_weather: Any) -> str:
    messages: list[dict[str, Any]] = [{"role": "user", "content": _WEATHER_QUESTION}]
    first = client.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=1024,
        system=_WEATHER_SYSTEM,
        tools=[_WEATHER_TOOL],
        messages=messages,
    )
    messages.append(first.to_param())
    results = [
        {"type": "tool_result", "tool_use_id": b.id, "content": get_weather(**b.input)}
        for b in first.content
        if b.type == "tool_use"
    ]
    messages.append({"role": "user", "content": results})
    final = client.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=1024,
        system=_WEATHER_SYSTEM,
        tools=[_WEATHER_TOOL],
        messages=messages,
    )
    return next((b.text for b in final.content if b.type == "text"), "")


def _weather_openai_roles(client: Any, get_weather: Any) -> str:
    """System and tool results as messages, as in Chat Completions."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": _WEATHER_SYSTEM},
        {"role": "user", "content": _WEATHER_QUESTION},
    ]
    first = client.messages.create(
        model="claude-sonnet-5-5", max_tokens=1024, tools=[_WEATHER_TOOL], messages=messages
    )
    call = next(b for b in first.content if b.type == "tool_use")
    messages += [
        first.to_param(),
        {"role": "tool", "tool_call_id": call.id, "content": get_weather(**call.input)},
    ]
    final = client.messages.create(
        model="claude-sonnet-5-5", max_tokens=1024, tools=[_WEATHER_TOOL], messages=messages
    )
    return next((b.text for b in final.content if b.type == "text"), "")


def _weather_openai_tool_schema(client: Any, get_weather: Any) -> str:
    """The tool in Chat Completions' shape: type function, parameters."""
    tool = {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": _WEATHER_TOOL["description"],
            "parameters": _WEATHER_TOOL["input_schema"],
        },
    }
    reply = client.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=1024,
        system=_WEATHER_SYSTEM,
        tools=[tool],
        messages=[{"role": "user", "content": _WEATHER_QUESTION}],
    )
    return reply.content[-1].text


def _weather_text_only_history(client: Any, get_weather: Any) -> str:
    """Sends back only the assistant's text, so the tool_use it answers is missing."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": _WEATHER_QUESTION}]
    first = client.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=1024,
        system=_WEATHER_SYSTEM,
        tools=[_WEATHER_TOOL],
        messages=messages,
    )
    call = next(b for b in first.content if b.type == "tool_use")
    messages += [
        {"role": "assistant", "content": "Let me check."},
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": call.id, "content": get_weather("Paris")}
            ],
        },
    ]
    final = client.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=1024,
        system=_WEATHER_SYSTEM,
        tools=[_WEATHER_TOOL],
        messages=messages,
    )
    return next((b.text for b in final.content if b.type == "text"), "")


@exercise(
    "port_tool_call",
    takes="ask_weather",
    right=_weather_right,
    wrong=[_weather_openai_roles, _weather_openai_tool_schema, _weather_text_only_history],
)
def _check_port_tool_call(ask_weather: Any, g: Grader) -> None:
    """`ask_weather(client, get_weather)`: the OpenAI tool-calling snippet in Messages form."""
    sim = sandbox()
    sim.script(
        {
            "content": [
                {"type": "thinking", "thinking": ""},
                {"type": "tool_use", "name": "get_weather", "input": {"city": "Paris"}},
            ]
        }
    )
    sim.script({"content": [{"type": "text", "text": _WEATHER_ANSWER}]})
    calls: list[dict[str, Any]] = []

    def get_weather(city: str) -> str:
        calls.append({"city": city})
        return f"Sunny, 21 °C in {city}"

    got = _run(g, "ask_weather(client, get_weather)", ask_weather, sim.client(max_retries=0),
                get_weather, none_ok=True)  # fmt: skip
    raised = bool(g.problems)  # it raised (the problem says how): no value to judge
    if raised and g.problems[-1].endswith(_NOT_WRITTEN):
        return
    sent = [r.json for r in sim.requests if r.path == "/v1/messages"]
    if not sent:
        g.expect(False, "no request reached the API; call client.messages.create.")
        return
    first, ran = sent[0], len(g.problems)
    g.expect(
        _system_text(first.get("system")) == _WEATHER_SYSTEM
        and all(m.get("role") != "system" for m in first.get("messages", [])),
        "the system prompt goes in the top-level `system` parameter, not in a "
        "{'role': 'system'} message.",
    )
    tools = first.get("tools") or []
    g.expect(
        len(tools) == 1
        and tools[0].get("name") == "get_weather"
        and isinstance(tools[0].get("input_schema"), dict)
        and "function" not in tools[0],
        "a Messages tool is {'name', 'description', 'input_schema'}: no 'type': 'function' "
        "wrapper, and the JSON schema goes in input_schema (OpenAI's 'parameters').",
    )
    if len(g.problems) > ran:  # the request's shape is wrong: the rest follows from it
        return
    if not g.expect(
        len(sent) == 2,
        f"it made {len(sent)} request(s); a tool call takes two: the question, then the "
        "tool's result.",
    ):
        return
    g.expect(calls == [{"city": "Paris"}], f"get_weather was called as {calls}; call it "
             "once with the input of the tool_use block.")  # fmt: skip
    history = sent[1]["messages"]
    roles = [m.get("role") for m in history]
    if not g.expect(
        roles == ["user", "assistant", "user"],
        f"the second request's roles were {roles}; expected user, assistant, user. There is "
        "no 'tool' role: the result goes in a user turn.",
    ):
        return
    assistant = history[1]["content"]
    kinds = [b.get("type") for b in assistant] if isinstance(assistant, list) else []
    g.expect(
        "tool_use" in kinds,
        "the assistant turn you sent back lost its tool_use block; append the whole reply "
        "(first.to_param()), not just its text.",
    )
    results = history[2]["content"] if isinstance(history[2]["content"], list) else []
    uses = [b for b in assistant if isinstance(b, dict) and b.get("type") == "tool_use"]
    tool_use_id = uses[0].get("id") if uses else None
    g.expect(
        tool_use_id is None  # already told: the tool_use block is missing
        or bool(results)
        and results[0].get("type") == "tool_result"
        and results[0].get("tool_use_id") == tool_use_id
        and "Sunny" in _text_of(results[0].get("content") or ""),
        "the last user turn must open with a tool_result block whose tool_use_id is the "
        "tool_use block's id and whose content is get_weather's result.",
    )
    g.expect(
        raised or got == _WEATHER_ANSWER,
        f"it returned {got!r}; return the final reply's text ({_WEATHER_ANSWER!r}).",
    )
