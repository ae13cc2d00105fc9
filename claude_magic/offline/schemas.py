"""JSON schemas in the simulator: building values that match one, and checking the schemas of
structured outputs (``output_config.format``).

Values (tool inputs, structured-output replies) are deterministic: numbers and strings are
taken from the prompt in order (quoted text, ``name: value`` pairs, capitalised words), then
fall back to fixed values; ``enum`` and ``anyOf`` take their first (non-null) option, arrays
hold one item, ``$ref`` follows local references (``#/$defs/...``, ``#/definitions/...``),
``allOf`` merges its parts, string ``format`` and simple ``pattern`` values are honoured.
Tool inputs carry the required properties only; structured outputs carry every property,
required ones first then optional ones, in schema order (the order the docs describe).

Schema rules for ``output_config.format.schema`` follow "Structured outputs" › "JSON Schema
limitations" (platform.claude.com/docs/en/build-with-claude/structured-outputs): supported are
the basic types (also as type arrays), ``enum`` of primitives, ``const``, ``anyOf``, ``allOf``
(not with ``$ref``), local ``$ref`` with ``$defs``/``definitions``, ``default``, ``required``,
``additionalProperties: false``, the listed string formats, ``minItems`` 0 or 1 and simple
``pattern`` regexes; rejected with a 400 are recursive schemas, complex enum values, external
``$ref``, numeric and string-length constraints, other array constraints,
``additionalProperties`` other than false, and the documented regex features that are not
supported (backreferences, lookaround, ``\\b``). The explicit complexity limits (24 optional
properties, 16 union-typed properties) are checked. The docs give no wording for these
errors; the messages here are the simulator's own, each naming the keyword and where it is.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from .errors import invalid

SUPPORTED_TYPES = {"object", "array", "string", "integer", "number", "boolean", "null"}
SUPPORTED_FORMATS = {
    "date-time": "2026-01-01T00:00:00Z",
    "time": "00:00:00Z",
    "date": "2026-01-01",
    "duration": "P1D",
    "email": "offline@example.com",
    "hostname": "offline.example.com",
    "uri": "https://example.com/offline",
    "ipv4": "192.0.2.1",
    "ipv6": "2001:db8::1",
    "uuid": "",  # derived from the property name
}
UNSUPPORTED_KEYWORDS = {
    "minimum": "numerical constraints",
    "maximum": "numerical constraints",
    "exclusiveMinimum": "numerical constraints",
    "exclusiveMaximum": "numerical constraints",
    "multipleOf": "numerical constraints",
    "minLength": "string constraints",
    "maxLength": "string constraints",
    "maxItems": "array constraints beyond minItems of 0 or 1",
    "uniqueItems": "array constraints beyond minItems of 0 or 1",
    "contains": "array constraints beyond minItems of 0 or 1",
    "minContains": "array constraints beyond minItems of 0 or 1",
    "maxContains": "array constraints beyond minItems of 0 or 1",
    "prefixItems": "array constraints beyond minItems of 0 or 1",
    "unevaluatedItems": "array constraints beyond minItems of 0 or 1",
    "minProperties": "object constraints",
    "maxProperties": "object constraints",
    "patternProperties": "object constraints",
    "propertyNames": "object constraints",
    "unevaluatedProperties": "object constraints",
    "dependentRequired": "object constraints",
    "dependentSchemas": "object constraints",
    "oneOf": "oneOf (use anyOf)",
    "not": "not",
    "if": "conditional schemas",
    "then": "conditional schemas",
    "else": "conditional schemas",
    "$dynamicRef": "dynamic references",
}
MAX_OPTIONAL = 24
MAX_UNIONS = 16
_BAD_REGEX = [
    (re.compile(r"\\[1-9]"), "backreferences"),
    (re.compile(r"\(\?<?[=!]"), "lookahead/lookbehind assertions"),
    (re.compile(r"\\[bB]"), "word boundaries"),
]
_MAX_DEPTH = 6


# ---------------------------------------------------------------- values from a schema


class Source:
    """Values harvested from the prompt, handed out in order."""

    def __init__(self, prompt: str, skip: Iterable[str] = ()) -> None:
        self.prompt = prompt
        self.numbers = [float(n) for n in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?", prompt)]
        # Double or curly quotes; a single quote only when not inside a word ("What's").
        quoted = re.findall(
            r"[\"\u201c]([^\"\u201d]{1,200})[\"\u201d]|(?<!\w)'([^']{1,200})'(?!\w)", prompt
        )
        self.quoted = [a or b for a, b in quoted]
        words = re.findall(r"[A-Za-z][\w-]*", prompt)
        lower_skip = {s.lower() for s in skip}
        self.words = [w for w in words if w.lower() not in lower_skip and len(w) > 3]
        caps = [w for w in self.words if w[0].isupper()]
        self.words = caps + [w for w in self.words if w not in caps]

    def number(self, integer: bool) -> int | float:
        n = self.numbers.pop(0) if self.numbers else 1.0
        return int(n) if integer or n.is_integer() else n

    def string(self, name: str) -> str:
        m = re.search(rf"\b{re.escape(name)}\s*[:=]?\s*[\"']?([\w.@/-]+)", self.prompt, re.I)
        if m and m.group(1).lower() not in ("is", "of", "the", "a"):
            return m.group(1)
        if self.quoted:
            return self.quoted.pop(0)
        if self.words:
            return self.words.pop(0)
        return "example"


class Builder:
    """Builds a value matching a schema; `$ref`s resolve against `root`."""

    def __init__(self, root: dict, src: Source, *, optional: bool) -> None:
        self.root = root
        self.src = src
        self.optional = optional

    def resolve(self, schema: dict) -> dict:
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
            target = resolve_pointer(self.root, schema["$ref"])
            if target is None:
                return {}
            schema, seen = target, seen + 1
        return schema

    def value(self, schema: Any, name: str, depth: int = 0) -> Any:
        schema = self.resolve(schema) if isinstance(schema, dict) else None
        if not isinstance(schema, dict):
            return None
        if "const" in schema:
            return schema["const"]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf"):
            if schema.get(key):
                options = [s for s in schema[key] if self.resolve(s).get("type") != "null"]
                return self.value((options or schema[key])[0], name, depth)
        if schema.get("allOf"):
            return self.value(self.merged(schema), name, depth)
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind == "integer":
            return self.src.number(True)
        if kind == "number":
            return self.src.number(False)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        if kind == "array":
            if depth > _MAX_DEPTH:
                return []
            return [self.value(schema.get("items", {"type": "string"}), name, depth + 1)]
        if kind == "object" or "properties" in schema:
            return {} if depth > _MAX_DEPTH else self.object(schema, depth + 1)
        return self.string(schema, name)

    def object(self, schema: dict, depth: int = 0) -> dict:
        schema = self.resolve(schema)
        props = schema.get("properties") or {}
        required = schema.get("required")
        if required is None and not self.optional:
            names = list(props)
        else:
            names = list(required or [])
            if self.optional:
                names += [n for n in props if n not in names]
        return {n: self.value(props.get(n, {"type": "string"}), n, depth) for n in names}

    def merged(self, schema: dict) -> dict:
        """An allOf schema as one schema (properties and required lists combined)."""
        out = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = self.resolve(part)
            for key, val in part.items():
                if key == "properties":
                    out["properties"] = {**out.get("properties", {}), **val}
                elif key == "required":
                    out["required"] = [*out.get("required", []), *val]
                else:
                    out.setdefault(key, val)
        return out

    def string(self, schema: dict, name: str) -> str:
        fmt = schema.get("format")
        if fmt == "uuid":
            h = hashlib.sha256(f"offline:{name}".encode()).hexdigest()
            return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"
        if fmt in SUPPORTED_FORMATS:
            return SUPPORTED_FORMATS[fmt]
        value = self.src.string(name)
        pattern = schema.get("pattern")
        if isinstance(pattern, str):
            return matching(pattern, value)
        return value


def resolve_pointer(root: dict, ref: str) -> Any:
    """The schema a local `$ref` ("#", "#/$defs/X", "#/definitions/X/...") points at."""
    if not ref.startswith("#"):
        return None
    node: Any = root
    for part in [p for p in ref[1:].split("/") if p]:
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def matching(pattern: str, preferred: str) -> str:
    """`preferred` if it matches `pattern` (JSON Schema patterns match anywhere), else the
    shortest string the pattern's simple syntax produces."""
    try:
        rx = re.compile(pattern)
    except re.error:
        return preferred
    if rx.search(preferred):
        return preferred
    try:
        import re._parser as sre  # the stdlib's own regex parser

        made = _generate(sre.parse(pattern))
    except Exception:  # noqa: BLE001 - an unusual pattern falls back to the plain value
        return preferred
    return made if rx.search(made) else preferred


