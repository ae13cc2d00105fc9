"""Bytes sent to the frontend per byte of reply while a long reply streams into the live view.

What: a ~4,000-delta text reply (Markdown paragraphs, ~78 KB) streamed into `LiveView`, the
default `%%claude` view in a kernel (an anywidget: deltas appended in the browser, finished
Markdown blocks as skeletons over the text already sent), compared with the naive approach:
one `ipywidgets.HTML` whose `value` is set to the escaped text-so-far on every delta.

How: in one process, no kernel. Every widget comm message (open, update, close) is recorded
by patching `comm.create_comm` (tests/views_helpers.py `record_comms`) and measured as the
JSON size of its data; `IPython.display.display` is patched to a handle that measures the
display_data (widget view) and the final update_display_data (static bundle). The reply is
scripted in the offline simulator (which splits text into 3 words per delta; the delta count
is checked) and driven through the real SDK stream by `Exchange`, at two speeds, because the
live view's clock depends on wall time: the simulator's instant rate, and a real-time
rate at which the stream lasts ~10 s (~2,000 tokens/s; benchmarks/stream_paced.py measures
100 tokens/s). "data bytes" counts everything the widget layer sends: the comm_open with the
front-end's code (~8 KB, once per cell), every message, the comm_close. "wire" adds ~535 B
per message for the envelope (header, parent header, HMAC, comm id; measured in
the team's shared jupyter-notes.md §1).

Goal (issue): at instant speed, comm data <= 2x the reply's bytes.
Prints a table and a verdict; no assertions. Runs in ~30 s.
"""

from __future__ import annotations

import html
import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _reply import reply_text  # noqa: E402 - benchmarks/ is the script directory

from tests.views_helpers import CommLog, record_comms  # noqa: E402

GOAL = 2.0
TARGET_DELTAS = 4000
ENVELOPE = 535
REAL_TIME_SECONDS = 10.0


class Handle:
    """Stands in for IPython's DisplayHandle: measures what would go to the frontend."""

    def __init__(self, shown: Any, sizes: list[int]) -> None:
        self.sizes = sizes
        bundle = shown._repr_mimebundle_() if hasattr(shown, "_repr_mimebundle_") else {}
        sizes.append(len(json.dumps(bundle, default=str)))
        self.final: dict[str, Any] = {}

    def update(self, bundle: dict[str, Any], raw: bool = False) -> None:
        self.final = bundle
        self.sizes.append(len(json.dumps(bundle, default=str)))


def stream_live(sim: Any, text: str, rate: float) -> tuple[CommLog, list[int], dict, float]:
    """One Exchange into a LiveView; returns comms, display sizes, final bundle, seconds."""
    import IPython.display

    from claude_magic.chat import Chat
    from claude_magic.exchange import Exchange
    from claude_magic.request import RequestOptions, user_message
    from claude_magic.views.live import LiveView

    sizes: list[int] = []
    handles: list[Handle] = []

    def display(obj: Any, display_id: bool = False) -> Handle:
        handles.append(Handle(obj, sizes))
        return handles[-1]

    sim.token_rate = rate
    sim.script(text)
    with pytest.MonkeyPatch.context() as mp:
        log = record_comms(mp)
        mp.setattr(IPython.display, "display", display)
        view = LiveView()
        exchange = Exchange(
            client=sim.client(),
            chat=Chat("bench"),
            user=user_message("Write a long answer."),
            options=RequestOptions(model="claude-sonnet-5-5", max_tokens=64000, cache_ttl=None),
            view=view,
            offline=True,
        )
        start = time.perf_counter()
        exchange.run()
        seconds = time.perf_counter() - start
    return log, sizes, handles[-1].final, seconds


def stream_naive(sim: Any, text: str, rate: float) -> tuple[CommLog, float]:
    """One HTML widget, value = escaped text so far, set on every text delta."""
    import ipywidgets

    sim.token_rate = rate
    sim.script(text)
    client = sim.client()
    with pytest.MonkeyPatch.context() as mp:
        log = record_comms(mp)
        widget = ipywidgets.HTML()
        so_far = ""
        start = time.perf_counter()
        with client.messages.stream(
            model="claude-sonnet-5-5",
            max_tokens=64000,
            messages=[{"role": "user", "content": "Write a long answer."}],
        ) as stream:
            for delta in stream.text_stream:
                so_far += delta
                widget.value = f"<pre>{html.escape(so_far)}</pre>"
        seconds = time.perf_counter() - start
        widget.close()
    return log, seconds


