"""Structured outputs: a schema, the `output_config.format` it sends, and replies checked
against it.

A schema is a pydantic model class or a JSON-schema dict. A model class is sent the way
the SDK's own `messages.parse(output_format=Model)` sends it (`anthropic.transform_schema`:
`additionalProperties: false` on objects, unsupported constraints moved into the
description); a dict is sent as written, because the user wrote the wire schema. Replies
are checked against what the user gave: a model validates into an instance, a dict with
`jsonschema` (a dependency of nbformat). `%%claude --schema` and `claude_magic.batch` both
go through here, and request.py puts `format_param()` into the request.

No IPython or widget import; the SDK and jsonschema are imported when first needed.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .errors import ClaudeError

_SCHEMA_KEYS = ("type", "properties", "anyOf", "allOf", "$ref", "enum", "const")
"""A dict with one of these at its top is taken for a JSON schema."""


class ReplyMismatch(ClaudeError):
    """A reply that is not valid JSON, or not what the schema describes."""


def _is_model(obj: Any) -> bool:
    try:
        import pydantic
    except ImportError:  # pragma: no cover - pydantic is a dependency
        return False
    return isinstance(obj, type) and issubclass(obj, pydantic.BaseModel)


@dataclass(frozen=True, eq=False)
class Schema:
    """What a reply must look like: `source` is the model class or the JSON-schema dict."""

    source: Any
    name: str
    _wire: dict[str, Any] | None = field(default=None, repr=False)

    @classmethod
    def of(cls, obj: Any, name: str | None = None) -> Schema:
        """A Schema for a pydantic model class or a JSON-schema dict; TypeError otherwise."""
        if isinstance(obj, Schema):
            return obj
        if _is_model(obj):
            return cls(obj, name or obj.__name__)
        if isinstance(obj, Mapping):
            if not any(key in obj for key in _SCHEMA_KEYS):
                raise TypeError(
                    f"{name or 'the dict'} is not a JSON schema (it has none of "
                    f"{', '.join(_SCHEMA_KEYS)} at its top): pass a pydantic model class or a "
                    'JSON-schema dict such as {"type": "object", "properties": {...}}'
                )
            import jsonschema

            try:
                jsonschema.validators.validator_for(obj).check_schema(obj)
            except jsonschema.SchemaError as exc:
                raise TypeError(
                    f"{name or 'the dict'} is not a valid JSON schema: {exc.message}"
                ) from None
            return cls(copy.deepcopy(dict(obj)), name or str(obj.get("title") or "the schema"))
        what = type(obj).__name__
        if isinstance(obj, type):
            what = f"the class {obj.__name__} (not a pydantic model)"
        elif _is_model(type(obj)):
            what = f"an instance of {what} (pass the class itself, {what})"
        raise TypeError(
            f"{name or 'schema'} is {what}, not a schema: pass a pydantic model class "
            "(class Person(BaseModel): ...) or a JSON-schema dict"
        )

    @property
    def is_model(self) -> bool:
        return _is_model(self.source)

    def wire(self) -> dict[str, Any]:
        """The JSON schema sent in `output_config.format.schema` (computed once)."""
        if self._wire is None:
            if self.is_model:
                from anthropic import transform_schema

                wire = transform_schema(self.source)
            else:
                wire = self.source
            object.__setattr__(self, "_wire", wire)
        assert self._wire is not None
        return self._wire

    def format_param(self) -> dict[str, Any]:
        """The `output_config.format` of a request asking for replies in this schema."""
        return {"type": "json_schema", "schema": self.wire()}

    def fields(self) -> list[str]:
        """Top-level fields of an object schema (attribute names for a model); [] for a
        schema that is not an object."""
        if self.is_model:
            return list(self.source.model_fields)
        properties = self.source.get("properties")
        return list(properties) if isinstance(properties, Mapping) else []

    def field_types(self) -> dict[str, str | None]:
        """Each top-level field's JSON type ("string", "integer", ...; None when it is not
        one simple type), so a column of them can get a matching dtype."""
        properties = self.wire().get("properties") or {}
        keys = {name: name for name in self.fields()}
        if self.is_model:
            keys = {
                name: info.serialization_alias or info.alias or name
                for name, info in self.source.model_fields.items()
            }
        return {name: _simple_type(properties.get(key)) for name, key in keys.items()}

    def parse(self, text: str) -> Any:
        """The reply's value: a model instance, or the JSON value checked against the dict.

        ReplyMismatch (one line) if the text is not JSON or does not match the schema.
        """
        if self.is_model:
            import pydantic

            try:
                return self.source.model_validate_json(text)
            except pydantic.ValidationError as exc:
                raise ReplyMismatch(self._mismatch(text, _pydantic_reason(exc))) from None
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise ReplyMismatch(self._mismatch(text, f"invalid JSON ({exc})")) from None
        import jsonschema

        try:
            jsonschema.validate(value, self.source)
        except jsonschema.ValidationError as exc:
            where = "/".join(str(p) for p in exc.absolute_path)
            raise ReplyMismatch(
                self._mismatch(text, f"{where + ': ' if where else ''}{exc.message}")
            ) from None
        return value

    def columns(self, value: Any) -> dict[str, Any]:
        """A parsed value as {field: value}: the top-level fields of an object schema, else
        one `output` field."""
        fields = self.fields()
        if not fields:
            return {"output": value}
        if self.is_model:
            return {name: getattr(value, name) for name in fields}
        return {name: value.get(name) if isinstance(value, Mapping) else None for name in fields}

    def _mismatch(self, text: str, reason: str) -> str:
        if not text.strip():
            return f"The reply is empty, not JSON matching {self.name}."
        return f"The reply does not match {self.name}: {reason}"


def _simple_type(schema: Any) -> str | None:
    """ "integer" for {"type": "integer"}, also when it may be null; None otherwise."""
    if not isinstance(schema, Mapping):
        return None
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        kind = kinds[0] if len(kinds) == 1 else None
    if kind is None and isinstance(schema.get("anyOf"), list):
        options = [o for o in schema["anyOf"] if not _is_null(o)]
        return _simple_type(options[0]) if len(options) == 1 else None
    if kind is None and isinstance(schema.get("enum"), list):
        if all(isinstance(v, str) for v in schema["enum"]):
            return "string"
    return kind if isinstance(kind, str) else None


def _is_null(schema: Any) -> bool:
    return isinstance(schema, Mapping) and schema.get("type") == "null"


def parsed_message(message: Any, schema: Schema) -> Any:
    """The SDK's `ParsedMessage` for a reply, each text block's `parsed_output` checked
    against `schema` (as `messages.parse` does); ReplyMismatch if a text does not match."""
    from anthropic.types import ParsedMessage

    parsed = ParsedMessage.model_validate(message.to_dict())
    texts = [block for block in parsed.content if block.type == "text"]
    if not texts:
        raise ReplyMismatch(schema._mismatch("", ""))
    for block in texts:
        block.parsed_output = schema.parse(block.text)
    return parsed


def _pydantic_reason(exc: Any) -> str:
    """The first error of a pydantic ValidationError, in one line."""
    errors = exc.errors()
    if not errors:
        return str(exc)
    first = errors[0]
    where = ".".join(str(p) for p in first.get("loc", ()))
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    if first.get("type") == "json_invalid":
        return f"invalid JSON ({first.get('msg')}){more}"
    return f"{where + ': ' if where else ''}{first.get('msg')}{more}"
