"""Speed-up of `claude_magic.batch(..., realtime=True)` from concurrency, at a fixed latency.

What: 200 rows as ordinary Messages calls, each answered after a simulated 0.5 s of
latency, at concurrency 1 and at concurrency 16 (same rows, same prompt).

How: the client is the simulator's in-process client with a transport wrapper, written
here, that waits 0.5 s before every POST /v1/messages (count_tokens, used by the estimate,
is not delayed); the product has no latency knob. Each run is timed on the wall clock
around `batch(...)`, the estimate included. Speed-up = time at 1 / time at 16; the ideal
is 16 (200 rows: 100 s against 6.5 s of latency). Prints a table; no assertions. Runs in
~2 minutes (concurrency 1 waits 100 s).

Usage: python benchmarks/batch_realtime.py [ROWS] [LATENCY_S]
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import anthropic  # noqa: E402
import httpx2  # noqa: E402

import claude_magic  # noqa: E402
from claude_magic.offline import Simulator  # noqa: E402


class Latency(httpx2.BaseTransport):
    """Delegates to the simulator's transport after `seconds` on each Messages call."""

    def __init__(self, inner: httpx2.BaseTransport, seconds: float) -> None:
        self.inner, self.seconds = inner, seconds

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST" and request.url.path == "/v1/messages":
            time.sleep(self.seconds)
        return self.inner.handle_request(request)


def main(rows: int = 200, latency: float = 0.5) -> None:
    sim = Simulator()
    client = anthropic.Anthropic(
        base_url=sim.base_url,
        api_key="benchmark",
        http_client=anthropic.DefaultHttpxClient(transport=Latency(sim.transport(), latency)),
    )
    reviews = [f"Review {i}: love the widgets, hate the sync." for i in range(rows)]
    times = {}
    for concurrency in (1, 16):
        start = time.perf_counter()
        out = claude_magic.batch(
            reviews,
            "Sentiment? {value}",
            realtime=True,
            concurrency=concurrency,
            client=client,
            max_tokens=100,
        )
        times[concurrency] = time.perf_counter() - start
        assert len(out) == rows and out.error.isna().all()
        for i in (0, rows - 1):
            assert f"Review {i}:" in out.response.iloc[i]  # every row its own answer
    print(f"\n{rows} rows realtime, {latency} s simulated latency per call")
    print(f"{'concurrency':<13}{'wall s':>8}{'rows/s':>8}")
    for concurrency, seconds in times.items():
        print(f"{concurrency:<13}{seconds:>8.1f}{rows / seconds:>8.1f}")
    print(f"speed-up at 16: {times[1] / times[16]:.1f}x (ideal 16x)")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(int(args[0]) if args else 200, float(args[1]) if len(args) > 1 else 0.5)
