"""Client overhead of `claude_magic.batch` on 10,000 rows through the Message Batches path.

What: a DataFrame of 10,000 short reviews, a prompt template over two columns, one Message
Batch on the offline simulator; the result joined back on the input's index and 10,000
ledger rows recorded.

How: the simulator runs in a separate process (served on loopback, its batch clock set to
finish every request at once), so this process's CPU time (`time.process_time`, all its
threads: the SDK, pandas, the progress bar) is the client's alone. Two phases are timed:
"build + submit" (`batch(..., wait=False)`: the template filled per row, each row's request
built, the estimate's count_tokens on 5 rows, the batch created, about 3.5 MB of JSON) and
"poll + join" (`job.wait()`: retrieve until ended, the 10,000-line JSONL results parsed by
the SDK, matched by custom_id, the result frame, the ledger rows). Peak memory is the
process's peak resident set (`ru_maxrss`, Python, pandas and the SDK included), also shown
before the batch. Prints a table; no assertions. Runs in ~30 s.

Usage: python benchmarks/batch_overhead.py [ROWS]
"""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SERVER = """
import sys
from claude_magic.offline import Simulator, serve
server = serve(Simulator(batch_seconds_per_request=0.0))
print(server.url, flush=True)
sys.stdin.read()  # serve until the benchmark closes our stdin
server.close()
"""


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(rows: int = 10_000) -> None:
    import anthropic
    import pandas as pd

    import claude_magic

    server = subprocess.Popen(
        [sys.executable, "-c", SERVER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
        text=True, cwd=ROOT,
    )  # fmt: skip
    try:
        url = server.stdout.readline().strip()
        client = anthropic.Anthropic(base_url=url, api_key="benchmark", max_retries=0)
        apps = ["Trailmate", "Budgetly", "Lingobit", "Snapcook", "Pulsefit"]
        data = pd.DataFrame(
            {
                "app": [apps[i % 5] for i in range(rows)],
                "review": [f"Review {i}: the sync is slow but the widgets are great." for i in
                           range(rows)],
            },
            index=pd.Index([f"R-{i:05d}" for i in range(rows)], name="review_id"),
        )  # fmt: skip
        before = peak_mb()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        job = claude_magic.batch(data, "Sentiment of this {app} review? {review}",
                                 client=client, max_tokens=100, wait=False)  # fmt: skip
        cpu1, wall1 = time.process_time(), time.perf_counter()
        out = job.wait(poll_interval=0.2)
        cpu2, wall2 = time.process_time(), time.perf_counter()
        assert len(out) == rows and out.error.isna().all() and out.index.equals(data.index)
        assert len(claude_magic.usage_frame()) == rows
    finally:
        server.stdin.close()
        server.wait(timeout=10)

    per_row = lambda seconds: seconds / rows * 1000  # noqa: E731
    print(f"\n{rows:,} rows through the Message Batches path (simulator in another process)")
    print(f"{'phase':<16}{'client CPU s':>14}{'ms / row':>10}{'wall s':>9}")
    for name, cpu, wall in (
        ("build + submit", cpu1 - cpu0, wall1 - wall0),
        ("poll + join", cpu2 - cpu1, wall2 - wall1),
        ("total", cpu2 - cpu0, wall2 - wall0),
    ):
        print(f"{name:<16}{cpu:>14.2f}{per_row(cpu):>10.3f}{wall:>9.2f}")
    print(f"peak RSS: {peak_mb():.0f} MB (before the batch: {before:.0f} MB)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
