"""Structured outputs (output_config.format) through the real SDK: JSON valid against the
schema, the SDK's parse()/stream(output_format=...) helpers, and the documented 400s."""

from __future__ import annotations

import datetime
import enum
import json
from typing import Literal

import anthropic
import jsonschema
import pydantic
import pytest

from claude_magic.offline import Simulator, serve

MODEL = "claude-sonnet-5-5"
PROMPT = ('Extract the lead: "John Smith" (john@example.com) wants the Enterprise plan '
          "for 25 seats and a demo.")

SCHEMA = {
    "type": "object",
    "$defs": {
        "Address": {"type": "object",
                    "properties": {"city": {"type": "string"},
                                   "zip": {"anyOf": [{"type": "string"}, {"type": "null"}]}},
                    "required": ["city"], "additionalProperties": False},
    },
    "properties": {
        "notes": {"type": "string"},
        "name": {"type": "string"},
        "email": {"type": "string", "format": "email"},
        "plan": {"type": "string", "enum": ["Free", "Pro", "Enterprise"]},
        "seats": {"type": "integer"},
        "budget": {"type": "number"},
        "demo": {"type": "boolean"},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "address": {"$ref": "#/$defs/Address"},
        "contacts": {"type": "array", "items": {"$ref": "#/$defs/Address"}},
        "code": {"type": "string", "pattern": "^[A-Z]{2}-\\d{3}$"},
        "when": {"type": "string", "format": "date-time"},
        "id": {"type": "string", "format": "uuid"},
        "maybe": {"type": ["integer", "null"]},
        "kind": {"const": "lead"},
    },
    "required": ["name", "email", "plan", "seats", "demo", "tags", "address", "code"],
    "additionalProperties": False,
}


def fmt(schema: dict) -> dict:
    return {"format": {"type": "json_schema", "schema": schema}}


@pytest.fixture
def sim() -> Simulator:
    return Simulator()


@pytest.fixture
def client(sim) -> anthropic.Anthropic:
    return sim.client(max_retries=0)


def ask(client, schema=SCHEMA, **kw):
    kw.setdefault("messages", [{"role": "user", "content": PROMPT}])
    return client.messages.create(model=MODEL, max_tokens=4000,
                                  output_config=fmt(schema), **kw)


def test_reply_is_json_valid_against_the_schema(client):
    msg = ask(client)
    (text,) = [b for b in msg.content if b.type == "text"]
    value = json.loads(text.text)
    jsonschema.Draft202012Validator(SCHEMA).validate(value)
    assert list(value)[:8] == SCHEMA["required"]  # required first, then optional, schema order
    assert set(value) == set(SCHEMA["properties"])
    assert value["name"] == "John Smith" and value["seats"] == 25
    assert value["plan"] == "Free" and value["kind"] == "lead"
    assert msg.stop_reason == "end_turn"
    # streaming gives the same message
    with client.messages.stream(model=MODEL, max_tokens=4000, output_config=fmt(SCHEMA),
                                messages=[{"role": "user", "content": PROMPT}]) as stream:
        streamed = stream.get_final_message()
    assert streamed.content[-1].text == text.text


def test_non_object_roots(client):
    for schema in ({"type": "array", "items": {"type": "integer"}},
                   {"type": "string", "enum": ["yes", "no"]},
                   {"anyOf": [{"type": "null"}, {"type": "boolean"}]}):
        value = json.loads(ask(client, schema).content[-1].text)
        jsonschema.Draft202012Validator(schema).validate(value)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


class Address(pydantic.BaseModel):
    city: str
    zip: str | None = None


class Lead(pydantic.BaseModel):
    name: str
    seats: int = pydantic.Field(ge=0)
    plan: Literal["Free", "Pro", "Enterprise"]
    favourite: Color
    demo: bool
    tags: list[str]
    home: Address
    others: list[Address] = []
    since: datetime.date
    score: float | None = None


def test_sdk_parse_and_stream_helpers_give_instances(client):
    msg = client.messages.parse(model=MODEL, max_tokens=4000, output_format=Lead,
                                messages=[{"role": "user", "content": PROMPT}])
    lead = msg.parsed_output
    assert isinstance(lead, Lead) and isinstance(lead.home, Address)
    assert lead.name == "John Smith" and lead.seats == 25 and lead.favourite is Color.RED
    assert msg.content[0].type == "thinking"  # thinking on by default, JSON in the text
    with client.messages.stream(model=MODEL, max_tokens=4000, output_format=Lead,
                                messages=[{"role": "user", "content": PROMPT}]) as stream:
        final = stream.get_final_message()
    assert isinstance(final.parsed_output, Lead) and final.parsed_output == lead


def test_parse_over_loopback():
    with serve() as server:
        remote = anthropic.Anthropic(base_url=server.url, api_key="k", max_retries=0)
        msg = remote.messages.parse(model=MODEL, max_tokens=4000, output_format=Address,
                                    messages=[{"role": "user", "content": "city: Oslo"}])
    assert msg.parsed_output.city == "Oslo" and isinstance(msg.parsed_output.zip, str)


