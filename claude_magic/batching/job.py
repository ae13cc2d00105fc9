"""A running Message Batch job (one or more batches): status, wait, results, cancel.

A job lives on Anthropic's side, not in the kernel: its ids are printed when it is created
(so a saved notebook keeps them) and `claude_magic.batch_job(id)` reattaches to it, in this
kernel (the same job object, with the input's index and schema) or after a restart (pass
`data=` and `schema=` again for the same index and columns). Waiting polls `retrieve`
with a progress bar; an interrupt leaves the batch running and says how to reattach.
Results are matched by custom_id; each billed row becomes one ledger row, once, however
often the results are read.
No IPython or widget import.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..errors import ClaudeError, Interrupted, explain
from ..formatting import plural
from ..structured import Schema
from .outcome import Outcome, of_batch_result, result_frame
from .rows import custom_id, position_of

STATES = ("processing", "succeeded", "errored", "canceled", "expired")
"""The request counts of a Message Batch."""
_jobs: dict[str, BatchJob] = {}
"""Jobs of this process by batch id (`batch_job` hands back the same object)."""


class BatchNotEnded(ClaudeError):
    """The results were asked for before every batch of the job had ended."""


@dataclass
class BatchStatus:
    """Where a job stands: `state` is "in_progress", "canceling" or "ended" (all ended)."""

    ids: list[str]
    state: str
    counts: dict[str, int]

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    @property
    def done(self) -> int:
        return sum(n for state, n in self.counts.items() if state != "processing")

    def __str__(self) -> str:
        counts = ", ".join(f"{state} {n:,}" for state, n in self.counts.items() if n)
        return f"{', '.join(self.ids)}: {self.state} ({counts or 'no requests'})"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(str(self))


@dataclass
class CellContext:
    """Where the job was started, for its ledger rows."""

    cell_id: str | None = None
    execution_count: int | None = None


@dataclass(eq=False)
class BatchJob:
    """A Message Batch job: `.id` (`.ids` when it was split), `.status()`, `.wait()`,
    `.results()`, `.cancel()`."""

    ids: list[str]
    client: Any
    offline: bool
    session: Any
    index: Any = None
    """The input's index (None after a restart without `data=`: row positions)."""
    schema: Schema | None = None
    context: CellContext = field(default_factory=CellContext)
    poll_interval: float | None = None
    progress: bool = True
    sleep: Callable[[float], None] = time.sleep
    worst_usd: float = 0.0
    """The worst case checked against the kernel's budget when the job was submitted: held
    against it until the results are read (their billed ledger rows count instead)."""
    _outcomes: dict[int | str, Outcome] = field(default_factory=dict, repr=False)
    """By row position; by custom_id for a batch made elsewhere (not `row-<n>` ids)."""
    _read: set[str] = field(default_factory=set, repr=False)
    """Batches whose results were read (and whose billed rows are in the ledger)."""

    @property
    def id(self) -> str:
        return self.ids[0]

    def __repr__(self) -> str:
        return f"BatchJob({', '.join(self.ids)})"

    def reattach_hint(self) -> str:
        ids = repr(self.ids[0]) if len(self.ids) == 1 else repr(self.ids)
        return f"claude_magic.batch_job({ids})"

    # -- the API ----------------------------------------------------------------------

    def status(self) -> BatchStatus:
        """Each batch retrieved now; the counts summed (the API counts every request as
        processing until its batch has ended)."""
        counts = dict.fromkeys(STATES, 0)
        states = []
        for batch_id in self.ids:
            batch = self.client.messages.batches.retrieve(batch_id)
            states.append(batch.processing_status)
            for state in STATES:
                counts[state] += int(getattr(batch.request_counts, state, 0) or 0)
        if all(s == "ended" for s in states):
            state = "ended"
        elif any(s == "canceling" for s in states):
            state = "canceling"
        else:
            state = "in_progress"
        return BatchStatus(list(self.ids), state, counts)

    def wait(self, poll_interval: float | None = None) -> Any:
        """Poll until every batch has ended (a progress bar meanwhile), then `results()`.

        An interrupt leaves the batches running: it ends with how to reattach.
        """
        interval = poll_interval if poll_interval is not None else self.poll_interval
        started = time.monotonic()
        bar = None
        try:
            status = self.status()
            if not status.ended:
                from .progress import Progress

                bar = Progress(sum(status.counts.values()), "batch", enabled=self.progress)
                while not status.ended:
                    bar.update(status.done, status.counts)
                    self.sleep(self._interval(interval, time.monotonic() - started))
                    status = self.status()
                bar.update(status.done, status.counts, force=True)
        except KeyboardInterrupt:
            raise Interrupted(
                f"While waiting: {self._named()} keeps running (nothing was "
                f"canceled). Reattach with {self.reattach_hint()}, then .wait() or "
                ".results(); .cancel() stops it."
            ) from None
        except Exception as exc:  # noqa: BLE001 - a failed poll (network, 5xx after retries)
            raise self._failed(exc, "waiting for") from None
        finally:
            if bar is not None:
                bar.close()
        return self.results()

    def results(self) -> Any:
        """The result DataFrame (BatchNotEnded while a batch still runs). Billed rows join
        the ledger the first time they are read."""
        unread = [b for b in self.ids if b not in self._read]
        if unread:
            try:
                status = self.status()
            except Exception as exc:  # noqa: BLE001
                raise self._failed(exc, "looking up") from None
            if not status.ended:
                raise BatchNotEnded(
                    f"{self._named()} has not ended yet ({status}). Use .wait(), or "
                    ".status() to look again."
                )
            for batch_id in unread:
                try:
                    self._read_results(batch_id)
                except Exception as exc:  # noqa: BLE001
                    raise self._failed(exc, "reading the results of") from None
        return self._frame()

    def cancel(self) -> BatchStatus:
        """Ask the API to cancel every batch that has not ended; their finished rows keep
        their results (`.wait()` then gives them, the rest `canceled`)."""
        batches = self.client.messages.batches
        try:
            for batch_id in self.ids:
                if batches.retrieve(batch_id).processing_status == "ended":
                    continue
                try:
                    batches.cancel(batch_id)
                except Exception:
                    # it may have ended between the two calls (the API answers 400)
                    if batches.retrieve(batch_id).processing_status != "ended":
                        raise
            return self.status()
        except Exception as exc:  # noqa: BLE001
            raise self._failed(exc, "canceling", again=".cancel()") from None

    def use_schema(self, schema: Schema) -> None:
        """Read the replies as `schema` (results already read are read again)."""
        self.schema = schema
        for outcome in self._outcomes.values():
            outcome.read_as(schema)

    # -- inside -------------------------------------------------------------------------

    def _failed(
        self, exc: BaseException, doing: str, again: str = ".wait() or .results()"
    ) -> ClaudeError:
        """A failed API call while `doing` the job, in one line: the batch is not lost."""
        why = explain(exc, model="", offline=self.offline)
        return ClaudeError(
            f"Failed {doing} {self._named()}: {why} The batch itself is not affected: "
            f"{self.reattach_hint()} then {again} tries again."
        )

    def _named(self) -> str:
        return f"batch {self.ids[0]}" if len(self.ids) == 1 else f"batches {', '.join(self.ids)}"

    def _interval(self, fixed: float | None, elapsed: float) -> float:
        """A fixed interval, or one that grows with the wait: quick for a short batch,
        gentle on the API for a long one (at most 60 s; 1 s offline)."""
        if fixed is not None:
            return fixed
        if self.offline:
            return min(0.1 + elapsed / 10, 1.0)
        return min(1.0 + elapsed / 10, 60.0)

    def _read_results(self, batch_id: str) -> None:
        for line in self.client.messages.batches.results(batch_id):
            position = position_of(line.custom_id)
            key = line.custom_id if position is None else position
            if key in self._outcomes:
                continue  # read before a failure cut the last reading short: in the ledger
            outcome = of_batch_result(line.result, self.schema)
            self._outcomes[key] = outcome
            if outcome.billed:
                self._record(outcome, batch_id)
        self._read.add(batch_id)

    def _record(self, outcome: Outcome, batch_id: str) -> None:
        from .outcome import call_record

        self.session.ledger.record(
            call_record(outcome, offline=self.offline),
            chat="batch",
            cell_id=self.context.cell_id,
            execution_count=self.context.execution_count,
            batch_id=batch_id,
        )

    def _frame(self) -> Any:
        import pandas as pd

        foreign = [k for k in self._outcomes if isinstance(k, str)]
        if foreign:  # a batch made with the SDK: its rows by custom_id
            if self.index is not None:
                raise ClaudeError(
                    f"{self._named()} was not made by claude_magic.batch (custom_id "
                    f"{foreign[0]!r}, not 'row-<n>'), so its results cannot be put on data='s "
                    "index: call batch_job without data= for a frame on the custom_ids."
                )
            keys = sorted(self._outcomes, key=lambda k: k if isinstance(k, str) else custom_id(k))
            index = pd.Index(
                [k if isinstance(k, str) else custom_id(k) for k in keys], name="custom_id"
            )
            return result_frame(index, [self._outcomes[k] for k in keys], self.schema)
        positions = [k for k in self._outcomes if isinstance(k, int)]
        if self.index is not None:
            extra = [p for p in positions if p >= len(self.index)]
            if extra or len(positions) < len(self.index):
                raise ClaudeError(
                    f"{self._named()} has results for {plural(len(positions), 'row')}, but "
                    f"data= has {plural(len(self.index), 'row')}: pass the data the batch was "
                    "made from."
                )
            index = self.index
            outcomes = [self._outcomes.get(p) for p in range(len(index))]
        else:
            positions.sort()
            index = pd.Index(positions, name="row")
            outcomes = [self._outcomes[p] for p in positions]
        return result_frame(index, outcomes, self.schema)


def held_usd(session: Any) -> float:
    """What this session's batches whose results are not read yet hold against its budget
    (each batch of a split job its share of the job's worst case)."""
    jobs = {id(job): job for job in _jobs.values() if job.session is session}
    return sum(
        job.worst_usd * sum(b not in job._read for b in job.ids) / len(job.ids)
        for job in jobs.values()
        if job.ids
    )


def register(job: BatchJob) -> BatchJob:
    for batch_id in job.ids:
        _jobs[batch_id] = job
    return job


def find(ids: Sequence[str], session: Any) -> BatchJob | None:
    """This session's job for exactly these ids, if it made or reattached one."""
    job = _jobs.get(ids[0]) if ids else None
    if job is not None and job.session is session and list(job.ids) == list(ids):
        return job
    return None