def count_deltas(sim: Any, text: str) -> tuple[int, int]:
    """(text deltas, output tokens) of the scripted reply, through the real SDK."""
    sim.token_rate = 0
    sim.script(text)
    with sim.client().messages.stream(
        model="claude-sonnet-5-5",
        max_tokens=64000,
        messages=[{"role": "user", "content": "count"}],
    ) as stream:
        deltas = sum(1 for e in stream if e.type == "content_block_delta")
        tokens = stream.get_final_message().usage.output_tokens
    return deltas, tokens


def main() -> None:
    from claude_magic.offline import Simulator

    sim = Simulator(token_rate=0)
    text = reply_text(3 * TARGET_DELTAS)
    deltas, tokens = count_deltas(sim, text)
    reply_bytes = len(text.encode())
    real_rate = tokens / REAL_TIME_SECONDS
    print(
        f"reply: {reply_bytes:,} bytes, {deltas:,} text deltas, {tokens:,} output tokens; "
        f"real-time rate {real_rate:,.0f} tok/s (~{REAL_TIME_SECONDS:.0f} s)\n"
    )

    rows = []
    breakdowns: dict[str, str] = {}
    bundle_note = ""
    for speed, rate in (("instant", 0.0), ("real-time", real_rate)):
        log, sizes, final, seconds = stream_live(sim, text, rate)
        comm_bytes = log.bytes
        n = len(log.messages)
        updates = log.count("comm_msg")
        rows.append(("live view (comms)", speed, seconds, n, updates, comm_bytes, n))
        shown = comm_bytes + sum(sizes)
        m = n + len(sizes)
        rows.append(("live view + displays", speed, seconds, m, 0, shown, m))
        breakdowns[speed] = breakdown(log)
        parts = ", ".join(f"{k} {len(json.dumps(v)):,}" for k, v in final.items())
        bundle_note = f"final static bundle: {sizes[-1]:,} bytes ({parts})"
        log, seconds = stream_naive(sim, text, rate)
        n = len(log.messages)
        rows.append(
            ("naive HTML.value/delta", speed, seconds, n, log.count("comm_msg"), log.bytes, n)
        )

    header = (
        f"{'strategy':<24}{'speed':<11}{'secs':>6}{'comm msgs':>11}{'updates':>9}"
        f"{'data bytes':>14}{'wire bytes':>14}{'reply bytes':>13}{'ratio':>8}{'wire ratio':>12}"
    )
    print(header)
    print("-" * len(header))
    for name, speed, seconds, n, updates, data, msgs in rows:
        wire = data + ENVELOPE * msgs
        print(
            f"{name:<24}{speed:<11}{seconds:>6.1f}{n:>11,}{updates or '':>9}"
            f"{data:>14,}{wire:>14,}{reply_bytes:>13,}{data / reply_bytes:>8.2f}"
            f"{wire / reply_bytes:>12.2f}"
        )
    print()
    print(bundle_note)
    for speed, text_ in breakdowns.items():
        print(f"live view comm data by kind ({speed}): {text_}")
    instant = rows[0][5] / reply_bytes
    print(
        f"verdict: at instant speed the live view's comm data is {instant:.2f}x the reply -> "
        f"{'MEETS' if instant <= GOAL else 'MISSES'} the goal (<= {GOAL:.0f}x). The naive "
        f"per-delta HTML.value is {rows[2][5] / reply_bytes:,.0f}x. The final static bundle "
        "(text/plain, text/html and the turn record, what the saved notebook keeps) comes on "
        "top (the '+ displays' rows)."
    )


def breakdown(log: CommLog) -> str:
    """Comm data bytes (and message counts) by message type and updated trait."""
    sizes: dict[str, list[int]] = {}
    for kind, data, size in log.messages:
        state = (data or {}).get("state") or {}
        custom = (data or {}).get("method") == "custom"
        key = "custom" if custom else kind if kind != "comm_msg" else "update " + "+".join(state)
        if kind == "comm_open":
            key += " " + str(state.get("_model_name", "?"))
        sizes.setdefault(key, []).append(size)
    items = sorted(sizes.items(), key=lambda kv: -sum(kv[1]))
    return "; ".join(f"{k} {len(v)} msgs {sum(v):,} B" for k, v in items)


if __name__ == "__main__":
    main()
