"""`claude_magic.batch`: one prompt over every row of a DataFrame, and `batch_job` to come back.

The default path sends the rows as Message Batches (half price, processed on Anthropic's
side, results within 24 hours) and polls until they end; `realtime=True` sends the same
requests as ordinary calls, `concurrency` at a time. Both print a one-line estimate first
(rows, input tokens, worst-case cost; `dry_run=True` returns it), check the kernel's
budget against the worst case, record every billed request in the ledger, and return a
DataFrame on the input's index. The backend follows `%%claude`'s rule: the API with a key,
else the kernel's simulator (`backend=` or `client=` to choose).

Module map: rows.py (template, requests, custom ids, splitting), estimate.py, realtime.py,
job.py (BatchJob: status, wait, results, cancel), outcome.py (one row's result, the frame,
ledger records), progress.py (the bar). No IPython import at module level: the running
cell's id and the magics' settings are read from IPython only when it is running.
"""

from __future__ import annotations

import math
import numbers
import sys
from collections.abc import Sequence
from typing import Any

from ..backend import resolve_backend
from ..errors import ClaudeError, explain
from ..formatting import plural
from ..models import DEFAULT_MODEL
from ..request import RequestOptions, check_for_model
from ..structured import Schema
from .estimate import Estimate, estimate
from .job import (
    BatchJob,
    BatchNotEnded,
    BatchStatus,
    CellContext,
    find,
    register,
)
from .outcome import META_COLUMNS, result_frame
from .rows import check_options, custom_id, row_params, rows_from, split

__all__ = ["BatchJob", "BatchNotEnded", "BatchStatus", "Estimate", "batch", "batch_job"]

DEFAULT_MAX_TOKENS = 1024
"""max_tokens of each row's request unless given (rows are usually short answers)."""


def batch(
    data: Any,
    prompt: str,
    *,
    model: str | None = None,
    system: str | None = None,
    max_tokens: int | None = None,
    schema: Any = None,
    realtime: bool = False,
    concurrency: int = 8,
    wait: bool = True,
    poll_interval: float | None = None,
    dry_run: bool = False,
    backend: str | None = None,
    client: Any = None,
    progress: bool = True,
    **options: Any,
) -> Any:
    """Send `prompt` (a `str.format` template over the columns; `{value}` for a Series or
    list) for every row, through the Message Batches API at half price or, with
    `realtime=True`, as `concurrency` ordinary calls at a time; return a DataFrame on the
    input's index.

    Columns: `response` (or one per top-level field of `schema`, a pydantic model class
    or JSON-schema dict), `stop_reason`, `input_tokens`, `output_tokens`, `cost_usd`,
    `error` (None, or why the row has no answer). A one-line estimate is printed first;
    `dry_run=True` returns it and sends nothing. `wait=False` returns the `BatchJob`
    (`claude_magic.batch_job(id)` reattaches after a restart). Other keywords are Messages
    API fields sent with every row (`thinking=`, ...).
    """
    from ..session import current

    rows = rows_from(data, prompt)
    shape = Schema.of(schema) if schema is not None else None
    _check_fields(shape)
    check_options(options)
    _check_number("concurrency", concurrency, whole=True, least=1)
    if realtime and not wait:
        raise ValueError("wait=False is for Message Batches; realtime=True runs in the kernel")
    if poll_interval is not None:
        _check_number("poll_interval", poll_interval, whole=False, least=None)
    if max_tokens is not None:
        _check_number("max_tokens", max_tokens, whole=True, least=1)
    if system is not None and not isinstance(system, str):
        raise TypeError(f"system must be a str, not {type(system).__name__}")
    magics = _magics()
    request_options = RequestOptions(
        model=model or (magics.model if magics is not None else DEFAULT_MODEL),
        max_tokens=max_tokens or DEFAULT_MAX_TOKENS,
        system=system,
        cache_ttl=None,
        schema=shape,
    )
    check_for_model(request_options)
    session = current()
    client, offline = _client(session, backend, client, magics)
    params = row_params(rows, request_options, options)
    found = estimate(client, params, batch=not realtime, offline=offline)
    if dry_run:
        return found  # shown as its one line
    print(found)
    worst = 0.0 if offline or math.isnan(found.worst_usd) else found.worst_usd
    if not offline:
        spending = session.budget()
        if spending is not None:
            kind = "these realtime calls" if realtime else "this batch"
            spending.check_cost(worst, what=f"{kind} of {plural(len(params), 'request')}")
    context = _context(magics)
    if realtime:
        return _realtime(client, params, rows.index, shape, concurrency, offline, progress, context)
    job = register(
        BatchJob(
            _create(client, params, offline, request_options.model),
            client,
            offline,
            session,
            index=rows.index,
            schema=shape,
            context=context,
            poll_interval=poll_interval,
            progress=progress,
            worst_usd=worst,
        )
    )
    again = "data= (the same input, for its index)" + (
        f" and schema={shape.name if shape.is_model else '...'} (for its columns)"
        if shape is not None
        else ""
    )
    print(
        f"Created {job._named()} ({plural(len(params), 'request')}). "
        f"To reattach after a kernel restart: {job.reattach_hint()} with {again}."
    )
    return job.wait() if wait else job


