"""A loopback HTTP server over the Simulator core (stdlib ThreadingHTTPServer).

Streams use HTTP/1.1 chunked encoding; a dropped connection closes the socket without the
terminating zero-length chunk, exactly like a real peer that goes away mid-stream. A client
that goes away (an aborted stream, a reset keep-alive connection) is logged as one line on
stderr, not as a traceback.
"""

from __future__ import annotations

import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from .simulator import Simulator, StreamDropped

_CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
        if self.server.verbose:
            super().log_message(format, *args)

    def _serve(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        host = self.headers.get("host") or "{}:{}".format(*self.server.server_address[:2])
        result = self.server.simulator.handle(
            self.command, self.path, dict(self.headers), body, origin=f"http://{host}"
        )
        self.send_response(result.status)
        for key, value in result.headers.items():
            self.send_header(key, value)
        if not result.is_stream:
            payload = result.body
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        try:
            for chunk in result.chunks():
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
            self.wfile.write(b"0\r\n\r\n")
        except StreamDropped:
            self.close_connection = True
            self.wfile.flush()
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        except _CLIENT_GONE as exc:
            self.close_connection = True
            self.server.client_gone(self.client_address, exc)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, addr: tuple[str, int], simulator: Simulator, verbose: bool) -> None:
        self.simulator = simulator
        self.verbose = verbose
        super().__init__(addr, _Handler)

    def client_gone(self, client_address: Any, exc: BaseException) -> None:
        host, port = client_address[:2]
        sys.stderr.write(
            f"offline simulator: {host}:{port} closed the connection ({type(exc).__name__})\n"
        )

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, _CLIENT_GONE):
            self.client_gone(client_address, exc)
        else:
            super().handle_error(request, client_address)


class RunningServer:
    """A simulator served on loopback in a daemon thread. Use as a context manager."""

    def __init__(self, simulator: Simulator, host: str, port: int, verbose: bool = False) -> None:
        self.simulator = simulator
        self._httpd = _Server((host, port), simulator, verbose)
        self.host, self.port = self._httpd.server_address[:2]
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="claude-magic-offline", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Block until interrupted (used by ``python -m claude_magic.offline``)."""
        try:
            self._thread.join()
        except KeyboardInterrupt:
            self.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def serve(
    simulator: Simulator | None = None,
    port: int = 0,
    host: str = "127.0.0.1",
    verbose: bool = False,
) -> RunningServer:
    """Serve `simulator` (a new one if None) on http://host:port; port 0 picks a free one."""
    return RunningServer(simulator or Simulator(), host, port, verbose)