def test_scripted_reply_wins(sim, client):
    sim.script('{"city": "Bergen"}')
    msg = client.messages.parse(model=MODEL, max_tokens=4000, output_format=Address,
                                messages=[{"role": "user", "content": "x"}])
    assert msg.parsed_output == Address(city="Bergen")


def test_tools_with_structured_output(client):
    tool = {"name": "lookup", "description": "Look a city up",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}},
                             "required": ["city"]}}
    first = client.messages.create(
        model=MODEL, max_tokens=4000, tools=[tool], output_config=fmt(Address.model_json_schema()),
        messages=[{"role": "user", "content": "Use lookup for 'Oslo'"}])
    assert first.stop_reason == "tool_use"
    assert [b.type for b in first.content] == ["thinking", "tool_use"]  # no free text
    use = first.content[-1]
    done = client.messages.create(
        model=MODEL, max_tokens=4000, tools=[tool], output_config=fmt(Address.model_json_schema()),
        messages=[{"role": "user", "content": "Use lookup for 'Oslo'"}, first.to_param(),
                  {"role": "user", "content": [{"type": "tool_result", "tool_use_id": use.id,
                                                "content": "Oslo, 0150"}]}])
    assert Address.model_validate_json(done.content[-1].text)


@pytest.mark.parametrize(("output_config", "needle"), [
    ({"format": {"type": "json_object", "schema": {}}}, "output_config.format.type"),
    ({"format": {"type": "json_schema"}}, "schema: Field required"),
    ({"format": {"type": "json_schema", "schema": "x"}}, "valid dictionary"),
    (fmt({"type": "integer", "minimum": 1}), "`minimum` is not supported"),
    (fmt({"type": "string", "maxLength": 9}), "`maxLength` is not supported"),
    (fmt({"type": "array", "items": {"type": "string"}, "minItems": 2}), "`minItems`"),
    (fmt({"type": "object", "properties": {}, "additionalProperties": True}),
     "`additionalProperties` must be false"),
    (fmt({"type": "string", "format": "binary"}), "string format 'binary'"),
    (fmt({"type": "string", "pattern": "(?=a)b"}), "lookahead/lookbehind"),
    (fmt({"type": "string", "pattern": "(a)\\1"}), "backreferences"),
    (fmt({"enum": [{"a": 1}]}), "complex types within `enum`"),
    (fmt({"$ref": "https://example.com/schema.json"}), "external `$ref`"),
    (fmt({"$ref": "#/$defs/Node", "$defs": {"Node": {
        "type": "object", "properties": {"next": {"$ref": "#/$defs/Node"}},
        "additionalProperties": False}}}), "recursive schemas are not supported"),
    (fmt({"allOf": [{"$ref": "#/$defs/A"}], "$defs": {"A": {"type": "string"}}}),
     "`allOf` with `$ref`"),
    (fmt({"type": "object", "additionalProperties": False,
          "properties": {f"p{i}": {"type": "string"} for i in range(25)}}),
     "25 optional properties"),
    (fmt({"oneOf": [{"type": "string"}, {"type": "integer"}]}), "`oneOf` is not supported"),
])
def test_unsupported_or_malformed_formats_are_400(client, output_config, needle):
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model=MODEL, max_tokens=100, output_config=output_config,
                               messages=[{"role": "user", "content": "x"}])
    assert needle in info.value.api_message


def test_incompatible_features_are_400(client):
    doc = {"type": "document", "citations": {"enabled": True},
           "source": {"type": "text", "media_type": "text/plain", "data": "Otters swim."}}
    with pytest.raises(anthropic.BadRequestError) as info:
        ask(client, messages=[{"role": "user", "content": [doc, {"type": "text", "text": "?"}]}])
    assert "citations" in info.value.api_message
    with pytest.raises(anthropic.BadRequestError) as info:
        client.messages.create(model="claude-haiku-4-5", max_tokens=100,
                               output_config=fmt({"type": "string"}),
                               messages=[{"role": "user", "content": "x"},
                                         {"role": "assistant", "content": '{"'}])
    assert "prefill" in info.value.api_message


def test_count_tokens_counts_the_schema_without_compiling_it(client):
    msgs = [{"role": "user", "content": "x"}]
    plain = client.messages.count_tokens(model=MODEL, messages=msgs).input_tokens
    small = client.messages.count_tokens(model=MODEL, messages=msgs,
                                         output_config=fmt({"type": "string"})).input_tokens
    big = client.messages.count_tokens(model=MODEL, messages=msgs,
                                       output_config=fmt(SCHEMA)).input_tokens
    assert plain < small < big
    # features are checked where the grammar compiles, not by count_tokens
    assert client.messages.count_tokens(
        model=MODEL, messages=msgs, output_config=fmt({"type": "integer", "minimum": 1}))
    with pytest.raises(anthropic.BadRequestError):
        client.messages.count_tokens(model=MODEL, messages=msgs,
                                     output_config={"format": {"type": "json_schema"}})
    msg = ask(client, messages=msgs)
    assert msg.usage.input_tokens == big  # count_tokens and usage agree
