"""Tests for claude_magic.tools: schemas, name errors, running tools, result content."""

from __future__ import annotations

import base64
import functools
import json
import math
from typing import Literal

import pydantic
import pytest

from claude_magic.protocol import ToolOutcome
from claude_magic.tools import (
    LocalTool,
    ToolSpecError,
    describe,
    resolve_tools,
    run_tool,
    run_tool_uses,
    server_tool_specs,
    to_tool_result_content,
    tool_result_block,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16


def get_weather(city: str, unit: Literal["c", "f"] = "c", days: int = 1) -> str:
    """Get the weather forecast.

    Uses a made-up service.

    Args:
        city: The city name.
        unit: Temperature unit.
    """
    return f"{city}:{unit}:{days}"


def one(name: str) -> str:
    """Tool one."""
    return name


def _tool(fn, name: str | None = None) -> LocalTool:
    name = name or fn.__name__
    return resolve_tools([name], {name: fn})[0]


# ---------------------------------------------------------------------------- schemas


def test_schema_from_signature_and_docstring() -> None:
    tool = _tool(get_weather)
    schema = tool.schema
    assert schema["name"] == "get_weather"
    assert schema["description"] == "Get the weather forecast.\n\nUses a made-up service."
    props = schema["input_schema"]["properties"]
    assert schema["input_schema"]["type"] == "object"
    assert props["city"]["type"] == "string"
    assert props["city"]["description"] == "The city name."
    assert props["unit"]["enum"] == ["c", "f"]
    assert props["unit"]["default"] == "c"
    assert props["unit"]["description"] == "Temperature unit."
    assert props["days"]["type"] == "integer" and props["days"]["default"] == 1
    assert schema["input_schema"]["required"] == ["city"]


def test_name_is_the_namespace_name() -> None:
    tool = resolve_tools(["weather"], {"weather": get_weather})[0]
    assert tool.name == tool.schema["name"] == "weather"
    assert tool.function is get_weather


def test_names_stripped_and_deduplicated() -> None:
    ns = {"one": one, "get_weather": get_weather}
    tools = resolve_tools([" one", "get_weather ", "one", ""], ns)
    assert [t.name for t in tools] == ["one", "get_weather"]


def test_beta_tool_object_accepted() -> None:
    from anthropic import beta_tool

    @beta_tool(name="custom")
    def thing(x: int) -> str:
        """Thing."""
        return str(x)

    tool = resolve_tools(["thing"], {"thing": thing})[0]
    assert tool.name == "custom"
    assert tool.schema == thing.to_dict()
    assert run_tool(tool, "t1", {"x": "3"}).content == "3"


def test_callable_instance_and_method_accepted() -> None:
    class Adder:
        """Adds a fixed amount."""

        def __init__(self, n: int) -> None:
            self.n = n

        def __call__(self, x: int) -> int:
            return x + self.n

        def times(self, x: int) -> int:
            """Multiply."""
            return x * self.n

    adder = Adder(2)
    tools = resolve_tools(["add", "times"], {"add": adder, "times": adder.times})
    assert tools[0].schema["description"] == "Adds a fixed amount."
    assert run_tool(tools[0], "a", {"x": 1}).content == "3"
    assert run_tool(tools[1], "b", {"x": 5}).content == "10"


# ---------------------------------------------------------------------------- name errors


def test_missing_name_lists_available_functions() -> None:
    ns = {"one": one, "get_weather": get_weather, "_private": one, "x": 3}
    with pytest.raises(ToolSpecError) as exc:
        resolve_tools(["nope"], ns)
    msg = str(exc.value)
    assert "'nope'" in msg and "one" in msg and "get_weather" in msg
    assert "_private" not in msg and "x," not in msg


def test_not_callable_says_its_type() -> None:
    with pytest.raises(ToolSpecError, match="is a int"):
        resolve_tools(["x"], {"x": 3})


@pytest.mark.parametrize(
    "obj, match",
    [
        (dict, "is a class"),
        (math.sqrt, "builtin"),
        (functools.partial(get_weather, days=2), "partial"),
    ],
)
def test_unsupported_callables(obj, match: str) -> None:
    with pytest.raises(ToolSpecError, match=match):
        resolve_tools(["f"], {"f": obj})


def test_bad_signatures() -> None:
    def star(*args: int) -> None: ...

    def posonly(a: int, /) -> None: ...

    async def coro(a: int) -> None: ...

    def unknown(fh: open) -> None: ...  # type: ignore[valid-type]

    with pytest.raises(ToolSpecError, match=r"\*args"):
        resolve_tools(["star"], {"star": star})
    with pytest.raises(ToolSpecError, match="positional-only"):
        resolve_tools(["posonly"], {"posonly": posonly})
    with pytest.raises(ToolSpecError, match="async"):
        resolve_tools(["coro"], {"coro": coro})
    with pytest.raises(ToolSpecError, match="Cannot make a tool schema.*pydantic-core schema"):
        resolve_tools(["unknown"], {"unknown": unknown})


def test_bad_tool_name() -> None:
    with pytest.raises(ToolSpecError, match="not allowed"):
        resolve_tools(["é"], {"é": one})
    # a lambda bound to a fine name is fine
    assert resolve_tools(["f"], {"f": lambda x: x})[0].name == "f"


# ---------------------------------------------------------------------------- running


def test_run_tool_success_and_coercion() -> None:
    out = run_tool(_tool(get_weather), "tu_1", {"city": "Paris", "days": "3"})
    assert out == ToolOutcome(
        "tu_1", "get_weather", {"city": "Paris", "days": "3"}, "Paris:c:3", False, out.seconds
    )
    assert out.seconds >= 0


def test_validation_failure_does_not_call() -> None:
    calls = []

    def f(n: int) -> int:
        calls.append(n)
        return n

    tool = _tool(f)
    out = run_tool(tool, "t", {"n": "abc"})
    assert out.is_error and out.content.startswith("Invalid input for tool f: n:")
    out = run_tool(tool, "t", {"n": 1, "extra": 2})
    assert out.is_error and "extra" in out.content
    out = run_tool(tool, "t", ["not", "a", "dict"])
    assert out.is_error and "expected an object" in out.content
    assert calls == []


def test_called_exactly_once() -> None:
    calls = []

    def f(n: int) -> int:
        calls.append(n)
        return n * 2

    out = run_tool(_tool(f), "t", {"n": 4})
    assert calls == [4] and out.content == "8" and not out.is_error


def test_raising_tool_becomes_error() -> None:
    def boom(x: int) -> int:
        raise ValueError(f"bad x {x}")

    out = run_tool(_tool(boom), "t", {"x": 1})
    assert out.is_error and out.content == "ValueError: bad x 1"
    assert "Traceback" not in out.content


def test_huge_error_message_is_cut() -> None:
    def boom() -> None:
        raise RuntimeError("x" * 10_000)

    out = run_tool(_tool(boom), "t", {})
    assert out.is_error and len(out.content) == 4096


@pytest.mark.parametrize("exc", [KeyboardInterrupt, SystemExit])
def test_interrupts_propagate(exc: type[BaseException]) -> None:
    def stop() -> None:
        raise exc()

    with pytest.raises(exc):
        run_tool(_tool(stop), "t", {})


def test_tool_error_content() -> None:
    from anthropic.lib.tools import ToolError

    def refuse(x: int) -> str:
        raise ToolError("not allowed")

    def refuse_blocks(x: int) -> str:
        raise ToolError([{"type": "text", "text": "no"}, {"type": "image", "source": {}}])

    out = run_tool(_tool(refuse), "t", {"x": 1})
    assert out.is_error and out.content == "not allowed"
    out = run_tool(_tool(refuse_blocks), "t", {"x": 1})
    assert out.is_error and out.content == [{"type": "text", "text": "no"}]


def test_run_tool_uses_in_order_and_unknown_tool() -> None:
    order = []

    def a(n: int) -> int:
        order.append(("a", n))
        return n

    def b(s: str) -> str:
        order.append(("b", s))
        return s

    tools = resolve_tools(["a", "b"], {"a": a, "b": b})
    uses = [
        {"type": "tool_use", "id": "1", "name": "b", "input": {"s": "x"}},
        {"type": "tool_use", "id": "2", "name": "zzz", "input": {}},
        {"type": "tool_use", "id": "3", "name": "a", "input": {"n": 7}},
    ]
    gen = run_tool_uses(tools, uses)
    first = next(gen)
    assert first.tool_use_id == "1" and order == [("b", "x")]  # yielded before the next runs
    rest = list(gen)
    assert [o.tool_use_id for o in rest] == ["2", "3"]
    assert rest[0].is_error and rest[0].content.startswith("Unknown tool: zzz")
    assert order == [("b", "x"), ("a", 7)]


# ---------------------------------------------------------------------------- content


def test_content_plain_values() -> None:
    assert to_tool_result_content("hi") == "hi"
    assert to_tool_result_content(None) == ""
    assert to_tool_result_content({"a": 1, "é": [1, 2]}) == '{"a": 1, "é": [1, 2]}'
    assert to_tool_result_content([1, "x"]) == '[1, "x"]'
    assert to_tool_result_content(3.5) == "3.5"
    assert json.loads(to_tool_result_content({"s": {1}, "o": object()}))["s"] == [1]


def test_content_png_and_jpeg_bytes() -> None:
    [block] = to_tool_result_content(PNG)
    assert block["type"] == "image"
    assert block["source"] == {
        "type": "base64",
        "media_type": "image/png",
        "data": base64.b64encode(PNG).decode(),
    }
    [block] = to_tool_result_content(JPEG)
    assert block["source"]["media_type"] == "image/jpeg"
    assert base64.b64decode(block["source"]["data"]) == JPEG
    gif, webp = b"GIF89a" + b"\0" * 8, b"RIFF\0\0\0\0WEBPVP8 "
    assert to_tool_result_content(gif)[0]["source"]["media_type"] == "image/gif"
    assert to_tool_result_content(webp)[0]["source"]["media_type"] == "image/webp"
    assert to_tool_result_content(b"plain") == '"plain"'


def test_content_mixed_list() -> None:
    blocks = to_tool_result_content(["caption", PNG, {"n": 1}, None])
    assert [b["type"] for b in blocks] == ["text", "image", "text"]
    assert blocks[0]["text"] == "caption" and blocks[2]["text"] == '{"n": 1}'


def test_content_blocks_pass_through() -> None:
    blocks = [{"type": "text", "text": "a"}]
    assert to_tool_result_content(blocks) == blocks


def test_content_pil_image() -> None:
    image_mod = pytest.importorskip("PIL.Image")
    [block] = to_tool_result_content(image_mod.new("RGB", (2, 2), "red"))
    data = base64.b64decode(block["source"]["data"])
    assert block["source"]["media_type"] == "image/png" and data.startswith(b"\x89PNG")


def test_content_pandas() -> None:
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    assert json.loads(to_tool_result_content(df)) == [{"a": 1, "b": "x"}, {"a": 2, "b": "y"}]


def test_image_tool_result() -> None:
    def plot() -> bytes:
        return PNG

    out = run_tool(_tool(plot), "t", {})
    assert not out.is_error and out.content[0]["source"]["media_type"] == "image/png"


def test_tool_result_block() -> None:
    ok = ToolOutcome("t1", "f", {}, "done", False, 0.1)
    assert tool_result_block(ok) == {"type": "tool_result", "tool_use_id": "t1", "content": "done"}
    bad = ToolOutcome("t2", "f", {}, "ValueError: x", True, 0.1)
    assert tool_result_block(bad)["is_error"] is True


# ---------------------------------------------------------------------------- server tools


@pytest.mark.parametrize("name", ["web_search", "web_fetch", "code_execution"])
def test_server_tool_specs(name: str) -> None:
    [spec] = server_tool_specs([name])
    assert spec["name"] == name and spec["type"].startswith(name + "_")


def test_server_tool_types_exist_in_sdk() -> None:
    import importlib

    for spec in server_tool_specs(["web_search", "web_fetch", "code_execution"]):
        importlib.import_module(f"anthropic.types.{spec['type'].replace('_2', '_tool_2')}_param")


def test_server_tool_full_type_and_unknown() -> None:
    assert server_tool_specs([" web_search_20250305"]) == [
        {"type": "web_search_20250305", "name": "web_search"}
    ]
    with pytest.raises(ToolSpecError, match="web_search, web_fetch, code_execution"):
        server_tool_specs(["google"])


def test_describe_is_the_schema() -> None:
    tool = _tool(get_weather)
    assert json.loads(describe(tool)) == tool.schema


def test_fallback_validation_through_sdk_call() -> None:
    """If pydantic internals change, the SDK's call validates; still one call, same errors."""
    calls = []

    def f(n: int) -> int:
        calls.append(n)
        return n

    tool = _tool(f)
    tool._validator = None
    bad = run_tool(tool, "t", {"n": "abc"})
    assert bad.is_error and bad.content.startswith("Invalid input for tool f: n:")
    assert run_tool(tool, "t", {"n": "2"}).content == "2"
    assert calls == [2]


class Point(pydantic.BaseModel):
    x: int
    y: int = 0


def test_pydantic_model_argument() -> None:
    def norm(p: Point) -> int:
        """Manhattan norm."""
        return abs(p.x) + abs(p.y)

    tool = _tool(norm)
    assert "$defs" in tool.schema["input_schema"] or "properties" in tool.schema["input_schema"]
    assert run_tool(tool, "t", {"p": {"x": -3, "y": 4}}).content == "7"
    assert run_tool(tool, "t", {"p": {"y": 4}}).is_error
