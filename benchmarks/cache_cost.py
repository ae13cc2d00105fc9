"""What prompt caching saves on the billed input of a 10-turn chat with a long system prompt.

Method: one process, one IPython shell with `%load_ext claude_magic`, the text view, the
offline simulator (no key needed) streaming instantly (CLAUDE_MAGIC_OFFLINE_TOKEN_RATE=0).
For each model (the default, claude-opus-5-5 and claude-haiku-5-5) the same 10 user turns
are sent twice, as real `%%claude -c NAME -s {{system_prompt}}` cells: once with default
settings (automatic top-level caching, 5m TTL) and once with `--no-cache`, each in its own
chat and with the simulator's prompt cache reset before it, so the runs share no entries.
The system prompt is 8,000 characters (~2,000 tokens on the simulator's counter, checked
with `count_tokens`). Per chat, the billed INPUT cost is summed from `usage_frame()` rows
priced with `claude_magic.pricing`: uncached input + cache writes (5m/1h rates) + cache
reads; output tokens are excluded.

Goal (issue): input cost with default settings / with --no-cache <= 0.3 (default model).
Prints a per-turn token table, the ratio per model and a one-line verdict; no assertions.
"""

from __future__ import annotations

import contextlib
import io
import os
import time
from dataclasses import dataclass
from typing import Any

GOAL = 0.3
TURNS = 10
SYSTEM_CHARS = 8000
OTHER_MODELS = ("claude-opus-5-5", "claude-haiku-5-5")

_GUIDE = (
    "Rule {n}: when a student asks about {topic}, first restate the question in one "
    "sentence, then give a short worked example in Python, then name one common mistake. "
)
_TOPICS = (
    "pandas group-by",
    "matplotlib axes",
    "NumPy broadcasting",
    "list comprehensions",
    "unit tests",
    "regular expressions",
    "file paths",
    "virtual environments",
)

PROMPTS = (
    "I have a CSV of daily sales. How do I load it and look at the first rows?",
    "The date column came in as text. How do I turn it into real dates?",
    "Now I want the total sales per month. What is the simplest way?",
    "Some months are missing entirely. How can I show them as zero?",
    "Can you plot the monthly totals as a bar chart with labelled axes?",
    "The bars are crowded. How do I rotate the tick labels and fit the figure?",
    "I also have a region column. How do I compare regions month by month?",
    "Which region grew fastest over the year, and how would I compute that?",
    "How should I write a small test that checks the monthly totals are right?",
    "Summarise what we did in five bullet points I can paste into my notes.",
)


def system_prompt(chars: int = SYSTEM_CHARS) -> str:
    """A deterministic style guide of exactly `chars` characters."""
    parts: list[str] = []
    n = 0
    while sum(map(len, parts)) < chars:
        parts.append(_GUIDE.format(n=n + 1, topic=_TOPICS[n % len(_TOPICS)]))
        n += 1
    return "".join(parts)[:chars]


@dataclass
class TurnUsage:
    input: int
    write_5m: int
    write_1h: int
    read: int

    def usage(self) -> dict[str, Any]:
        """A usage dict with the output left out, for `pricing.cost_usd`."""
        return {
            "input_tokens": self.input,
            "output_tokens": 0,
            "cache_creation_input_tokens": self.write_5m + self.write_1h,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.write_5m,
                "ephemeral_1h_input_tokens": self.write_1h,
            },
            "cache_read_input_tokens": self.read,
        }


def run_chat(shell: Any, chat: str, model: str | None, no_cache: bool) -> list[TurnUsage]:
    """Send the 10 turns as `%%claude` cells in a fresh chat; one TurnUsage per API call."""
    import claude_magic

    claude_magic.simulator().reset()  # no prompt-cache entries from earlier runs
    line = f"-c {chat} --new -s {{{{system_prompt}}}}"
    if model:
        line += f" -m {model}"
    if no_cache:
        line += " --no-cache"
    with contextlib.redirect_stdout(io.StringIO()):
        for i, prompt in enumerate(PROMPTS):
            shell.run_cell_magic("claude", line if i == 0 else line.replace(" --new", ""), prompt)
    frame = claude_magic.usage_frame()
    rows = frame[frame["chat"] == chat]
    return [
        TurnUsage(
            int(r.input_tokens),
            int(r.cache_creation_5m_input_tokens),
            int(r.cache_creation_1h_input_tokens),
            int(r.cache_read_input_tokens),
        )
        for r in rows.itertuples()
    ]