def _generate(tokens: Any) -> str:
    import re._constants as c

    out = []
    for op, arg in tokens:
        if op == c.LITERAL:
            out.append(chr(arg))
        elif op == c.ANY:
            out.append("x")
        elif op == c.IN:
            out.append(_one_of(arg))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
            low, _high, sub = arg
            out.append(_generate(sub) * low)
        elif op == c.SUBPATTERN:
            out.append(_generate(arg[-1]))
        elif op == c.BRANCH:
            out.append(_generate(arg[1][0]))
        elif op == c.AT:
            continue
        else:
            raise ValueError(f"unsupported regex construct {op}")
    return "".join(out)


def _one_of(items: Any) -> str:
    import re._constants as c

    for op, arg in items:
        if op == c.NEGATE:
            raise ValueError("negated class")
        if op == c.LITERAL:
            return chr(arg)
        if op == c.RANGE:
            return chr(arg[0])
        if op == c.CATEGORY:
            return {c.CATEGORY_DIGIT: "0", c.CATEGORY_SPACE: " "}.get(arg, "a")
    raise ValueError("empty class")


def tool_input(tool: dict, prompt: str) -> dict:
    """A tool_use input for `tool`: its required properties, values from the prompt."""
    schema = tool.get("input_schema") or {}
    builder = Builder(schema, Source(prompt, {tool.get("name", "")}), optional=False)
    return builder.object(schema)


