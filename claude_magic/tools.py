"""Python functions become Claude's tools: schemas, local calls and tool_result blocks.

Schemas and argument validation come from the SDK's `beta_tool` (pydantic), never from a
generator of our own, so what the model is told and what we accept cannot drift apart.
`anthropic` is imported inside functions because importing it takes seconds.

Accepted callables (see `resolve_tools`): Python functions (sync, `def` or `lambda`), bound
methods, callable instances (their `__call__` is used) and objects made with `@beta_tool`.
Rejected with a `ToolSpecError` saying what to do: classes, builtins (no signature pydantic
can read), `functools.partial` (the SDK cannot build its schema), async functions, and
signatures with `*args` or positional-only parameters (the model passes keyword arguments).
"""

from __future__ import annotations

import base64
import functools
import inspect
import json
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .attachments import is_pil_image, pil_png, sniff_media_type
from .protocol import ToolOutcome

__all__ = [
    "LocalTool",
    "ToolSet",
    "ToolSpecError",
    "describe",
    "resolve_tools",
    "run_tool",
    "run_tool_uses",
    "server_tool_specs",
    "to_tool_result_content",
    "tool_result_block",
    "tool_set",
]

FIELD_MAX = 4096
"""The API's limit for an error text; longer exception messages are cut to it."""

_NAME_RE = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
_LONE_SURROGATE_RE = re.compile(
    r"[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]"
)
_BLOCK_TYPES = frozenset({"text", "image", "document", "search_result"})

SERVER_TOOLS: dict[str, dict[str, str]] = {
    "web_search": {"type": "web_search_20260318", "name": "web_search"},
    "web_fetch": {"type": "web_fetch_20260318", "name": "web_fetch"},
    "code_execution": {"type": "code_execution_20260521", "name": "code_execution"},
}
"""Newest non-beta versions in anthropic 2.12 (`types/*_tool_<date>_param.py`)."""

_SERVER_TYPE_RE = re.compile(r"^(web_search|web_fetch|code_execution)_(\d{8})$")


class ToolSpecError(ValueError):
    """The user named a tool wrongly; the message says what is wrong and what to do."""


@dataclass
class LocalTool:
    """A Python callable offered to Claude, with the schema sent in `tools=`."""

    name: str
    function: Any
    schema: dict[str, Any]
    sdk_tool: Any = field(default=None, repr=False)
    """The SDK's `BetaFunctionTool`, kept for its pydantic validation."""
    _validator: Any = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class ToolSet:
    """The tools one cell offers: local Python tools (schema and callable together) and
    server tools (definitions only; the API runs them)."""

    local: tuple[LocalTool, ...] = ()
    server: tuple[dict[str, Any], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.local or self.server)

    def params(self) -> list[dict[str, Any]]:
        """The request's `tools` list."""
        return [dict(t.schema) for t in self.local] + [dict(s) for s in self.server]

    def run(self, tool_uses: Sequence[Mapping[str, Any]]) -> Iterator[ToolOutcome]:
        """Run a response's tool_use blocks with these tools (see `run_tool_uses`)."""
        return run_tool_uses(self.local, tool_uses)


def tool_set(local: Iterable[str], server: Iterable[str], namespace: Mapping[str, Any]) -> ToolSet:
    """The ToolSet for `--tools` and `--server-tools` names (ToolSpecError if one is wrong)."""
    return ToolSet(tuple(resolve_tools(local, namespace)), tuple(server_tool_specs(server)))


# ---------------------------------------------------------------------------- resolving names


def _available(namespace: Mapping[str, Any], limit: int = 8) -> str:
    names = sorted(
        k
        for k, v in namespace.items()
        if isinstance(k, str)
        and not k.startswith("_")
        and (inspect.isfunction(v) or type(v).__name__ == "BetaFunctionTool")
    )
    if not names:
        return "no functions are defined in the namespace"
    more = f" (and {len(names) - limit} more)" if len(names) > limit else ""
    return "available functions: " + ", ".join(names[:limit]) + more


def _check_signature(name: str, fn: Any) -> None:
    """Reject what pydantic would turn into a schema the model cannot call with."""
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError) as e:
        raise ToolSpecError(
            f"Cannot read the signature of {name!r} ({e}); wrap it in a def with type hints."
        ) from None
    for p in sig.parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            raise ToolSpecError(
                f"Tool {name!r} takes *{p.name}; the model passes named arguments only. "
                "Give it named, type-annotated parameters instead."
            )
        if p.kind is p.POSITIONAL_ONLY:
            raise ToolSpecError(
                f"Tool {name!r} has positional-only parameter {p.name!r}; the model passes "
                "named arguments only. Remove the '/' from its signature."
            )


