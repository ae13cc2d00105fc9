"""`batch(..., realtime=True)`: the rows as ordinary Messages calls, `concurrency` at a time.

Worker threads share one sync client (httpx2 clients are thread-safe); each call is a plain
`messages.create`, so the SDK's retries apply (429, 529 and 5xx, honouring `retry-after`).
The calling thread collects results as they complete and records every billed call in the
ledger, so the ledger is only ever written from one thread. An interrupt cancels the rows
not yet started, waits for the calls in flight (they are billed: they become ledger rows),
then stops with one line saying how far it got.
No IPython or widget import.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import Any

from ..errors import Interrupted, explain
from ..formatting import plural
from ..structured import Schema
from .outcome import Outcome
from .progress import Progress

TIMEOUT_S = 600
"""Per call (also lifts the SDK's refusal of long non-streaming calls)."""


def run(
    client: Any,
    params: list[dict[str, Any]],
    *,
    schema: Schema | None,
    concurrency: int,
    offline: bool,
    on_billed: Callable[[int, Outcome], None],
    progress: bool = True,
) -> list[Outcome | None]:
    """Every row's outcome, by position; `on_billed(position, outcome)` for each billed call."""
    outcomes: list[Outcome | None] = [None] * len(params)
    counts = {"succeeded": 0, "errored": 0}
    bar = Progress(len(params), "realtime", enabled=progress)

    def call(position: int) -> Outcome:
        request = params[position]
        start = time.perf_counter()
        try:
            message = client.messages.create(**request, timeout=TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - one row's failure is that row's error
            return Outcome.failed(explain(exc, model=str(request["model"]), offline=offline))
        outcome = Outcome.of_message(message, schema)
        outcome.total_s = time.perf_counter() - start
        return outcome

    def collect(done: set[Future[Outcome]]) -> None:
        for future in done:
            position = pending.pop(future)
            outcome = future.result()
            outcomes[position] = outcome
            if outcome.billed:
                on_billed(position, outcome)
            counts["errored" if outcome.error else "succeeded"] += 1

    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="claude-realtime")
    pending: dict[Future[Outcome], int] = {}
    try:
        pending = {pool.submit(call, n): n for n in range(len(params))}
        while pending:
            done, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            collect(done)
            bar.update(len(params) - len(pending), counts)
    except KeyboardInterrupt:
        for future in pending:
            future.cancel()
        running = {f for f in pending if not f.cancelled()}
        collect(wait(running).done)  # billed calls in flight still become ledger rows
        finished = sum(o is not None for o in outcomes)
        raise Interrupted(
            f"{finished:,} of {plural(len(params), 'row')} done (their calls are "
            "in usage_frame()); the other rows were not sent."
        ) from None
    finally:
        bar.update(sum(o is not None for o in outcomes), counts, force=True)
        bar.close()
        pool.shutdown(wait=False, cancel_futures=True)
    return outcomes