def structured_value(schema: dict, prompt: str) -> Any:
    """A value valid against an `output_config.format` schema (every property present)."""
    return Builder(schema, Source(prompt), optional=True).value(schema, "value")


# ---------------------------------------------------------------- checking output_config


def format_of(body: dict) -> dict | None:
    """The request's `output_config.format` as sent (None when absent), unchecked."""
    config = body.get("output_config")
    fmt = config.get("format") if isinstance(config, dict) else None
    return fmt if isinstance(fmt, dict) else None


def output_format(body: dict) -> dict | None:
    """The request's `output_config.format` (None when absent), its shape checked (400)."""
    config = body.get("output_config")
    if config is None:
        return None
    if not isinstance(config, dict):
        raise invalid("output_config: Input should be a valid dictionary")
    fmt = config.get("format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict):
        raise invalid("output_config.format: Input should be a valid dictionary")
    if fmt.get("type") != "json_schema":
        raise invalid("output_config.format.type: Input should be 'json_schema'")
    if "schema" not in fmt:
        raise invalid("output_config.format.json_schema.schema: Field required")
    if not isinstance(fmt["schema"], dict):
        raise invalid("output_config.format.json_schema.schema: Input should be a valid dictionary")
    extra = sorted(set(fmt) - {"type", "schema"})
    if extra:
        where = f"output_config.format.json_schema.{extra[0]}"
        raise invalid(f"{where}: Extra inputs are not permitted")
    return fmt


def check_output_schema(schema: dict) -> None:
    """400 for a schema feature structured outputs do not support (see the module docstring)."""
    checker = _SchemaCheck(schema)
    checker.walk(schema, "#")
    for key in ("$defs", "definitions"):
        defs = schema.get(key) or {}
        if not isinstance(defs, dict):
            _reject(f"`{key}` must be an object", "#")
        for name, sub in defs.items():
            checker.walk(sub, f"#/{key}/{name}")
    checker.check_cycles()
    if checker.optional > MAX_OPTIONAL:
        _reject(
            f"the schema has {checker.optional} optional properties; at most {MAX_OPTIONAL} "
            "are allowed across strict schemas (mark more properties as required)",
            "#",
        )
    if checker.unions > MAX_UNIONS:
        _reject(
            f"the schema has {checker.unions} properties with union types (anyOf or type "
            f"arrays); at most {MAX_UNIONS} are allowed",
            "#",
        )


def _reject(what: str, where: str) -> None:
    raise invalid(f"output_config.format.schema: {what} (at `{where}`)")


class _SchemaCheck:
    """Walks each schema once ($ref targets are walked as definitions, not at each use)."""

    def __init__(self, root: dict) -> None:
        self.root = root
        self.optional = 0
        self.unions = 0
        self.edges: dict[str, set[str]] = {}  # definition -> definitions it references

    def walk(self, schema: Any, where: str, owner: str | None = None) -> None:
        """Check `schema` (at `where`), part of the definition `owner` (default: itself)."""
        owner = owner or where
        if not isinstance(schema, dict):
            _reject("a schema must be a JSON object (boolean schemas are not supported)", where)
        for key in schema:
            if key in UNSUPPORTED_KEYWORDS:
                _reject(f"`{key}` is not supported ({UNSUPPORTED_KEYWORDS[key]})", where)
        ref = schema.get("$ref")
        if ref is not None:
            if not isinstance(ref, str) or not ref.startswith("#"):
                _reject(f"external `$ref` {ref!r} is not supported", where)
            if resolve_pointer(self.root, ref) is None:
                _reject(f"`$ref` {ref!r} does not resolve to a definition", where)
            self.edges.setdefault(owner, set()).add(ref)
        kind = schema.get("type")
        kinds = kind if isinstance(kind, list) else [kind] if kind is not None else []
        for k in kinds:
            if k not in SUPPORTED_TYPES:
                _reject(f"type {k!r} is not supported", where)
        if "enum" in schema:
            enum = schema["enum"]
            if not isinstance(enum, list) or not enum:
                _reject("`enum` must be a non-empty list", where)
            if any(isinstance(v, (dict, list)) for v in enum):
                _reject("complex types within `enum` are not supported", where)
        for key in ("anyOf", "allOf"):
            parts = schema.get(key)
            if parts is None:
                continue
            if not isinstance(parts, list) or not parts:
                _reject(f"`{key}` must be a non-empty list", where)
            for i, part in enumerate(parts):
                if key == "allOf" and isinstance(part, dict) and "$ref" in part:
                    _reject("`allOf` with `$ref` is not supported", f"{where}/allOf/{i}")
                self.walk(part, f"{where}/{key}/{i}", owner)
        if "object" in kinds or "properties" in schema:
            self._object(schema, where, owner)
        if "array" in kinds or "items" in schema:
            if schema.get("minItems", 0) not in (0, 1):
                _reject("`minItems` other than 0 or 1 is not supported", where)
            if "items" in schema:
                self.walk(schema["items"], f"{where}/items", owner)
        if "format" in schema and schema["format"] not in SUPPORTED_FORMATS:
            _reject(f"string format {schema['format']!r} is not supported", where)
        if "pattern" in schema:
            self._pattern(schema["pattern"], where)

    def check_cycles(self) -> None:
        """400 when a definition reaches itself through `$ref`s (a recursive schema)."""

        def visit(node: str, path: tuple[str, ...]) -> None:
            for ref in sorted(self.edges.get(node, ())):
                if ref in path or ref == node:
                    _reject(f"recursive schemas are not supported (`$ref` {ref!r})", node)
                visit(ref, (*path, ref))

        visit("#", ("#",))
        for node in list(self.edges):
            visit(node, (node,))

    def _object(self, schema: dict, where: str, owner: str) -> None:
        extra = schema.get("additionalProperties", False)
        if extra is not False:
            _reject("`additionalProperties` must be false for objects", where)
        props = schema.get("properties") or {}
        if not isinstance(props, dict):
            _reject("`properties` must be an object", where)
        required = schema.get("required") or []
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            _reject("`required` must be a list of property names", where)
        for name, prop in props.items():
            if name not in required:
                self.optional += 1
            if isinstance(prop, dict) and ("anyOf" in prop or isinstance(prop.get("type"), list)):
                self.unions += 1
            self.walk(prop, f"{where}/properties/{name}", owner)

    def _pattern(self, pattern: Any, where: str) -> None:
        if not isinstance(pattern, str):
            _reject("`pattern` must be a string", where)
        for rx, feature in _BAD_REGEX:
            if rx.search(pattern):
                _reject(f"`pattern` uses {feature}, which are not supported", where)
        try:
            re.compile(pattern)
        except re.error as exc:
            _reject(f"`pattern` is not a valid regular expression ({exc})", where)