def _callable_for(name: str, obj: Any) -> tuple[Any, str | None]:
    """The function to hand to `beta_tool`, and a description if it must be given."""
    if inspect.isclass(obj):
        raise ToolSpecError(
            f"{name!r} is a class; calling it would build an instance. "
            "Pass a function (def) that uses it instead."
        )
    if isinstance(obj, functools.partial):
        raise ToolSpecError(
            f"{name!r} is a functools.partial, whose schema the SDK cannot build. "
            "Wrap it in a def with type-annotated parameters."
        )
    if inspect.isbuiltin(obj) or inspect.ismethoddescriptor(obj):
        raise ToolSpecError(
            f"{name!r} is a builtin ({type(obj).__name__}); pydantic cannot read its "
            "parameters. Wrap it in a def with type-annotated parameters."
        )
    if inspect.isfunction(obj) or inspect.ismethod(obj):
        fn, doc = obj, None
    elif callable(obj):
        fn = obj.__call__
        # the method's own docstring, else the class's (getdoc would inherit object's)
        doc = fn.__doc__ or type(obj).__doc__
        doc = inspect.cleandoc(doc).split("\n\n", 1)[0] if doc else None
    else:
        raise ToolSpecError(
            f"{name!r} is a {type(obj).__name__}, not a function; --tools takes the names "
            "of functions defined in the notebook."
        )
    if inspect.iscoroutinefunction(fn) or inspect.isasyncgenfunction(fn):
        raise ToolSpecError(f"{name!r} is async; only synchronous functions can be tools.")
    _check_signature(name, fn)
    return fn, doc


def _validator_for(sdk_tool: Any) -> Any:
    """A pydantic validator of the tool's arguments that does NOT call the function.

    Built from the SDK's own adapter (the one its schema comes from); None when pydantic's
    internals differ from what we expect, and `run_tool` then falls back to `sdk_tool.call`.
    """
    try:
        from pydantic_core import SchemaValidator

        schema: Any = sdk_tool._adapter.core_schema
        defs = None
        if schema.get("type") == "definitions":
            defs, schema = schema["definitions"], schema["schema"]
        for _ in range(8):
            if schema.get("type") == "call":
                break
            schema = schema.get("function") or schema.get("schema")
        else:
            return None
        args_schema = schema["arguments_schema"]
        if defs:
            args_schema = {"type": "definitions", "schema": args_schema, "definitions": defs}
        return SchemaValidator(args_schema)
    except Exception:
        return None


def _make_local_tool(name: str, obj: Any) -> LocalTool:
    from anthropic.lib.tools import BetaAsyncFunctionTool, BetaFunctionTool, beta_tool

    if isinstance(obj, BetaAsyncFunctionTool):
        raise ToolSpecError(f"{name!r} is async; only synchronous functions can be tools.")
    if isinstance(obj, BetaFunctionTool):
        sdk_tool = obj
        fn = obj.func
    else:
        fn, doc = _callable_for(name, obj)
        try:
            sdk_tool = beta_tool(fn, name=name, description=doc)
        except Exception as e:
            reason = str(e).split("\n", 1)[0]
            raise ToolSpecError(
                f"Cannot make a tool schema from {name!r}: {type(e).__name__}: {reason}. "
                "Annotate its parameters with JSON-friendly types (str, int, float, bool, "
                "list, dict, Literal, pydantic models)."
            ) from None
    schema = dict(sdk_tool.to_dict())
    if schema.get("input_schema", {}).get("type") != "object":
        raise ToolSpecError(
            f"Tool {name!r} has no named parameters the model could fill in; "
            "give it named, type-annotated parameters."
        )
    if not _NAME_RE.match(sdk_tool.name):
        raise ToolSpecError(
            f"Tool name {sdk_tool.name!r} is not allowed by the API (letters, digits, _ and -, "
            "at most 64); give the function a simpler name."
        )
    return LocalTool(sdk_tool.name, fn, schema, sdk_tool, _validator_for(sdk_tool))


