"""An httpx2 transport that answers requests from a Simulator, in-process.

Streamed bodies are lazy: each SSE event is produced (and, with a token rate, paced) as the
client reads it. A dropped connection (Simulator.drop_after) raises
``httpx2.RemoteProtocolError`` from the body iterator, which is what httpx2 over a real socket
raises when a chunked response ends without its terminating chunk ("peer closed connection
without sending complete message body"). The SDK does not catch it: it propagates out of the
stream iteration.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator

import httpx2

from .simulator import SimResponse, Simulator, StreamDropped


class _SimStream(httpx2.SyncByteStream):
    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        except StreamDropped as exc:
            raise httpx2.RemoteProtocolError(
                f"peer closed connection without sending complete message body ({exc})"
            ) from None

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class _AsyncSimStream(httpx2.AsyncByteStream):
    """Async body: chunks are produced in a worker thread when pacing may sleep."""

    def __init__(self, chunks: Iterator[bytes], simulator: Simulator) -> None:
        self._sync = _SimStream(chunks)
        self._simulator = simulator

    async def __aiter__(self) -> AsyncIterator[bytes]:
        it = iter(self._sync)
        done = object()
        while True:
            if self._simulator.token_rate:
                chunk = await asyncio.to_thread(next, it, done)
            else:
                chunk = next(it, done)
            if chunk is done:
                return
            yield chunk  # type: ignore[misc]

    async def aclose(self) -> None:
        self._sync.close()


class SimulatorTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Serves both httpx2.Client and httpx2.AsyncClient."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        result = self.simulator.handle(
            request.method, request.url.raw_path.decode("ascii"), dict(request.headers), body
        )
        if result.chunks is not None:
            return httpx2.Response(
                result.status,
                headers=result.headers,
                stream=_AsyncSimStream(result.chunks, self.simulator),
                request=request,
            )
        return httpx2.Response(
            result.status,
            headers=result.headers,
            content=json.dumps(result.json).encode(),
            request=request,
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        body = request.read()
        target = request.url.raw_path.decode("ascii")
        result: SimResponse = self.simulator.handle(
            request.method, target, dict(request.headers), body
        )
        if result.chunks is not None:
            return httpx2.Response(
                result.status,
                headers=result.headers,
                stream=_SimStream(result.chunks),
                request=request,
            )
        content = json.dumps(result.json).encode()
        return httpx2.Response(
            result.status, headers=result.headers, content=content, request=request
        )
