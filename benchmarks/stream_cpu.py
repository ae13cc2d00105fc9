"""Kernel CPU per token of the live view, next to a bare SDK `text_stream` loop on the same stream.

What: the CPU a `%%claude` cell costs while a long reply streams, per output token, for
(a) the bare SDK: `with client.messages.stream(...) as s: for _ in s.text_stream: pass`;
(b) the full `Exchange` feeding the `LiveView` (the default view in a kernel);
(c) the full `Exchange` feeding the `TextView` writing to an `io.StringIO`;
(d) the full `Exchange` feeding a `NullView` (the exchange's own share, for attribution).

How: one process, no kernel. The same scripted reply (~4,000 text deltas, ~70 KB, Markdown
paragraphs) from the offline simulator at its instant rate, through the real SDK on the
simulator's in-process transport, so (a) includes SSE parsing and the SDK's accumulation
and every other row adds only what claude_magic does. Widget comms go to a no-op comm
(`comm.create_comm` patched: state is computed but not serialized or sent) and
`IPython.display.display` returns a no-op handle. After one warm-up run each, the variants
run in turn, REPS rounds (so a machine whose load changes affects them alike), timed with
`time.process_time`; the median per variant is reported. If (b)/(a) misses the goal, (b)
is profiled with cProfile (top 15 by cumulative time).

Goal (issue): live view CPU per token <= 1.3x the bare SDK loop.
Prints figures and a verdict; no assertions. Runs in ~20 s.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import statistics
import time
from collections.abc import Callable
from typing import Any

from _reply import reply_text  # noqa: E402 - benchmarks/ is the script directory

GOAL = 1.3
REPS = 9
TARGET_DELTAS = 4000
MODEL = "claude-sonnet-5-5"


class NoopHandle:
    def update(self, bundle: dict[str, Any], raw: bool = False) -> None:
        pass


def patch_frontend() -> None:
    """Widgets get a comm that sends nothing; display() returns a no-op handle."""
    import comm
    import IPython.display
    from comm.base_comm import BaseComm

    class NoopComm(BaseComm):
        def publish_msg(self, msg_type: str, data: Any = None, metadata: Any = None, **_: Any):
            pass

    comm.create_comm = lambda **kw: NoopComm(**kw)
    IPython.display.display = lambda obj, display_id=False: NoopHandle()


def bare(sim: Any, text: str) -> Callable[[], None]:
    client = sim.client()

    def run() -> None:
        sim.script(text)
        with client.messages.stream(
            model=MODEL,
            max_tokens=64000,
            messages=[{"role": "user", "content": "Write a long answer."}],
        ) as stream:
            for _ in stream.text_stream:
                pass

    return run


def exchange(sim: Any, text: str, make_view: Callable[[], Any]) -> Callable[[], None]:
    from claude_magic.chat import Chat
    from claude_magic.exchange import Exchange
    from claude_magic.request import RequestOptions, user_message

    client = sim.client()
    options = RequestOptions(model=MODEL, max_tokens=64000, cache_ttl=None)

    def run() -> None:
        sim.script(text)
        Exchange(
            client=client,
            chat=Chat("bench"),
            user=user_message("Write a long answer."),
            options=options,
            view=make_view(),
            offline=True,
        ).run()

    return run


def cpu(variants: dict[str, Callable[[], None]]) -> dict[str, float]:
    """Median CPU seconds of one run of each variant, after a warm-up, rounds interleaved."""
    for run in variants.values():
        run()
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(REPS):
        for name, run in variants.items():
            start = time.process_time()
            run()
            times[name].append(time.process_time() - start)
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    from claude_magic.offline import Simulator
    from claude_magic.protocol import NullView
    from claude_magic.views.live import LiveView
    from claude_magic.views.text import TextView

    patch_frontend()
    sim = Simulator(token_rate=0)
    text = reply_text(3 * TARGET_DELTAS)
    sim.script(text)
    with sim.client().messages.stream(
        model=MODEL, max_tokens=64000, messages=[{"role": "user", "content": "count"}]
    ) as stream:
        deltas = sum(1 for e in stream if e.type == "content_block_delta")
        tokens = stream.get_final_message().usage.output_tokens
    print(
        f"reply: {len(text.encode()):,} bytes, {deltas:,} text deltas, {tokens:,} output "
        f"tokens; median of {REPS} runs (process CPU time)\n"
    )
    variants = {
        "(a) bare SDK text_stream": bare(sim, text),
        "(b) Exchange + LiveView": exchange(sim, text, LiveView),
        "(c) Exchange + TextView(StringIO)": exchange(sim, text, lambda: TextView(io.StringIO())),
        "(d) Exchange + NullView": exchange(sim, text, NullView),
    }
    results = cpu(variants)
    base = results["(a) bare SDK text_stream"]
    header = f"{'variant':<36}{'CPU s/run':>11}{'µs/token':>10}{'µs/delta':>10}{'vs (a)':>8}"
    print(header)
    print("-" * len(header))
    for name, seconds in results.items():
        print(
            f"{name:<36}{seconds:>11.3f}{seconds / tokens * 1e6:>10.1f}"
            f"{seconds / deltas * 1e6:>10.1f}{seconds / base:>8.2f}"
        )
    live = results["(b) Exchange + LiveView"] / base
    text_ratio = results["(c) Exchange + TextView(StringIO)"] / base
    print()
    print(
        f"verdict: live view (b)/(a) = {live:.2f}x -> "
        f"{'MEETS' if live <= GOAL else 'MISSES'} the goal (<= {GOAL}x); "
        f"text view (c)/(a) = {text_ratio:.2f}x"
    )
    if live > GOAL:
        print("\nprofile of (b), top 15 by cumulative time:")
        profiler = cProfile.Profile()
        profiler.enable()
        variants["(b) Exchange + LiveView"]()
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
        stats.print_stats(15)
        print(out.getvalue())
        print("the view's own share: claude_magic/views and ipywidgets, top 15 by cumulative:")
        out = io.StringIO()
        stats.stream = out
        stats.print_stats(r"claude_magic/views|ipywidgets|traitlets/traitlets.py", 15)
        print(out.getvalue().split("function)\n", 1)[-1])
        out = io.StringIO()
        stats.stream = out
        stats.print_callers(r"markdown_it/main.py.*\(parse\)")
        print(out.getvalue().split("was called by...\n", 1)[-1])


if __name__ == "__main__":
    main()
