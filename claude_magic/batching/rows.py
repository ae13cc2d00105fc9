"""From a DataFrame (a Series, a list of strings) and a prompt template to one request a row.

Each row's request is built by request.py (the one home of request building) and keyed by
a `custom_id` made from the row's position, `row-<n>`: unique, within the API's pattern
`^[a-zA-Z0-9_-]{1,64}$`, and independent of the index, which may hold any hashable values
and duplicates. Results are matched back by that id, never by order. Requests are split
into several Message Batches when they pass the API's limits (100,000 requests or 256 MB
a batch). No IPython or widget import; pandas is imported where a frame is read.
"""

from __future__ import annotations

import json
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..formatting import plural
from ..request import RequestOptions, build_request, user_message

CUSTOM_ID_PREFIX = "row-"
MAX_REQUESTS_PER_BATCH = 100_000
"""The API's limit on requests in one Message Batch."""
MAX_BATCH_BYTES = 256 * 1024 * 1024
"""The API's limit on one Message Batch's body (a 413 above it)."""
_BYTES_MARGIN = 0.98
"""Split a little below the byte limit: the sizes are measured without the SDK's envelope."""
_FIELD_ROOT = re.compile(r"[.\[]")
_NOT_OPTIONS = {
    "messages": "the messages are the rows' prompts",
    "model": "use batch's own model= argument",
    "max_tokens": "use batch's own max_tokens= argument",
    "system": "use batch's own system= argument",
    "stream": "batch requests do not stream",
}
"""Request fields `batch` sets itself, and why."""


@dataclass
class Rows:
    """The rows to send: the input's index (kept for the result) and each row's prompt."""

    index: Any  # a pandas Index
    prompts: list[str]

    def __len__(self) -> int:
        return len(self.prompts)


def custom_id(position: int) -> str:
    return f"{CUSTOM_ID_PREFIX}{position}"


def position_of(cid: str) -> int | None:
    """The row position a custom_id stands for; None for an id this module did not make."""
    if not cid.startswith(CUSTOM_ID_PREFIX):
        return None
    digits = cid[len(CUSTOM_ID_PREFIX) :]
    return int(digits) if digits.isdigit() else None


def template_fields(prompt: str) -> list[str]:
    """The names a `str.format` template uses (the part before any `.attr` or `[key]`).

    ValueError for a malformed template or a positional field (`{}`, `{0}`).
    """
    if not isinstance(prompt, str):
        raise TypeError(f"prompt must be a str.format template, not {type(prompt).__name__}")
    try:
        parsed = list(string.Formatter().parse(prompt))
    except ValueError as exc:
        raise ValueError(
            f"prompt is not a valid template ({exc}); write {{{{ and }}}} for literal braces"
        ) from None
    names: list[str] = []
    for _, name, spec, _ in parsed:
        for part in [name, *(template_fields(spec) if spec and "{" in spec else [])]:
            if part is None:
                continue
            root = _FIELD_ROOT.split(part, maxsplit=1)[0]
            if root == "" or root.isdigit():
                raise ValueError(
                    f"prompt has a positional field {{{part}}}: name a column instead "
                    "({review}), or write {{ and }} for literal braces"
                )
            if root not in names:
                names.append(root)
    return names


def rows_from(data: Any, prompt: str) -> Rows:
    """Each row's prompt, formatted before anything is sent (a missing column, a value the
    template cannot format: a clear error naming it)."""
    import pandas as pd

    fields = template_fields(prompt)
    if isinstance(data, pd.DataFrame):
        missing = [f for f in fields if f not in data.columns]
        if missing:
            have = ", ".join(map(str, data.columns)) or "none"
            raise KeyError(
                f"prompt uses {', '.join('{' + m + '}' for m in missing)} but the DataFrame "
                f"has no such column (columns: {have}); write {{{{ and }}}} for literal braces"
            )
        index = data.index
        columns = [_column(data, f) for f in fields]
    else:
        if isinstance(data, pd.Series):
            index, values = data.index, data.tolist()
        elif isinstance(data, Sequence) and not isinstance(data, (str, bytes)):
            values = list(data)
            index = pd.RangeIndex(len(values))
        else:
            raise TypeError(
                f"data must be a DataFrame, a Series or a list of strings, not "
                f"{type(data).__name__}"
            )
        other = [f for f in fields if f != "value"]
        if other:
            raise KeyError(
                f"prompt uses {', '.join('{' + f + '}' for f in other)}, but for a Series or "
                "a list the only field is {value}"
            )
        columns = [values] if fields else []
    if len(index) == 0:
        raise ValueError("data has no rows: nothing to send")
    for name, values in zip(fields, columns, strict=True):
        _check_present(name, values, index, data)
    if not fields:
        return Rows(index, [_format(prompt, {}, 0)] * len(index))
    prompts = [
        _format(prompt, dict(zip(fields, values, strict=True)), n)
        for n, values in enumerate(zip(*columns, strict=True))
    ]
    return Rows(index, prompts)


