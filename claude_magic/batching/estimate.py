"""Before a job is sent: how many rows, about how many input tokens, and the worst case.

Input tokens are counted with the API's free `count_tokens` on a few rows spread over the
data (the average times the rows); if that endpoint fails, the local approximation of about
four characters a token (offline/tokens.py) counts them instead. If it rejects every
sampled row's request as invalid (a bad option, an unknown model), nothing is sent: the
rows would all fail the same way. The worst case bills every
row's `max_tokens` of output, at the batch price for a batch. The kernel's budget, if any,
is checked against that worst case before anything is sent.
No IPython or widget import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..errors import ClaudeError, explain
from ..formatting import plural, usd
from ..offline.tokens import count_input_tokens

SAMPLE_ROWS = 5
"""Rows whose input is counted with count_tokens."""
_COUNT_FIELDS = (
    "messages",
    "model",
    "cache_control",
    "output_config",
    "speed",
    "system",
    "thinking",
    "tool_choice",
    "tools",
)
"""The request fields `count_tokens` takes."""


@dataclass
class Estimate:
    """What a job will send and what it can cost at most (`dry_run=True` returns it)."""

    rows: int
    model: str
    input_tokens: int
    """All rows' input tokens (sampled rows' average times the rows)."""
    counted_rows: int
    method: str
    """"count_tokens" or "local estimate"."""
    max_tokens: int
    batch: bool
    worst_usd: float

    def __str__(self) -> str:
        how = (
            f"count_tokens on {self.counted_rows} of {plural(self.rows, 'row')}"
            if self.method == "count_tokens"
            else "local estimate, ~4 characters a token"
        )
        price = "at the batch price (half)" if self.batch else "at the standard price"
        worst = (
            "unknown (no price for this model)"
            if math.isnan(self.worst_usd)
            else usd(self.worst_usd)
        )
        return (
            f"{'Batch' if self.batch else 'Realtime'}: {plural(self.rows, 'row')} to "
            f"{self.model}, ~{self.input_tokens:,} input tokens ({how}); worst case {worst} "
            f"{price} if every row writes max_tokens={self.max_tokens:,}."
        )

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


def sample_positions(n: int, k: int = SAMPLE_ROWS) -> list[int]:
    """`k` positions spread evenly over `n` rows (all of them when there are fewer)."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


class RequestRejected(Exception):
    """count_tokens rejected every sampled row's request as invalid (`error`)."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(str(error))
        self.error = error


def _rejected(exc: BaseException) -> bool:
    """The request itself is wrong (400/422, or a 404 for an unknown model), not the
    endpoint unavailable: the same request would fail in the batch too."""
    status = getattr(exc, "status_code", None)
    if status in (400, 422):
        return True
    message = getattr(exc, "body", None)
    if status == 404 and isinstance(message, dict):
        error = message.get("error") or {}
        return isinstance(error, dict) and str(error.get("message", "")).startswith("model:")
    return False


def _counted(client: Any, params: list[dict[str, Any]], positions: list[int]) -> list[int]:
    """count_tokens of each sampled row; a row it rejects alone (too long, say) is counted
    locally, RequestRejected when it rejects them all."""
    counts: list[int] = []
    rejected: list[BaseException] = []
    for p in positions:
        fields = {k: v for k, v in params[p].items() if k in _COUNT_FIELDS}
        try:
            counts.append(client.messages.count_tokens(**fields).input_tokens)
        except Exception as exc:
            if not _rejected(exc):
                raise
            rejected.append(exc)
            counts.append(count_input_tokens(params[p]))
    if len(rejected) == len(positions):
        raise RequestRejected(rejected[0])
    return counts


def estimate(
    client: Any, params: list[dict[str, Any]], *, batch: bool, offline: bool = False
) -> Estimate:
    """Count a sample's input tokens and price the worst case."""
    from ..pricing import cost_usd

    positions = sample_positions(len(params))
    method = "count_tokens"
    try:
        counts = _counted(client, params, positions)
    except RequestRejected as exc:
        raise ClaudeError(
            f"Nothing was sent: count_tokens rejected the request of each of the "
            f"{plural(len(positions), 'row')} it counted, so the rows would fail the same "
            "way. " + explain(exc.error, model=str(params[0]["model"]), offline=offline)
        ) from None
    except Exception:  # noqa: BLE001 - a proxy without count_tokens, a network error, ...
        method = "local estimate"
        counts = [count_input_tokens(params[p]) for p in positions]
    average = sum(counts) / len(counts)
    model = str(params[0]["model"])
    max_tokens = int(params[0]["max_tokens"])
    tier = "batch" if batch else "standard"
    per_row = cost_usd(
        model,
        {"input_tokens": math.ceil(average), "output_tokens": max_tokens, "service_tier": tier},
    )
    return Estimate(
        rows=len(params),
        model=model,
        input_tokens=math.ceil(average * len(params)),
        counted_rows=len(positions),
        method=method,
        max_tokens=max_tokens,
        batch=batch,
        worst_usd=per_row * len(params),
    )
