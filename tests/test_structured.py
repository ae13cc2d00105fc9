"""Structured outputs: `%%claude --schema NAME` and the Schema both it and `batch` use."""

from __future__ import annotations

import pydantic
import pytest
from IPython.core.error import UsageError

import claude_magic
from claude_magic.structured import ReplyMismatch, Schema

PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}


class Address(pydantic.BaseModel):
    city: str


class Person(pydantic.BaseModel):
    name: str
    age: int
    home: Address | None = None


def sent() -> list[dict]:
    return [r.json for r in claude_magic.simulator().requests if r.path == "/v1/messages"]


def test_schema_sends_json_schema_and_out_holds_the_parsed_message(ipython):
    """Done when: `%%claude --schema Person -o p` sends a json_schema output_config and
    `p.parsed_output` is a Person."""
    ipython.user_ns["Person"] = Person
    ipython.run_cell_magic("claude", "--schema Person -o p --effort low", "Ann is 31.")
    config = sent()[-1]["output_config"]
    assert config["effort"] == "low" and config["format"]["type"] == "json_schema"
    assert config["format"]["schema"]["title"] == "Person"
    assert config["format"]["schema"]["additionalProperties"] is False  # as the SDK sends it
    p = ipython.user_ns["p"]
    assert type(p).__name__ == "ParsedMessage"
    assert isinstance(p.parsed_output, Person) and p.parsed_output.age == 31
    # the chat keeps the reply as its JSON text: nothing new in the turn record
    reply = claude_magic.get_chat().messages[-1]
    texts = [b["text"] for b in reply["content"] if b["type"] == "text"]
    assert Person.model_validate_json(texts[0]) == p.parsed_output


def test_a_dict_schema_is_sent_as_written_and_parsed_to_a_dict(ipython):
    ipython.user_ns["person"] = PERSON
    ipython.run_cell_magic("claude", "--schema person -o q --no-stream", "Bob is 40.")
    assert sent()[-1]["output_config"] == {"format": {"type": "json_schema", "schema": PERSON}}
    parsed = ipython.user_ns["q"].parsed_output
    assert isinstance(parsed, dict) and parsed["age"] == 40 and set(parsed) == {"name", "age"}


def test_a_reply_that_does_not_match_is_a_clear_error(ipython):
    ipython.user_ns["Person"] = Person
    ipython.user_ns.pop("p", None)
    claude_magic.simulator().script('{"name": "Ann", "age": "old"}')
    with pytest.raises(ReplyMismatch, match=r"does not match Person: age: Input should be a "
                       r"valid integer.*p was not set"):  # fmt: skip
        ipython.run_cell_magic("claude", "--schema Person -o p", "Ann")
    assert "p" not in ipython.user_ns
    assert len(claude_magic.get_chat()) == 1  # the reply itself is in the chat


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("--schema Nobody", "no variable 'Nobody' in the notebook"),
        ("--schema number", "--schema number: number is int, not a schema"),
        ("--schema Plain", "the class Plain (not a pydantic model)"),
        ("--schema ann", "ann is an instance of Person (pass the class itself, Person)"),
        ("--schema notschema", "is not a JSON schema"),
        ("--schema badschema", "is not a valid JSON schema"),
        ("--schema Person.nope", "Person has no attribute 'nope'"),
        ("--schema 'a b'", "needs the name of a variable"),
        ("--schema Person --prefill {", "--prefill cannot be combined with --schema"),
    ],
)
def test_bad_schemas_are_usage_errors_before_sending(ipython, line, message):
    class Plain:
        pass

    ipython.user_ns.update(
        Person=Person,
        number=3,
        Plain=Plain,
        ann=Person(name="Ann", age=31),
        notschema={"name": "x"},
        badschema={"type": 12},
    )
    before = len(sent())
    with pytest.raises(UsageError) as info:
        ipython.run_cell_magic("claude", line, "Ann is 31.")
    assert message in str(info.value) and "\n" not in str(info.value)
    assert len(sent()) == before


def test_schema_fields_types_and_values():
    schema = Schema.of(Person)
    assert schema.fields() == ["name", "age", "home"]
    assert schema.field_types() == {"name": "string", "age": "integer", "home": None}
    value = schema.parse('{"name": "Ann", "age": 3, "home": {"city": "Oslo"}}')
    assert schema.columns(value) == {"name": "Ann", "age": 3, "home": Address(city="Oslo")}
    plain = Schema.of(PERSON, "person")
    assert plain.format_param() == {"type": "json_schema", "schema": PERSON}
    assert plain.columns(plain.parse('{"name": "B", "age": 2}')) == {"name": "B", "age": 2}
    with pytest.raises(ReplyMismatch, match="does not match person: age: 'x' is not of type"):
        plain.parse('{"name": "B", "age": "x"}')
    with pytest.raises(ReplyMismatch, match="invalid JSON"):
        plain.parse("{not json")
    with pytest.raises(ReplyMismatch, match="empty"):
        plain.parse("")
    listing = Schema.of({"type": "array", "items": {"type": "string"}})
    assert listing.fields() == [] and listing.columns(["a"]) == {"output": ["a"]}
