"""The Message Batches API: create, retrieve, list, cancel, delete and results, on a clock.

What is modelled (platform.claude.com/docs/en/build-with-claude/batch-processing and the API
reference pages of /v1/messages/batches):

* Create validates the batch itself at once (a 400 for a malformed body, an empty list, more
  than 100,000 requests, a ``custom_id`` that is missing, not 1-64 of ``[a-zA-Z0-9_-]`` or
  not unique; a 413 over 256 MB) and answers ``processing_status: "in_progress"``. Each
  request's ``params`` are validated only when it is processed: a bad row ends ``errored``
  with the error /v1/messages would have answered, alone.
* Processing is sequential and lazy: request k (in submission order) finishes
  ``(k + 1) * seconds_per_request`` after creation. Nothing runs in the background: every
  batch call first brings the store up to ``now()``, so with the real clock batches progress
  with wall time, and with an injected clock (or ``advance(seconds)``) tests decide when time
  passes. Each processed row gets the same reply /v1/messages would give: generated, or the
  next scripted reply (``Simulator.script``) in processing order, with
  ``usage.service_tier: "batch"``.
* ``request_counts``: as documented, every request counts as ``processing`` until the whole
  batch has ended; then the tallies of succeeded / errored / canceled / expired appear.
* Cancel: ``canceling`` at once (``cancel_initiated_at``); the request in progress finishes
  (non-interruptible), the rest become ``canceled`` and the batch ends when that request
  would have finished. Cancelling an ended batch is a 400.
* Expiry: ``expires_at`` is 24 h after creation; requests not finished by then are
  ``expired`` and the batch ends at ``expires_at``.
* Results (``results_url``, set once ended) are JSONL, one line per request, deliberately
  not in submission order (a fixed shuffle by ``custom_id``). 29 days after creation a batch
  is archived (``archived_at``): it can still be retrieved but its results are gone (404).
* Delete works on ended batches only (a 400 otherwise: cancel first); unknown ids are 404s.
* List: newest first, ``limit`` 1-1000 (default 20), ``after_id`` / ``before_id``,
  ``has_more``, ``first_id``, ``last_id``.

Not modelled: parallel processing and demand-dependent speed, workspace scoping, rate limits,
prompt-cache hit rates typical of batches (rows share the simulator's prompt cache like any
request), server tools' higher per-turn iteration limit, the ``fallbacks`` parameter. The
wording of the 400s for ended / unfinished batches and duplicate ids is the simulator's own
(the docs give none); ``custom_id`` length and pattern messages follow the API's
pydantic-style wording seen in public reports.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import math
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import ApiError, invalid

MAX_REQUESTS = 100_000
MAX_BYTES = 256 * 1024 * 1024
EXPIRES_AFTER = 24 * 3600.0
ARCHIVED_AFTER = 29 * 24 * 3600.0
CUSTOM_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
CUSTOM_ID_PATTERN = "^[a-zA-Z0-9_-]{1,64}$"
DEFAULT_SECONDS_PER_REQUEST = 0.05

ReplyFn = Callable[[dict, dict], dict]  # (params, headers) -> message JSON, or raises ApiError
ErrorIdFn = Callable[[], str]  # a new request id for an errored row


def rfc3339(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class _Row:
    custom_id: str
    params: Any  # dropped once processed
    result: dict | None = None  # {"type": "succeeded", "message": ...} etc.


@dataclass
class Batch:
    id: str
    seq: int
    created: float
    headers: dict[str, str]  # anthropic-version and -beta of the create call
    rows: list[_Row]
    results_base: str  # origin for results_url
    done: int = 0  # rows finished, in order
    cancel_at: float | None = None
    ended: float | None = None
    archived: float | None = None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def expires(self) -> float:
        return self.created + EXPIRES_AFTER

    def status(self) -> str:
        if self.ended is not None:
            return "ended"
        return "canceling" if self.cancel_at is not None else "in_progress"

    def to_api(self) -> dict[str, Any]:
        ended = self.ended is not None
        counts = {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        if ended:
            counts.update(self.counts)
        else:
            counts["processing"] = len(self.rows)
        return {
            "id": self.id,
            "type": "message_batch",
            "processing_status": self.status(),
            "request_counts": counts,
            "ended_at": rfc3339(self.ended) if ended else None,
            "created_at": rfc3339(self.created),
            "expires_at": rfc3339(self.expires),
            "archived_at": rfc3339(self.archived) if self.archived is not None else None,
            "cancel_initiated_at": rfc3339(self.cancel_at) if self.cancel_at is not None else None,
            "results_url": f"{self.results_base}/v1/messages/batches/{self.id}/results"
            if ended
            else None,
        }


class BatchStore:
    """All batches of one simulator. Time is ``clock() + offset`` (epoch seconds)."""

    def __init__(
        self,
        reply: ReplyFn,
        error_id: ErrorIdFn,
        clock: Callable[[], float] | None = None,
        seconds_per_request: float = DEFAULT_SECONDS_PER_REQUEST,
    ) -> None:
        self._reply = reply
        self._error_id = error_id
        self.clock = clock or time.time
        self.seconds_per_request = seconds_per_request
        self.offset = 0.0
        self._batches: dict[str, Batch] = {}
        self._seq = 0
        self._origin = self.clock()
        """Part of every id: a kernel restarted on the same notebook makes new ids, never
        the ids of the batches it lost (which `batch_job` would then reattach to)."""
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ time

    def now(self) -> float:
        return self.clock() + self.offset

    def advance(self, seconds: float) -> None:
        """Let `seconds` pass for the batches (added to the clock, real or injected)."""
        with self._lock:
            self.offset += seconds
            self._update_all()

    def clear(self) -> None:
        with self._lock:
            self._batches.clear()

    # ------------------------------------------------------------------ endpoints

    def create(self, body: dict, headers: dict, origin: str) -> dict:
        rows = _parse_requests(body)
        with self._lock:
            self._seq += 1
            digest = hashlib.sha256(f"batch:{self._origin!r}:{self._seq}".encode()).hexdigest()[:22]
            batch = Batch(
                id=f"msgbatch_01{digest}",
                seq=self._seq,
                created=self.now(),
                headers={k: v for k, v in headers.items() if k.startswith("anthropic-")},
                rows=rows,
                results_base=origin.rstrip("/"),
            )
            self._batches[batch.id] = batch
            return batch.to_api()

    def retrieve(self, batch_id: str) -> dict:
        with self._lock:
            batch = self._get(batch_id)
            self._update(batch)
            return batch.to_api()

    def list(self) -> list[dict]:
        """Every batch, newest first, brought up to date."""
        with self._lock:
            self._update_all()
            ordered = sorted(self._batches.values(), key=lambda b: b.seq, reverse=True)
            return [b.to_api() for b in ordered]

    def cancel(self, batch_id: str) -> dict:
        with self._lock:
            batch = self._get(batch_id)
            self._update(batch)
            if batch.ended is not None:
                raise invalid(f"Message Batch {batch_id} has already ended and cannot be canceled.")
            if batch.cancel_at is None:
                batch.cancel_at = self.now()
                self._update(batch)
            return batch.to_api()

    def delete(self, batch_id: str) -> dict:
        with self._lock:
            batch = self._get(batch_id)
            self._update(batch)
            if batch.ended is None:
                raise invalid(
                    f"Message Batch {batch_id} cannot be deleted while it is processing: "
                    "cancel it, then delete it once its processing_status is 'ended'."
                )
            del self._batches[batch_id]
            return {"id": batch_id, "type": "message_batch_deleted"}

    def results(self, batch_id: str) -> bytes:
        """The JSONL results file, not in submission order."""
        with self._lock:
            batch = self._get(batch_id)
            self._update(batch)
            if batch.archived is not None:
                raise ApiError(
                    404,
                    f"The results of Message Batch {batch_id} are no longer available: "
                    "results are kept for 29 days after creation.",
                    "not_found_error",
                )
            if batch.ended is None:
                raise invalid(
                    f"Message Batch {batch_id} has not finished processing: results are "
                    "available once its processing_status is 'ended'."
                )
            rows = sorted(batch.rows, key=lambda r: _shuffle_key(batch.id, r.custom_id))
            if len(rows) > 1 and rows == batch.rows:
                rows.reverse()  # never in submission order
            lines = [
                json.dumps({"custom_id": r.custom_id, "result": r.result}, ensure_ascii=False)
                for r in rows
            ]
        return ("\n".join(lines) + "\n").encode()

    # ------------------------------------------------------------------ processing

    def _get(self, batch_id: str) -> Batch:
        batch = self._batches.get(batch_id)
        if batch is None:
            raise ApiError(404, f"message_batch: {batch_id}", "not_found_error")
        return batch

    def _update_all(self) -> None:
        for batch in list(self._batches.values()):
            self._update(batch)

    def _finish(self, batch: Batch, index: int) -> float:
        """When request `index` finishes (requests run one after another from creation)."""
        return batch.created + (index + 1) * self.seconds_per_request

    def _in_progress_at_cancel(self, batch: Batch) -> int | None:
        """The request running when cancellation began (it still finishes), if any."""
        if batch.cancel_at is None or self.seconds_per_request <= 0:
            return None
        k = math.floor((batch.cancel_at - batch.created) / self.seconds_per_request)
        return k if k < len(batch.rows) else None

    def _limit(self, batch: Batch) -> int:
        """How many requests will ever finish: none due after expiry, none that had not
        started when cancellation began."""
        n, spr = len(batch.rows), self.seconds_per_request
        if spr <= 0:
            return n
        limit = min(n, math.floor(EXPIRES_AFTER / spr))
        k = self._in_progress_at_cancel(batch)
        return limit if k is None else min(limit, k + 1)

    def _end_time(self, batch: Batch, limit: int) -> float:
        n = len(batch.rows)
        if limit == n:
            if n == 0 or self.seconds_per_request <= 0:
                return batch.created
            return self._finish(batch, n - 1)
        k = self._in_progress_at_cancel(batch)
        if k is not None and self._finish(batch, k) <= batch.expires:
            return self._finish(batch, k)  # canceling ends when that request is done
        return batch.expires

    def _update(self, batch: Batch) -> None:
        """Process every request due by now; end the batch once its end time has come."""
        now = self.now()
        if batch.ended is None:
            limit = self._limit(batch)
            while batch.done < limit and self._finish(batch, batch.done) <= now:
                self._process(batch, batch.rows[batch.done])
                batch.done += 1
            end = self._end_time(batch, limit)
            if end <= now:
                for k in range(batch.done, len(batch.rows)):
                    start = batch.created + k * self.seconds_per_request
                    canceled = batch.cancel_at is not None and start > batch.cancel_at
                    row = batch.rows[k]
                    row.result = {"type": "canceled" if canceled else "expired"}
                    row.params = None
                batch.done = len(batch.rows)
                self._end(batch, end)
        if batch.archived is None and now >= batch.created + ARCHIVED_AFTER:
            batch.archived = batch.created + ARCHIVED_AFTER
            for row in batch.rows:
                row.result = None  # the results are gone: free them

    def _end(self, batch: Batch, when: float) -> None:
        batch.ended = when
        counts = {"succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
        for row in batch.rows:
            counts[row.result["type"]] += 1  # type: ignore[index]
        batch.counts = counts

    def _process(self, batch: Batch, row: _Row) -> None:
        params, row.params = row.params, None
        try:
            if not isinstance(params, dict):
                raise invalid("params: Input should be a valid dictionary")
            if params.get("stream"):
                raise invalid("stream: streaming is not supported for Message Batch requests")
            message = self._reply(copy.deepcopy(params), batch.headers)
            row.result = {"type": "succeeded", "message": message}
        except ApiError as exc:
            row.result = {"type": "errored", "error": exc.body(self._error_id())}


def _shuffle_key(batch_id: str, custom_id: str) -> str:
    return hashlib.sha256(f"{batch_id}\x00{custom_id}".encode()).hexdigest()


def _parse_requests(body: dict) -> list[_Row]:
    """The batch's rows, or a 400 for what the API rejects at creation."""
    for key in body:
        if key != "requests":
            raise invalid(f"{key}: Extra inputs are not permitted")
    if "requests" not in body:
        raise invalid("requests: Field required")
    requests = body["requests"]
    if not isinstance(requests, list):
        raise invalid("requests: Input should be a valid list")
    if not requests:
        raise invalid("requests: List should have at least 1 item after validation, not 0")
    if len(requests) > MAX_REQUESTS:
        raise invalid(
            f"requests: List should have at most {MAX_REQUESTS} items after validation, "
            f"not {len(requests)}"
        )
    rows: list[_Row] = []
    seen: set[str] = set()
    for i, item in enumerate(requests):
        where = f"requests.{i}"
        if not isinstance(item, dict):
            raise invalid(f"{where}: Input should be a valid dictionary")
        for key in item:
            if key not in ("custom_id", "params"):
                raise invalid(f"{where}.{key}: Extra inputs are not permitted")
        for key in ("custom_id", "params"):
            if key not in item:
                raise invalid(f"{where}.{key}: Field required")
        cid = item["custom_id"]
        if not isinstance(cid, str):
            raise invalid(f"{where}.custom_id: Input should be a valid string")
        if not cid:
            raise invalid(f"{where}.custom_id: String should have at least 1 character")
        if len(cid) > 64:
            raise invalid(f"{where}.custom_id: String should have at most 64 characters")
        if not CUSTOM_ID.fullmatch(cid):
            raise invalid(f"{where}.custom_id: String should match pattern '{CUSTOM_ID_PATTERN}'")
        if cid in seen:
            raise invalid(
                f"{where}.custom_id: custom_id values must be unique within a Message Batch; "
                f"{cid!r} is used more than once"
            )
        seen.add(cid)
        if not isinstance(item["params"], dict):
            raise invalid(f"{where}.params: Input should be a valid dictionary")
        rows.append(_Row(cid, item["params"]))
    return rows