def input_cost(model: str, turns: list[TurnUsage]) -> float:
    from claude_magic.pricing import cost_usd

    return sum(cost_usd(model, t.usage()) for t in turns)


def main() -> None:
    started = time.perf_counter()
    os.environ["CLAUDE_MAGIC_OFFLINE_TOKEN_RATE"] = "0"
    os.environ["CLAUDE_MAGIC_BACKEND"] = "offline"
    from IPython.core.interactiveshell import InteractiveShell

    import claude_magic
    from claude_magic.magics import DEFAULT_MODEL
    from claude_magic.offline import get_model
    from claude_magic.pricing import get_price

    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "claude_magic")
    shell.run_line_magic("config", "ClaudeMagics.view = 'text'")
    system = system_prompt()
    shell.user_ns["system_prompt"] = system

    client = claude_magic.simulator().client()
    probe = [{"role": "user", "content": "x"}]
    with_system = client.messages.count_tokens(model=DEFAULT_MODEL, system=system, messages=probe)
    without = client.messages.count_tokens(model=DEFAULT_MODEL, messages=probe)
    system_tokens = with_system.input_tokens - without.input_tokens
    print(
        f"cache_cost: {TURNS}-turn chat, system prompt {len(system):,} chars = "
        f"{system_tokens:,} tokens (count_tokens), default model {DEFAULT_MODEL}"
    )
    print()

    models = (DEFAULT_MODEL, *OTHER_MODELS)
    results: dict[str, tuple[list[TurnUsage], list[TurnUsage]]] = {}
    for model in models:
        flag = None if model == DEFAULT_MODEL else model
        cached = run_chat(shell, f"cached_{model}", flag, no_cache=False)
        plain = run_chat(shell, f"nocache_{model}", flag, no_cache=True)
        results[model] = (cached, plain)

    cached, plain = results[DEFAULT_MODEL]
    print(f"per turn, {DEFAULT_MODEL} (tokens)")
    print(f"{'':>4} | {'default settings':^26} | {'--no-cache':^26}")
    head = f"{'input':>8} {'write':>8} {'read':>8}"
    print(f"{'turn':>4} | {head} | {head}")
    for i, (c, p) in enumerate(zip(cached, plain, strict=True), 1):
        print(
            f"{i:>4} | {c.input:>8} {c.write_5m + c.write_1h:>8} {c.read:>8} | "
            f"{p.input:>8} {p.write_5m + p.write_1h:>8} {p.read:>8}"
        )
    print()

    print(f"{'model':<18} {'cache min':>9} {'cached $':>10} {'no-cache $':>10} {'ratio':>7}")
    ratios: dict[str, float] = {}
    for model, (c_turns, p_turns) in results.items():
        info = get_model(model)
        minimum = info.cache_min_tokens if info else 0
        c_cost, p_cost = input_cost(model, c_turns), input_cost(model, p_turns)
        ratios[model] = c_cost / p_cost
        print(f"{model:<18} {minimum:>9} {c_cost:>10.5f} {p_cost:>10.5f} {ratios[model]:>7.3f}")
    print()

    info = get_model(DEFAULT_MODEL)
    price = get_price(DEFAULT_MODEL)
    write_x = price.cache_write_5m / price.input if price else float("nan")
    read_x = price.cache_read / price.input if price else float("nan")
    minimum = info.cache_min_tokens if info else 0
    first_write = cached[0].write_5m + cached[0].write_1h
    reads = sum(t.read for t in cached[1:])
    print(
        f"why ({DEFAULT_MODEL}): system {system_tokens:,} tokens vs cache minimum {minimum:,}; "
        f"turn 1 writes {first_write:,} at {write_x:g}x input price, turns 2-{TURNS} read "
        f"{reads:,} at {read_x:g}x and write only each new exchange; "
        f"uncached input {sum(t.input for t in cached):,} "
        f"vs {sum(t.input for t in plain):,} with --no-cache"
    )
    print(f"elapsed: {time.perf_counter() - started:.1f} s")
    ratio = ratios[DEFAULT_MODEL]
    others = ", ".join(f"{m} {ratios[m]:.3f}x" for m in OTHER_MODELS)
    status = "MEETS" if ratio <= GOAL else "MISSES"
    print(
        f"VERDICT: {status} goal: cached input cost is {ratio:.3f}x --no-cache on "
        f"{DEFAULT_MODEL} (goal <= {GOAL}x; {others})"
    )


if __name__ == "__main__":
    main()
