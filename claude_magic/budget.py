"""A spending cap for a kernel: nothing is sent once a call would take the bill past it.

A classroom kernel on a shared key (or a student's own) sets `ClaudeMagics.budget_usd`, or
the hub sets CLAUDE_MAGIC_BUDGET_USD for everyone. Before each API call the exchange asks
`Budget.check`: what this kernel has been billed so far (ledger rows of the real API:
simulator and replayed calls cost nothing) plus the call's estimated input cost must stay
within the limit, otherwise nothing is sent. The estimate counts the request with the
local approximation of about four characters a token (no extra API call), so it is a
floor: output is not known in advance. Batch jobs check their worst case with `check_cost`.

Pure logic: no SDK, IPython or widget import.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ClaudeError
from .formatting import usd

BUDGET_ENV = "CLAUDE_MAGIC_BUDGET_USD"
_configured: Callable[[], float | None] | None = None
"""Where the limit is set when the magics are loaded (`%config ClaudeMagics.budget_usd`,
which wins over the environment); None: the environment alone."""


class BudgetExceeded(ClaudeError):
    """A call (or a batch) would take the kernel past its budget; nothing was sent."""


class BadBudget(ClaudeError, ValueError):
    """CLAUDE_MAGIC_BUDGET_USD is not a dollar amount (one line, wherever it is read)."""


def budget_from_env(environ: Mapping[str, str] = os.environ) -> float | None:
    """The hub's budget (CLAUDE_MAGIC_BUDGET_USD), or None when unset or empty."""
    raw = (environ.get(BUDGET_ENV) or "").strip()
    if not raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        raise BadBudget(
            f"{BUDGET_ENV}={raw!r} is not an amount in US dollars (e.g. 2.50)"
        ) from None
    if not math.isfinite(value) or value < 0:
        raise BadBudget(f"{BUDGET_ENV}={raw!r}: the budget must be a dollar amount >= 0")
    return value


def configure(source: Callable[[], float | None] | None) -> None:
    """Make `source` the one place the kernel's limit is read from (the magics do this)."""
    global _configured
    _configured = source


def limit_usd() -> float | None:
    """The kernel's budget in USD, or None for no limit."""
    return _configured() if _configured is not None else budget_from_env()


def billed_usd(rows: Iterable[Mapping[str, Any]]) -> float:
    """What the real API billed this kernel: ledger rows not from the simulator or a replay
    (a call with an unknown price counts 0: it cannot be capped)."""
    total = 0.0
    for row in rows:
        if row.get("offline") or row.get("replayed"):
            continue
        cost = row.get("cost_usd")
        if isinstance(cost, (int, float)) and math.isfinite(cost):
            total += cost
    return total


@dataclass
class Budget:
    """A limit in USD over the calls in `rows` (the kernel's ledger rows, read live)."""

    limit_usd: float
    rows: Callable[[], Iterable[Mapping[str, Any]]]
    held: Callable[[], float] = lambda: 0.0
    """The worst case of batches submitted but not read yet (not in the ledger so far)."""

    @property
    def spent_usd(self) -> float:
        return billed_usd(self.rows())

    @property
    def left_usd(self) -> float:
        return max(self.limit_usd - self.spent_usd - self.held(), 0.0)

    def check(self, request: Mapping[str, Any], *, later_call: bool = False) -> None:
        """Raise BudgetExceeded if this request's input alone would pass the limit.
        `later_call`: not the cell's first call (a tool loop's or a paused turn's next one),
        so earlier calls went out and the message must not say nothing was sent."""
        from .offline.tokens import count_input_tokens
        from .pricing import estimate_input_cost_usd

        tokens = count_input_tokens(dict(request))
        cost = estimate_input_cost_usd(str(request.get("model", "")), tokens)
        cost = 0.0 if math.isnan(cost) else cost
        if later_call:
            self.check_cost(
                cost,
                what="the next call of this cell's tool loop",
                unsent="That call was not sent (the cell's earlier calls were, and are in "
                "the ledger); the cell stops here and nothing is added to the chat.",
            )
        else:
            self.check_cost(cost, what="this call")

    def check_cost(self, cost_usd: float, *, what: str, unsent: str = "Nothing was sent.") -> None:
        """Raise BudgetExceeded if `cost_usd` more would pass the limit."""
        spent, held = self.spent_usd, self.held()
        if spent + held + cost_usd <= self.limit_usd:
            return
        held_note = (
            f" (and {usd(held)} is held for batches not read yet: their job's .wait() or "
            ".results() releases it)"
            if held
            else ""
        )
        raise BudgetExceeded(
            f"Budget reached: this kernel has spent {usd(spent)}{held_note} of its "
            f"{usd(self.limit_usd)} budget, and {what} would cost about {usd(cost_usd)} "
            f"more. {unsent} To raise it: %config ClaudeMagics.budget_usd = "
            f"{_raised(self.limit_usd, spent + held + cost_usd)} (or ask whoever set "
            f"{BUDGET_ENV} for this kernel)."
        )


def _raised(limit: float, needed: float) -> str:
    """A round new limit that covers what is needed."""
    step = 1.0 if needed >= 1 else 0.1
    return f"{max(math.ceil(needed / step) * step, limit + step):.2f}"
