"""What one row's request came to, the result DataFrame, and the ledger rows of billed calls.

An `Outcome` is made from a Message (a batch's `succeeded` result or a realtime call) or
from a row that produced none (`errored`, `expired`, `canceled`, a realtime call that
failed). With a schema, the reply's text is checked against it; a refusal or a reply that
does not match is that row's `error`, never an exception for the whole job. Only calls that
returned a Message were billed, and only those become ledger rows.
No IPython or widget import; pandas is imported where a frame is built.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import Enum
from typing import Any

from ..structured import ReplyMismatch, Schema
from ..turn import CallRecord

META_COLUMNS = ("stop_reason", "input_tokens", "output_tokens", "cost_usd", "error")
"""Columns every result has after the reply's own (`response`, or the schema's fields)."""
_DTYPES = {
    "integer": ("Int64", int),
    "number": ("Float64", (int, float)),
    "boolean": ("boolean", bool),
    "string": ("string", str),
}
"""The dtype of a schema field's column by its JSON type (when every value has that type)."""
NOT_RUN = {
    "expired": "expired: the batch reached its 24-hour limit before this request ran",
    "canceled": "canceled: the batch was canceled before this request ran",
}


@dataclass
class Outcome:
    """One row's result."""

    text: str | None = None
    stop_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    model: str | None = None
    error: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    """The schema's fields, parsed from the reply."""
    request_id: str | None = None
    total_s: float = math.nan
    billed: bool = False

    @property
    def cost_usd(self) -> float:
        from ..pricing import cost_usd

        if not self.billed or not self.model:
            return math.nan
        return cost_usd(self.model, self.usage)  # the batch discount follows service_tier

    @classmethod
    def of_message(cls, message: Any, schema: Schema | None) -> Outcome:
        """The outcome of a returned Message (billed): its text, or the schema's fields."""
        texts = [block.text for block in message.content if block.type == "text"]
        usage = message.usage.model_dump(mode="json", exclude_none=True) if message.usage else {}
        outcome = cls(
            text="\n\n".join(texts),
            stop_reason=message.stop_reason,
            usage=usage,
            model=message.model,
            request_id=getattr(message, "_request_id", None),
            billed=True,
        )
        if message.stop_reason == "refusal":
            outcome.error = _refusal(getattr(message, "stop_details", None))
        else:
            outcome.read_as(schema, "".join(texts))
        return outcome

    def read_as(self, schema: Schema | None, text: str | None = None) -> None:
        """The schema's fields from the reply's text (`text`, else the joined text blocks),
        or that row's error; a refusal stays a refusal."""
        if self.stop_reason == "refusal" or not self.billed:
            return
        self.values, self.error = {}, None
        if schema is None:
            return
        try:
            self.values = schema.columns(schema.parse(self.text if text is None else text))
        except ReplyMismatch as exc:
            cut = self.stop_reason == "max_tokens"
            self.error = str(exc) + (" (cut off by max_tokens: raise it)" if cut else "")

    @classmethod
    def failed(cls, error: str) -> Outcome:
        """A row with no reply (not billed)."""
        return cls(error=error)


def of_batch_result(result: Any, schema: Schema | None) -> Outcome:
    """The outcome of one line of a batch's results (an SDK MessageBatchResult)."""
    kind = result.type
    if kind == "succeeded":
        outcome = Outcome.of_message(result.message, schema)
        # a batch's request is billed at the batch price, even when the usage leaves the
        # tier out (the ledger's service_tier and the half price follow it)
        outcome.usage.setdefault("service_tier", "batch")
        return outcome
    if kind == "errored":
        error = getattr(result.error, "error", None)
        what = getattr(error, "type", None) or "error"
        message = getattr(error, "message", None) or "no message"
        return Outcome.failed(f"errored: {what}: {message}")
    return Outcome.failed(NOT_RUN.get(kind, f"{kind}: no result"))


def _refusal(details: Any) -> str:
    category = getattr(details, "category", None)
    explanation = getattr(details, "explanation", None)
    said = f": {explanation}" if explanation else ""
    return f"refusal{f' ({category})' if category else ''}{said}"


def call_record(outcome: Outcome, *, offline: bool, started_at: str | None = None) -> CallRecord:
    """The ledger's record of a billed row."""
    assert outcome.billed and outcome.model is not None
    return CallRecord(
        model=outcome.model,
        usage=outcome.usage,
        stop_reason=outcome.stop_reason,
        request_id=outcome.request_id,
        started_at=started_at or datetime.now(timezone.utc).isoformat(),
        ttft_s=None,
        total_s=outcome.total_s,
        offline=offline,
        cost_usd=outcome.cost_usd,
    )


def result_frame(index: Any, outcomes: list[Outcome | None], schema: Schema | None) -> Any:
    """The result DataFrame on `index` (one outcome a position): the reply (`response`, or
    one column per field of the schema), then META_COLUMNS."""
    import pandas as pd

    got = [o or Outcome.failed("no result for this row") for o in outcomes]
    data: dict[str, Any] = {}
    if schema is None:
        data["response"] = pd.Series([o.text for o in got], index=index, dtype="string")
    else:
        types = schema.field_types() if schema.fields() else {"output": None}
        for name, kind in types.items():
            values = [o.values.get(name) for o in got]
            data[name] = _column(values, kind, index)
    data["stop_reason"] = pd.Series([o.stop_reason for o in got], index=index, dtype="string")
    for counter in ("input_tokens", "output_tokens"):
        values = [o.usage.get(counter) if o.billed else None for o in got]
        data[counter] = pd.Series(values, index=index, dtype="Int64")
    data["cost_usd"] = pd.Series([o.cost_usd for o in got], index=index, dtype="float64")
    data["error"] = pd.Series([o.error for o in got], index=index, dtype="string")
    return pd.DataFrame(data, index=index)


def _column(values: list[Any], kind: str | None, index: Any) -> Any:
    """A schema field's column: a nullable dtype when every value has the field's JSON
    type, else Python objects (nested objects, lists, enums, dates stay as they are)."""
    import pandas as pd

    dtype, types = _DTYPES.get(kind or "", (None, None))
    if dtype is not None and all(_plain(v, types, kind) for v in values):
        return pd.Series(values, index=index, dtype=dtype)
    return pd.Series(values, index=index, dtype=object)


def _plain(value: Any, types: Any, kind: str | None) -> bool:
    if value is None:
        return True
    if isinstance(value, Enum) or (isinstance(value, bool) and kind != "boolean"):
        return False
    return isinstance(value, types)