def resolve_tools(names: Iterable[str], namespace: Mapping[str, Any]) -> list[LocalTool]:
    """Turn `--tools a,b` names into tools, failing early with a message the user can act on.

    A plain callable is named after the namespace name the user typed; a `@beta_tool` object
    keeps its own name. Repeated names (or two names for one tool) are offered once.
    """
    tools: list[LocalTool] = []
    seen: set[str] = set()
    for raw in names:
        name = raw.strip()
        if not name or name in seen:
            continue
        seen.add(name)
        if name not in namespace:
            raise ToolSpecError(
                f"No function named {name!r} in the notebook; {_available(namespace)}."
            )
        tool = _make_local_tool(name, namespace[name])
        if any(t.name == tool.name for t in tools):
            continue
        tools.append(tool)
    return tools


# ---------------------------------------------------------------------------- running tools


def _well_formed(text: str) -> str:
    """Fold unpaired surrogates to U+FFFD so the next request can be encoded."""
    return _LONE_SURROGATE_RE.sub("\ufffd", text)


def _short_validation_message(exc: Any) -> str:
    parts = []
    for err in exc.errors(include_url=False)[:5]:
        loc = ".".join(str(x) for x in err.get("loc", ())) or "input"
        parts.append(f"{loc}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or str(exc)


def _error_content(content: Any) -> str | list[dict[str, Any]]:
    """Text-only, non-empty content: the API rejects anything else on an is_error result."""
    if isinstance(content, str):
        return _well_formed(content)[:FIELD_MAX] or "Tool error"
    kept = [
        {"type": "text", "text": _well_formed(str(b["text"]))}
        for b in content or ()
        if isinstance(b, Mapping) and b.get("type") == "text" and b.get("text")
    ]
    return kept or "Tool error"


def _validate(tool: LocalTool, tool_input: Any) -> tuple[tuple[Any, ...], dict[str, Any]] | str:
    """Validated (args, kwargs), or the error text for the model."""
    import pydantic
    from pydantic_core import ArgsKwargs

    if not isinstance(tool_input, Mapping):
        got = type(tool_input).__name__
        return f"Invalid input for tool {tool.name}: expected an object, got {got}"
    try:
        args, kwargs = tool._validator.validate_python(ArgsKwargs((), dict(tool_input)))
    except pydantic.ValidationError as e:
        return f"Invalid input for tool {tool.name}: {_short_validation_message(e)}"
    return tuple(args or ()), dict(kwargs or {})


def run_tool(tool: LocalTool, tool_use_id: str, tool_input: Any) -> ToolOutcome:
    """Validate the model's input, call the function once, and record what goes back.

    Exceptions become `is_error` results ("Type: message", no traceback) so the model can
    recover; KeyboardInterrupt and SystemExit are BaseExceptions and propagate.
    """
    import pydantic
    from anthropic.lib.tools import ToolError

    def outcome(content: Any, is_error: bool, seconds: float = 0.0) -> ToolOutcome:
        return ToolOutcome(tool_use_id, tool.name, tool_input, content, is_error, seconds)

    start = time.perf_counter()
    try:
        if tool._validator is not None:
            checked = _validate(tool, tool_input)
            if isinstance(checked, str):
                return outcome(checked, True, time.perf_counter() - start)
            args, kwargs = checked
            value = tool.function(*args, **kwargs)
        else:  # pydantic internals changed: the SDK validates and calls in one step
            try:
                value = tool.sdk_tool.call(tool_input)
            except ValueError as e:
                if not isinstance(e.__cause__, pydantic.ValidationError):
                    raise
                msg = _short_validation_message(e.__cause__)
                return outcome(
                    f"Invalid input for tool {tool.name}: {msg}", True, time.perf_counter() - start
                )
            except TypeError as e:
                if "Input must be a dictionary" not in str(e):
                    raise
                return outcome(f"Invalid input for tool {tool.name}: {e}", True)
    except ToolError as e:
        return outcome(_error_content(e.content), True, time.perf_counter() - start)
    except Exception as e:
        text = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
        return outcome(_error_content(text), True, time.perf_counter() - start)
    seconds = time.perf_counter() - start
    try:
        content = to_tool_result_content(value)
    except Exception as e:  # a result we cannot encode is the tool's error, not ours
        return outcome(
            _error_content(f"Cannot encode result: {type(e).__name__}: {e}"), True, seconds
        )
    return outcome(content, False, seconds)


def run_tool_uses(
    tools: Sequence[LocalTool], tool_uses: Sequence[Mapping[str, Any]]
) -> Iterator[ToolOutcome]:
    """Run a response's tool_use blocks in order, yielding each outcome as soon as it is ready."""
    by_name = {t.name: t for t in tools}
    for use in tool_uses:
        name = use.get("name", "")
        tool_use_id = use.get("id", "")
        tool_input = use.get("input", {})
        tool = by_name.get(name)
        if tool is None:
            offered = ", ".join(by_name) or "none"
            yield ToolOutcome(
                tool_use_id,
                name,
                tool_input,
                f"Unknown tool: {name} (offered: {offered})",
                True,
                0.0,
            )
            continue
        yield run_tool(tool, tool_use_id, tool_input)


# ---------------------------------------------------------------------------- result content


def _image_block(data: bytes, media_type: str) -> dict[str, Any]:
    return {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": media_type,
            "data": base64.b64encode(data).decode("ascii"),
        },
    }


