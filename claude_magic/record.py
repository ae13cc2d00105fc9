"""The turn record's schema: a saved notebook is input, so a record is checked before use.

A record that restore or the usage reader accepts must make a valid next request: a chat
rebuilt from it is resent to the API. So the schema (pydantic, strict types) rejects what
would break later cells or costs (a chat name that is not a string, a negative position,
replies or calls of the wrong shape, costs as text, empty messages or text blocks, another
record version) with one line saying where. pydantic is imported on first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

RECORD_VERSION = 1


class RecordError(ValueError):
    """A turn record that cannot be used; the message is one line naming the field."""


@dataclass(frozen=True)
class SkippedRecord:
    """A record a reader skipped: where it was and why."""

    path: str
    cell: int
    """1-based position of the code cell in the notebook."""
    cell_id: str | None
    reason: str

    def __str__(self) -> str:
        where = f"cell {self.cell}" + (f" (id {self.cell_id})" if self.cell_id else "")
        return f"skipped {where} of {self.path}: {self.reason}"


@functools.cache
def _schema() -> Any:
    from typing import Annotated, Literal

    from pydantic import BaseModel, ConfigDict, Field, field_validator

    class Strict(BaseModel):
        model_config = ConfigDict(strict=True, extra="allow")

    class Message(Strict):
        role: Literal["user", "assistant"]
        content: Annotated[str, Field(min_length=1)] | list[dict[str, Any]]

        @field_validator("content")
        @classmethod
        def _blocks(cls, content: Any) -> Any:
            if isinstance(content, list):
                if not content:
                    raise ValueError("a message needs at least one content block")
                for block in content:
                    if not isinstance(block.get("type"), str):
                        raise ValueError("every content block needs a string 'type'")
                    if block["type"] == "text" and not (
                        isinstance(block.get("text"), str) and block["text"]
                    ):
                        raise ValueError("a text block needs non-empty 'text'")
            return content

    counter = Annotated[int, Field(ge=0)]

    class Usage(Strict):
        input_tokens: counter = 0
        output_tokens: counter = 0
        cache_creation_input_tokens: counter | None = None
        cache_read_input_tokens: counter | None = None

    class Call(Strict):
        model: str
        usage: Usage
        stop_reason: str | None = None
        request_id: str | None = None
        started_at: str
        ttft_s: float | None = None
        total_s: float = 0.0
        offline: bool = False
        cost_usd: float | None = None
        error: str | None = None
        estimated: bool = False

    class Record(Strict):
        version: Literal[1]
        chat: Annotated[str, Field(min_length=1)]
        cell_id: str | None = None
        execution_count: Annotated[int, Field(ge=0)] | None = None
        model: str = ""
        system: str | list[dict[str, Any]] | None = None
        position: Annotated[int, Field(ge=0)] | None = None
        chat_cells: dict[str, list[str]] | None = None
        user: Message
        replies: list[Message] = []
        calls: list[Call] = []
        cost_usd: float | None = None

        @field_validator("user")
        @classmethod
        def _from_user(cls, user: Message) -> Message:
            if user.role != "user":
                raise ValueError("the first message of a turn is the user's")
            return user

    return Record


def check_record(record: Any) -> None:
    """Raise RecordError (one line) unless `record` is a usable turn record."""
    from pydantic import ValidationError

    if not isinstance(record, dict):
        raise RecordError(f"not a record (a {type(record).__name__}, not an object)")
    if record.get("version") != RECORD_VERSION:
        raise RecordError(
            f"unsupported record version {record.get('version')!r} (this version of "
            f"claude_magic reads version {RECORD_VERSION})"
        )
    try:
        _schema().model_validate(record)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "record"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise RecordError(f"{where}: {first['msg']}{more}") from None