def batch_job(
    batch_id: str | Sequence[str],
    *,
    data: Any = None,
    schema: Any = None,
    backend: str | None = None,
    client: Any = None,
    poll_interval: float | None = None,
) -> BatchJob:
    """The job of a Message Batch id (or the list of ids of a split job), to `.status()`,
    `.wait()`, `.results()` or `.cancel()`. In the kernel that made it, the same job; after
    a restart pass `data=` (the input, for its index) and `schema=` to get the same frame."""
    from ..session import current

    if isinstance(batch_id, BatchJob):
        batch_id = batch_id.ids
    ids = [batch_id] if isinstance(batch_id, str) else None
    if ids is None and isinstance(batch_id, (list, tuple)):
        ids = list(batch_id)
    if not ids or not all(isinstance(i, str) and i for i in ids):
        raise ValueError(f"batch_job needs a batch id such as 'msgbatch_01...', not {batch_id!r}")
    session = current()
    shape = Schema.of(schema) if schema is not None else None
    _check_fields(shape)
    job = find(ids, session)
    if job is None:
        magics = _magics()
        client, offline = _client(session, backend, client, magics)
        job = BatchJob(ids, client, offline, session, schema=shape, context=_context(magics))
        try:
            job.status()
        except Exception as exc:
            if offline and getattr(exc, "status_code", None) == 404:
                why = (
                    "the offline simulator has no such batch. It keeps its batches in this "
                    "kernel's memory, so a batch made before a kernel restart (or in another "
                    "kernel) is gone: run claude_magic.batch again (with an API key, batches "
                    "live on Anthropic's side and outlive the kernel)."
                )
            else:
                why = explain(exc, model="", offline=offline)
            raise ClaudeError(f"Cannot reattach to {job._named()}: {why}") from None
        register(job)
    elif shape is not None and job.schema is not None and shape.source is not job.schema.source:
        raise ValueError(f"{job!r} was made with {job.schema.name}, not {shape.name}")
    elif shape is not None and job.schema is None:
        job.use_schema(shape)
    if data is not None:
        job.index = _index_of(data)
    if poll_interval is not None:
        _check_number("poll_interval", poll_interval, whole=False, least=None)
        job.poll_interval = poll_interval
    return job


# -- inside ----------------------------------------------------------------------------


def _check_number(name: str, value: Any, *, whole: bool, least: int | None) -> None:
    """TypeError for a value of the wrong type (a float token count, a str), ValueError
    for one out of range; both before anything is sent."""
    kind = numbers.Integral if whole else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        what = "a whole number" if whole else "a number of seconds"
        raise TypeError(f"{name} must be {what}, not {value!r}")
    if least is not None and value < least:
        raise ValueError(f"{name} must be at least {least}, not {value}")
    if least is None and not value > 0:
        raise ValueError(f"{name} must be seconds > 0, not {value}")


def _check_fields(schema: Schema | None) -> None:
    clash = [f for f in (schema.fields() if schema else []) if f in META_COLUMNS]
    if clash:
        raise ValueError(
            f"{schema.name} has fields named {', '.join(clash)}, which the result "
            f"keeps for itself ({', '.join(META_COLUMNS)}): rename them"
        )


def _index_of(data: Any) -> Any:
    import pandas as pd

    if isinstance(data, (pd.DataFrame, pd.Series)):
        return data.index
    return pd.RangeIndex(len(data))


def _magics() -> Any:
    """The loaded `%%claude` magics (their settings and the running cell), or None."""
    if "IPython" not in sys.modules:
        return None
    from IPython import get_ipython

    shell = get_ipython()
    if shell is None:
        return None
    return shell.magics_manager.registry.get("ClaudeMagics")


def _context(magics: Any) -> CellContext:
    if magics is None:
        return CellContext()
    return CellContext(magics.cell_id(), magics.execution_count())


def _client(session: Any, backend: str | None, client: Any, magics: Any) -> tuple[Any, bool]:
    """(client, offline): `client=` as given, else the backend `%%claude` would use."""
    if client is not None:
        import anthropic

        from ..offline.simulator import Simulator

        if isinstance(client, anthropic.AsyncAnthropic) or not hasattr(client, "messages"):
            raise TypeError(
                f"client= must be a (sync) anthropic.Anthropic client, not "
                f"{type(client).__name__}: batch makes its calls itself, with threads"
            )

        return client, str(getattr(client, "base_url", "")).startswith(Simulator.base_url)
    setting = backend
    if setting is None and magics is not None:
        setting = magics.explicit("backend")
    resolved = resolve_backend(setting)
    return session.client(resolved), resolved == "offline"


def _create(client: Any, params: list[dict[str, Any]], offline: bool, model: str) -> list[str]:
    """Create the job's batches (several when over the API's limits); their ids."""
    runs = split(params)
    ids: list[str] = []
    for n, run in enumerate(runs):
        requests = [{"custom_id": custom_id(p), "params": params[p]} for p in run]
        try:
            ids.append(client.messages.batches.create(requests=requests).id)
        except Exception as exc:
            why = explain(exc, model=model, offline=offline)
            if not ids:
                raise ClaudeError(f"The batch was not created: {why}") from None
            raise ClaudeError(
                f"Batch {n + 1} of {len(runs)} was not created ({why}); {', '.join(ids)} "
                f"were created and are running: claude_magic.batch_job({ids!r}) reattaches "
                "to them (.cancel() stops them)."
            ) from None
    return ids


def _realtime(
    client: Any,
    params: list[dict[str, Any]],
    index: Any,
    schema: Schema | None,
    concurrency: int,
    offline: bool,
    progress: bool,
    context: CellContext,
) -> Any:
    from ..session import current
    from . import realtime
    from .outcome import call_record

    ledger = current().ledger

    def record(position: int, outcome: Any) -> None:
        ledger.record(
            call_record(outcome, offline=offline),
            chat="batch",
            cell_id=context.cell_id,
            execution_count=context.execution_count,
        )

    outcomes = realtime.run(
        client,
        params,
        schema=schema,
        concurrency=concurrency,
        offline=offline,
        on_billed=record,
        progress=progress,
    )
    return result_frame(index, outcomes, schema)
