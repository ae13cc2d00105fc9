"""An httpx2 transport that answers requests from a Simulator, in-process.

Streamed bodies are lazy: each SSE event is produced (and, with a token rate, paced) as the
client reads it. A dropped connection (Simulator.drop_after) raises
``httpx2.RemoteProtocolError`` from the body iterator, which is what httpx2 over a real socket
raises when a chunked response ends without its terminating chunk ("peer closed connection
without sending complete message body"). The SDK does not catch it: it propagates out of the
stream iteration. The async client is paced with ``asyncio.sleep`` in the event loop, so
cancelling the task that reads a stream raises ``asyncio.CancelledError`` as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx2

from .simulator import SimResponse, Simulator, StreamDropped


def _dropped(exc: StreamDropped) -> httpx2.RemoteProtocolError:
    return httpx2.RemoteProtocolError(
        f"peer closed connection without sending complete message body ({exc})"
    )


class _SimStream(httpx2.SyncByteStream):
    def __init__(self, result: SimResponse) -> None:
        self._chunks = result.chunks()

    def __iter__(self) -> Iterator[bytes]:
        try:
            yield from self._chunks
        except StreamDropped as exc:
            raise _dropped(exc) from None

    def close(self) -> None:
        self._chunks.close()


class _AsyncSimStream(httpx2.AsyncByteStream):
    """Async body: paced with ``asyncio.sleep``, so cancelling the reading task cancels the
    wait and nothing runs outside the event loop (a worker thread stepping the generator
    would still be inside it when the cancelled stream is closed)."""

    def __init__(self, result: SimResponse) -> None:
        assert result.timed is not None
        self._timed = result.timed

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            for delay, chunk in self._timed:
                if delay > 0:
                    await asyncio.sleep(delay)
                yield chunk
        except StreamDropped as exc:
            raise _dropped(exc) from None

    async def aclose(self) -> None:
        close = getattr(self._timed, "close", None)
        if close is not None:
            close()


class SimulatorTransport(httpx2.BaseTransport, httpx2.AsyncBaseTransport):
    """Serves both httpx2.Client and httpx2.AsyncClient."""

    def __init__(self, simulator: Simulator) -> None:
        self.simulator = simulator

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        body = await request.aread()
        result = self._handle(request, body)
        if result.is_stream:
            stream: httpx2.AsyncByteStream = _AsyncSimStream(result)
            return httpx2.Response(
                result.status, headers=result.headers, stream=stream, request=request
            )
        return httpx2.Response(
            result.status, headers=result.headers, content=result.body, request=request
        )

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        result = self._handle(request, request.read())
        if result.is_stream:
            return httpx2.Response(
                result.status, headers=result.headers, stream=_SimStream(result), request=request
            )
        return httpx2.Response(
            result.status, headers=result.headers, content=result.body, request=request
        )

    def _handle(self, request: httpx2.Request, body: bytes) -> SimResponse:
        url = request.url
        return self.simulator.handle(
            request.method,
            url.raw_path.decode("ascii"),
            dict(request.headers),
            body,
            origin=f"{url.scheme}://{url.netloc.decode('ascii')}",
        )