def _column(data: Any, name: str) -> list[Any]:
    """A column's values; ValueError when the name is not one column (a duplicate name, or
    the top level of MultiIndex columns), which `str.format` could not fill."""
    import pandas as pd

    column = data[name]
    if isinstance(column, pd.DataFrame):
        raise ValueError(
            f"prompt uses {{{name}}}, but the DataFrame has {len(column.columns)} columns "
            f"under that name: rename them so that {{{name}}} is one column"
        )
    return column.tolist()


def _check_present(name: str, values: list[Any], index: Any, data: Any) -> None:
    """ValueError for missing cells (NaN, None, NA): they would be sent as the text "nan".
    Says which rows, and how to drop or fill them."""
    import pandas as pd

    missing = [n for n, v in enumerate(values) if pd.api.types.is_scalar(v) and pd.isna(v)]
    if not missing:
        return
    shown = index[missing[:5]].tolist()  # Python values: 8, not np.int64(8)
    labels = ", ".join(map(repr, shown)) + (", ..." if len(missing) > 5 else "")
    if isinstance(data, pd.DataFrame):
        where = f"column {name!r} is"
        fix = f"df.dropna(subset=[{name!r}]) drops them, df.fillna({{{name!r}: ''}}) fills them"
    elif isinstance(data, pd.Series):
        where, fix = "the Series is", ".dropna() drops them, .fillna('') fills them"
    else:
        where, fix = "the list is", "remove them or replace them with ''"
    raise ValueError(
        f"{where} missing (NaN or None) in {plural(len(missing), 'row')} (index {labels}), "
        f'which would be sent as the text "nan": {fix}'
    )


def _format(prompt: str, values: Mapping[str, Any], position: int) -> str:
    try:
        return prompt.format_map(values)
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as exc:
        raise ValueError(
            f"row {position}: the prompt cannot be formatted with {dict(values)!r} "
            f"({type(exc).__name__}: {exc})"
        ) from None


def check_options(options: Mapping[str, Any]) -> None:
    """TypeError for keyword options that are not Messages API request fields (checked
    against the SDK's own list), before anything is sent."""
    from anthropic.types.message_create_params import MessageCreateParamsNonStreaming

    known = set(MessageCreateParamsNonStreaming.__annotations__)
    for name in options:
        if name in _NOT_OPTIONS:
            raise TypeError(f"{name}= is not an option here: {_NOT_OPTIONS[name]}")
        if name not in known:
            raise TypeError(
                f"{name}= is not a Messages API request field (known: "
                f"{', '.join(sorted(known - set(_NOT_OPTIONS)))})"
            )
        value = options[name]
        if name == "tools" and isinstance(value, Sequence) and any(map(callable, value)):
            raise TypeError(
                "tools= takes tool definitions (dicts with name, description, input_schema): "
                "a batch cannot run Python functions, since there is no tool loop for its rows"
            )
        try:
            json.dumps(value)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"{name}= is sent as JSON and cannot be: {exc}") from None


def row_params(
    rows: Rows, options: RequestOptions, extra: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The Messages API params of every row: request.py's request, plus `extra` fields
    (an `output_config` in `extra` keeps the schema's `format`)."""
    params = []
    for text in rows.prompts:
        request = build_request([], user_message(text), options)
        for key, value in extra.items():
            if key == "output_config" and isinstance(value, Mapping):
                request[key] = {**value, **request.get(key, {})}
            else:
                request[key] = value
        params.append(request)
    return params


def split(params: list[dict[str, Any]]) -> list[range]:
    """Consecutive runs of row positions, each within one Message Batch's limits."""
    limit_bytes = int(MAX_BATCH_BYTES * _BYTES_MARGIN)
    runs: list[range] = []
    start, size = 0, 0
    for n, request in enumerate(params):
        bytes_ = len(json.dumps(request, ensure_ascii=False).encode()) + 64  # + custom_id
        if bytes_ > limit_bytes:
            raise ValueError(
                f"row {n}'s request alone is {bytes_:,} bytes, over the Message Batches "
                f"limit of {MAX_BATCH_BYTES:,} bytes a batch"
            )
        if n - start >= MAX_REQUESTS_PER_BATCH or size + bytes_ > limit_bytes:
            runs.append(range(start, n))
            start, size = n, 0
        size += bytes_
    runs.append(range(start, len(params)))
    return runs