def _as_image(value: Any) -> dict[str, Any] | None:
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        media_type = sniff_media_type(data)
        is_image = media_type is not None and media_type.startswith("image/")
        return _image_block(data, media_type) if is_image else None
    if is_pil_image(value):
        return _image_block(pil_png(value), "image/png")
    return None


def _json_default(value: Any) -> Any:
    """pandas/numpy objects via their own conversions, anything else via str."""
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).decode("utf-8", "replace")
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and hasattr(value, "to_json"):  # pandas DataFrame / Series
        try:
            return json.loads(
                value.to_json(orient="records", date_format="iso", default_handler=str)
            )
        except Exception:
            pass
    tolist = getattr(value, "tolist", None)  # numpy arrays and scalars
    if callable(tolist):
        try:
            return tolist()
        except Exception:
            pass
    if isinstance(value, (set, frozenset)):
        return sorted(value, key=repr)
    return str(value)


def _to_text(value: Any) -> str:
    if isinstance(value, str):
        return _well_formed(value)
    return _well_formed(json.dumps(value, default=_json_default, ensure_ascii=False))


def _is_content_blocks(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(b, Mapping) and b.get("type") in _BLOCK_TYPES for b in value)
    )


def to_tool_result_content(value: Any) -> str | list[dict[str, Any]]:
    """What a tool returned, as tool_result content the API accepts.

    str stays; None → "" (the call succeeded with nothing to say — "null" would read as a
    value); image bytes (PNG/JPEG/GIF/WebP by magic number) and PIL images → image blocks;
    a list holding images → blocks (text blocks for the rest); a list of API content blocks
    (as `ToolError` takes) passes through; anything else → JSON text.
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return _well_formed(value)
    image = _as_image(value)
    if image is not None:
        return [image]
    if _is_content_blocks(value):
        return [dict(b) for b in value]
    if isinstance(value, (list, tuple)):
        images = [_as_image(item) for item in value]
        if any(images):
            blocks: list[dict[str, Any]] = []
            for item, img in zip(value, images, strict=True):
                if img is not None:
                    blocks.append(img)
                elif item is not None:
                    text = _to_text(item)
                    if text:  # the API rejects empty text blocks
                        blocks.append({"type": "text", "text": text})
            return blocks
    return _to_text(value)


def tool_result_block(outcome: ToolOutcome) -> dict[str, Any]:
    """The `tool_result` block the next request's user message carries."""
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": outcome.tool_use_id,
        "content": outcome.content,
    }
    if outcome.is_error:
        block["is_error"] = True
    return block


# ---------------------------------------------------------------------------- server tools


def server_tool_specs(names: Iterable[str]) -> list[dict[str, Any]]:
    """Definitions of the API's server-run tools from friendly names or full type strings."""
    specs: list[dict[str, Any]] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if name in SERVER_TOOLS:
            spec = dict(SERVER_TOOLS[name])
        elif m := _SERVER_TYPE_RE.match(name):
            spec = {"type": name, "name": m.group(1)}
        else:
            valid = ", ".join(SERVER_TOOLS)
            raise ToolSpecError(
                f"Unknown server tool {name!r}; use one of {valid} "
                "(or a full type such as 'web_search_20250305')."
            )
        if all(s["name"] != spec["name"] for s in specs):
            specs.append(spec)
    return specs


def describe(tool: LocalTool) -> str:
    """The schema that will be sent, pretty-printed for `%claude tools NAME`."""
    return json.dumps(tool.schema, indent=2, ensure_ascii=False)
