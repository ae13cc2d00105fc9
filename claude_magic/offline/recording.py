"""The simulator's log of received requests: bounded, newest kept, bodies parsed on demand.

Tests and course exercises read recent requests (``sim.requests[-1].json``), so the log keeps
the most recent ones whole and drops the oldest once it holds more than ``max_entries``
requests or more than ``max_bytes`` of request bodies; the newest request is always kept,
however large. A request keeps its raw body: ``.json`` parses it on each access (a parsed
body of a long conversation costs several times its size in Python objects).
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

DEFAULT_MAX_ENTRIES = 500
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the simulator received it (secret headers redacted)."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""
    query: dict[str, list[str]] = field(default_factory=dict)

    @property
    def json(self) -> Any:
        """The parsed JSON body (a new object on each access), or None if it is not JSON."""
        if not self.body:
            return None
        try:
            return json.loads(self.body)
        except ValueError:
            return None

    @property
    def size(self) -> int:
        """Bytes this entry accounts for: the body plus its headers."""
        return len(self.body) + sum(len(k) + len(v) for k, v in self.headers.items())


class RequestLog(Sequence[RecordedRequest]):
    """The most recent requests, oldest first; index it like a list (``log[-1]``)."""

    def __init__(
        self, max_entries: int = DEFAULT_MAX_ENTRIES, max_bytes: int = DEFAULT_MAX_BYTES
    ) -> None:
        if max_entries < 1 or max_bytes < 0:
            raise ValueError("a request log keeps at least one request")
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self.total = 0  # requests recorded since the last clear(), dropped ones included
        self.bytes = 0  # bytes held now
        self._entries: deque[RecordedRequest] = deque()
        self._lock = threading.Lock()

    def append(self, request: RecordedRequest) -> None:
        with self._lock:
            self._entries.append(request)
            self.bytes += request.size
            self.total += 1
            while len(self._entries) > 1 and (
                len(self._entries) > self.max_entries or self.bytes > self.max_bytes
            ):
                self.bytes -= self._entries.popleft().size

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self.bytes = 0
            self.total = 0

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> RecordedRequest: ...

    @overload
    def __getitem__(self, index: slice) -> list[RecordedRequest]: ...

    def __getitem__(self, index: int | slice) -> RecordedRequest | list[RecordedRequest]:
        with self._lock:
            if isinstance(index, slice):
                return list(self._entries)[index]
            return self._entries[index]

    def __iter__(self) -> Iterator[RecordedRequest]:
        with self._lock:
            snapshot = list(self._entries)
        return iter(snapshot)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, (RequestLog, list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (
            f"RequestLog({len(self)} of {self.total} requests kept, {self.bytes} bytes; "
            f"max_entries={self.max_entries}, max_bytes={self.max_bytes})"
        )
