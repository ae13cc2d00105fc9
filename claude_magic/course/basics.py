"""Exercises of the first part of the course: requests, replies and conversations."""

from __future__ import annotations

from typing import Any

from . import Grader, exercise, sandbox

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
    right=_first_text_right,
    wrong=[_first_text_index_zero, _first_text_joined_types],
)
def _check_first_text(first_text: Any, g: Grader) -> None:
    """`first_text(message)`: the text of the first text block, "" when there is none."""
    if not g.expect(
        callable(first_text), "pass your function itself: check_first_text(first_text)"
    ):
        return
    for what, message, expected in _replies():
        got = g.run(f"first_text on {what}", first_text, message)
        if g.problems and got is None:
            continue
        g.expect(
            got == expected,
            f"for {what} (blocks: {', '.join(b.type for b in message.content)}) it returned "
            f"{got!r}; expected {expected!r}. Look for the first block whose .type is "
            "'text' instead of taking content[0].",
        )
