"""What the frontend receives, and when, while a reply streams at a paced 100 tokens/s.

What: a ~4,000-character Markdown reply (~1,000 output tokens, ~10 s at 100 tok/s) from the
offline simulator, driven through the real SDK by `Exchange` into the default live view.
Printed: the largest gap between messages to the frontend while text streams (the time the
screen can stand still), messages per second, and the message payload per byte of reply.

How: one process, no kernel. Every widget comm message (open, update, custom, close) is
recorded with its time and the JSON size of its data by patching `comm.create_comm`
(tests/views_helpers.py `record_comms`); `IPython.display.display` returns a handle that
records the initial display and the final static update too. A view proxy records when each
text delta reached the view. The window "while text streams" runs from the first to the last
text delta; its gaps include the edges (first delta to first message, last message to last
delta), so text held back at either end counts.

"payload" is what the comm updates carry for the view: the JSON of a custom message's
content, or of the values in a state update (for the old `HTML.value` view: the HTML
strings), in UTF-8 bytes. Also printed: all comm data (with ipywidgets' framing and the
one-time comm_open, which carries the front-end code) and the saved bundle. The Jupyter
envelope of ~535 B per message comes on top of both and is what msgs/s counts.

Goal (issue): largest gap <= 0.3 s, payload <= 2x the reply, <= 25 messages/s.
Prints figures and a verdict; no assertions. Runs in ~12 s.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _reply import reply_text  # noqa: E402 - benchmarks/ is the script directory

RATE = 100.0
WORDS = 600
GOALS = {"gap": 0.3, "payload": 2.0, "rate": 25.0}


class Handle:
    def __init__(self, obj: Any, sent: list[tuple[float, str, int]]) -> None:
        self.sent = sent
        bundle = obj._repr_mimebundle_() if hasattr(obj, "_repr_mimebundle_") else {}
        sent.append((time.perf_counter(), "display_data", _size(bundle)))

    def update(self, bundle: dict[str, Any], raw: bool = False) -> None:
        self.sent.append((time.perf_counter(), "update_display_data", _size(bundle)))


def _size(bundle: Any) -> int:
    return len(json.dumps(bundle, default=str, ensure_ascii=False).encode())


class Timed:
    """Forwards every View call to `view`, noting when text deltas arrived."""

    def __init__(self, view: Any) -> None:
        self.view = view
        self.text_keys: set[Any] = set()
        self.text_at: list[float] = []

    def block_start(self, key: Any, block: dict[str, Any]) -> None:
        if block.get("type") == "text":
            self.text_keys.add(key)
        self.view.block_start(key, block)

    def block_delta(self, key: Any, text: str) -> None:
        if key in self.text_keys:
            self.text_at.append(time.perf_counter())
        self.view.block_delta(key, text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.view, name)


class Stamped(list):
    """A list that notes the time of every append (the comm log's messages)."""

    def __init__(self, stamps: list[float]) -> None:
        super().__init__()
        self.stamps = stamps

    def append(self, item: Any) -> None:
        self.stamps.append(time.perf_counter())
        super().append(item)


def run() -> dict[str, float]:
    import IPython.display

    from claude_magic.chat import Chat
    from claude_magic.exchange import Exchange
    from claude_magic.offline import Simulator
    from claude_magic.request import RequestOptions, user_message
    from claude_magic.views.live import LiveView
    from tests.views_helpers import record_comms

    text = reply_text(WORDS)
    sim = Simulator(token_rate=RATE)
    sim.script(text)
    sent: list[tuple[float, str, int]] = []
    with pytest.MonkeyPatch.context() as mp:
        log = record_comms(mp)
        stamps: list[float] = []
        log.messages = Stamped(stamps)
        mp.setattr(IPython.display, "display", lambda obj, display_id=False: Handle(obj, sent))
        view = Timed(LiveView())
        Exchange(
            client=sim.client(),
            chat=Chat("bench"),
            user=user_message("Write a long answer."),
            options=RequestOptions(model="claude-sonnet-5-5", max_tokens=64000, cache_ttl=None),
            view=view,
            offline=True,
        ).run()
    payload = sum(_payload(kind, data) for kind, data, _ in log.messages)
    sent += [(t, kind, size) for t, (kind, _, size) in zip(stamps, log.messages, strict=True)]
    sent.sort()
    start, end = view.text_at[0], view.text_at[-1]
    during = [t for t, _, _ in sent if start <= t <= end]
    edges = [start, *during, end]
    gap = max(b - a for a, b in zip(edges, edges[1:], strict=False))
    reply = len(text.encode())
    comm_bytes = sum(size for _, kind, size in sent if kind.startswith("comm"))
    final = [size for _, kind, size in sent if kind == "update_display_data"][-1]
    return {
        "reply bytes": reply,
        "text deltas": len(view.text_at),
        "streamed s": end - start,
        "frontend msgs while streaming": len(during),
        "msgs/s": len(during) / (end - start),
        "largest gap s": gap,
        "comm msgs (all)": sum(1 for _, kind, _ in sent if kind.startswith("comm")),
        "payload / reply": payload / reply,
        "comm data incl. opens / reply": comm_bytes / reply,
        "saved bundle / reply": final / reply,
    }


def _payload(kind: str, data: dict[str, Any]) -> int:
    """UTF-8 bytes of what a comm_msg carries for the view (see the module docstring)."""
    if kind != "comm_msg":
        return 0
    if data.get("method") == "custom":
        values = [data.get("content")]
    else:
        values = list((data.get("state") or {}).values())
    return sum(len(json.dumps(v, ensure_ascii=False).encode()) for v in values)


def main() -> None:
    figures = run()
    for name, value in figures.items():
        shown = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
        print(f"{name:<34}{shown:>12}")
    gap, payload, rate = (
        figures["largest gap s"],
        figures["payload / reply"],
        figures["msgs/s"],
    )
    ok = gap <= GOALS["gap"] and payload <= GOALS["payload"] and rate <= GOALS["rate"]
    print(
        f"\nverdict at {RATE:.0f} tok/s: largest gap {gap:.2f} s (goal <= {GOALS['gap']}), "
        f"payload {payload:.2f}x (goal <= {GOALS['payload']:.0f}x), {rate:.1f} msgs/s "
        f"(goal <= {GOALS['rate']:.0f}) -> {'MEETS' if ok else 'MISSES'} the goals"
    )


if __name__ == "__main__":
    main()
