"""Memory the offline simulator keeps while a notebook conversation grows.

What: two offline conversations driven through the real SDK, in-process
(`Simulator().client()`), each turn resending the whole history like `%%claude` does:

1. 200 short turns (default model: thinking omitted, top-level prompt caching on);
2. 20 turns whose first user message attaches a 1 MB PDF (so every request carries it).

How: tracemalloc measures Python allocations. "held by the simulator" is what is still
allocated once the conversation (history, client, replies) is dropped and collected while
the Simulator object stays alive: the part that grows with use. "peak" is tracemalloc's peak
during the run (the conversation itself included), and "RSS growth" is the change of the
process's resident set (Linux /proc; it rarely shrinks, so it is an upper bound).
Prints a table; no assertions. Runs in ~30 s.
"""

from __future__ import annotations

import base64
import gc
import os
import sys
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from claude_magic.offline import Simulator  # noqa: E402

MB = 1024 * 1024


def rss() -> int:
    """Resident set size in bytes (0 where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def converse(sim: Simulator, turns: int, first_content: list | str) -> None:
    client = sim.client()
    history: list = []
    for n in range(turns):
        content = first_content if n == 0 else f"Turn {n}: tell me one more thing about otters."
        history.append({"role": "user", "content": content})
        reply = client.messages.create(
            model="claude-sonnet-5-5",
            max_tokens=2000,
            messages=history,
            cache_control={"type": "ephemeral"},
        )
        history.append(reply.to_param())
    client.close()


def measure(label: str, turns: int, first_content: list | str) -> tuple[str, float, float, float]:
    gc.collect()
    tracemalloc.start()
    rss0 = rss()
    sim = Simulator()
    base = tracemalloc.get_traced_memory()[0]
    converse(sim, turns, first_content)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - base
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    grown = rss() - rss0
    del sim
    gc.collect()
    return label, held / MB, peak / MB, grown / MB


def main() -> None:
    converse(Simulator(), 2, "warm-up")  # import the SDK and build its models before measuring
    pdf = b"%PDF-1.4\n" + os.urandom(MB - 9)
    attached = [
        {
            "type": "document",
            "source": {
                "type": "base64",
                "media_type": "application/pdf",
                "data": base64.b64encode(pdf).decode(),
            },
        },
        {"type": "text", "text": "Summarise this PDF."},
    ]
    rows = [
        measure("200 short turns", 200, "Tell me about otters."),
        measure("20 turns, 1 MB PDF once", 20, attached),
    ]
    print(f"{'conversation':<26}{'held by simulator':>20}{'peak (traced)':>16}{'RSS growth':>13}")
    for label, held, peak, grown in rows:
        print(f"{label:<26}{held:>17.2f} MB{peak:>13.2f} MB{grown:>10.1f} MB")


if __name__ == "__main__":
    main()
