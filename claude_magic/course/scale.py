"""Exercises of notebook 14, Claude at scale: concurrent calls with `AsyncAnthropic`.

The check of `ask_all` cannot rely on timing (the machine is shared and the simulator
answers a non-streamed call at once), so it puts a gate between the learner's client and
the sandbox simulator: every /v1/messages request waits at the gate until the check lets
it through, one at a time, the newest first. The gate sees how many requests are in flight
whenever it decides, so it can tell one-at-a-time code, an unbounded `gather`, and groups
of `concurrency` that wait for their slowest member (a slot that stays empty while prompts
are waiting) from a semaphore's sliding window; and since replies come back newest first,
answers collected in completion order are out of order. Each prompt's reply is scripted
(a thinking block, then the text), so the check knows which answer belongs to which prompt.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx2

from . import Grader, exercise, sandbox

MODEL = "claude-sonnet-5-5"

PATIENCE = 1.5
"""Seconds the gate waits for the learner's code to fill a free slot before it decides
that the slot stays empty (a right answer fills it within milliseconds)."""
SETTLE = 0.01
"""Seconds without a new request before the gate lets one through (so every request an
unbounded `gather` sends is counted as in flight)."""
DEADLINE = 20.0
"""Seconds a run may take before the check gives up on the learner's code."""

# (prompt, scripted answer): no prompt is part of another, so a request names one of them.
QUESTIONS: tuple[tuple[str, str], ...] = (
    ("What is the capital of France?", "Paris."),
    ("How many legs does a spider have?", "Eight."),
    ("Which planet is the largest in the Solar System?", "Jupiter."),
    ("What is 12 times 12?", "144."),
    ("Who wrote 'Pride and Prejudice'?", "Jane Austen."),
    ("What is the chemical symbol for gold?", "Au."),
    ("In which year did the first human land on the Moon?", "1969."),
)
RUNS: tuple[tuple[int, int], ...] = ((7, 3), (4, 2))
"""(prompts, concurrency) of each run; the second catches a limit written as a constant."""


@dataclass
class _Held:
    """A request waiting at the gate."""

    index: int  # which prompt it carries (-1: none of them)
    go: asyncio.Event = field(default_factory=asyncio.Event)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class _Gate(httpx2.AsyncBaseTransport):
    """An httpx2 async transport in front of the simulator: holds each /v1/messages request
    until the check releases it, and notes the requests in flight."""

    def __init__(self, sim: Any, prompts: Sequence[str]) -> None:
        self.inner = sim.transport()
        self.prompts = list(prompts)
        self.waiting: list[_Held] = []  # in arrival order
        self.arrived = asyncio.Event()
        self.sent: list[int] = []  # the prompt of each request, in arrival order
        self.finished: list[int] = []  # the prompt of each reply, in the order they came back
        self.peak = 0

    async def handle_async_request(self, request: Any) -> Any:
        if request.url.path != "/v1/messages":
            return await self.inner.handle_async_request(request)
        held = _Held(self._prompt_of(await request.aread()))
        self.sent.append(held.index)
        self.waiting.append(held)
        self.peak = max(self.peak, len(self.waiting))
        self.arrived.set()
        try:
            await held.go.wait()
            return await self.inner.handle_async_request(request)
        finally:
            if held in self.waiting:  # cancelled before it was let through
                self.waiting.remove(held)
            self.finished.append(held.index)
            held.done.set()

    async def aclose(self) -> None:
        await self.inner.aclose()

    def _prompt_of(self, body: bytes) -> int:
        """The prompt the request's last user message carries (-1 if none)."""
        try:
            messages = json.loads(body).get("messages") or []
            content = messages[-1].get("content")
        except (ValueError, AttributeError, IndexError):
            return -1
        if isinstance(content, list):
            content = " ".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
        found = [i for i, p in enumerate(self.prompts) if p in str(content)]
        return found[0] if len(found) == 1 else -1


@dataclass
class _Trace:
    """What one run of the learner's `ask_all` did."""

    prompts: list[str]
    concurrency: int
    answers: Any = None
    sent: list[int] = field(default_factory=list)
    finished: list[int] = field(default_factory=list)
    peak: int = 0
    idle_slot: bool = False  # a slot stayed empty while prompts were waiting to be sent
    timed_out: bool = False


async def _release_all(gate: _Gate, sim: Any, task: asyncio.Task, trace: _Trace) -> None:
    """Let the requests through one at a time, newest first, scripting each one's reply."""
    loop = asyncio.get_running_loop()
    patience = PATIENCE
    total = len(trace.prompts)
    while True:
        # The learner should keep `concurrency` requests in flight while prompts remain.
        target = min(trace.concurrency, total - len(gate.finished))
        deadline = loop.time() + patience
        while len(gate.waiting) < target and not task.done():
            if not await _next_arrival(gate, task, deadline - loop.time()):
                break
        while not task.done() and await _next_arrival(gate, task, SETTLE):
            pass  # let the rest of a burst arrive before deciding
        if not gate.waiting:
            if task.done():
                return
            await _next_arrival(gate, task, DEADLINE)
            continue
        if len(gate.waiting) < target:
            trace.idle_slot = True
            patience = 0.0  # the verdict is in: finish the run quickly
        held = gate.waiting.pop()
        answer = QUESTIONS[held.index][1] if held.index >= 0 else "Which question?"
        sim.script(
            {
                "content": [
                    {"type": "thinking", "thinking": "A short factual question."},
                    {"type": "text", "text": answer},
                ]
            }
        )
        held.go.set()
        await held.done.wait()


async def _next_arrival(gate: _Gate, task: asyncio.Task, timeout: float) -> bool:
    """Wait up to `timeout` s for a new request (False if none came, or the task ended)."""
    if timeout <= 0:
        return False
    gate.arrived.clear()
    arrival = asyncio.ensure_future(gate.arrived.wait())
    await asyncio.wait({arrival, task}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    came = arrival.done()
    arrival.cancel()
    return came


async def _run(ask_all: Callable[..., Any], prompts: list[str], concurrency: int) -> _Trace:
    import anthropic

    sim = sandbox()
    gate = _Gate(sim, prompts)
    client = sim.async_client(http_client=anthropic.DefaultAsyncHttpxClient(transport=gate))
    trace = _Trace(prompts, concurrency)

    async def learner() -> Any:
        result = ask_all(client, list(prompts), concurrency)
        if not inspect.isawaitable(result):
            raise TypeError(
                f"it returned {type(result).__name__} instead of a coroutine: write "
                "`async def ask_all(...)` and await the client's calls inside it"
            )
        return await result

    task = asyncio.ensure_future(learner())
    referee = asyncio.ensure_future(_release_all(gate, sim, task, trace))
    try:
        done, _ = await asyncio.wait({task}, timeout=DEADLINE)
        trace.timed_out = not done
    finally:
        for running in (task, referee):
            running.cancel()
        await asyncio.gather(task, referee, return_exceptions=True)
        await client.close()
    trace.sent, trace.finished, trace.peak = gate.sent, gate.finished, gate.peak
    if not trace.timed_out:
        trace.answers = task.result()  # the learner's exception, if any, goes to the grader
    return trace


def _drive(ask_all: Callable[..., Any], prompts: list[str], concurrency: int) -> _Trace:
    """Run the learner's coroutine on an event loop of its own, in a thread (a notebook's
    kernel already runs a loop in its main thread)."""
    with concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="check-ask-all") as pool:
        return pool.submit(asyncio.run, _run(ask_all, prompts, concurrency)).result()


# -- the solution and typical mistakes ------------------------------------------------------


def _text(message: Any) -> str:
    return next((b.text for b in message.content if b.type == "text"), "")


def _ask(client: Any, prompt: str) -> Any:
    return client.messages.create(
        model=MODEL, max_tokens=300, messages=[{"role": "user", "content": prompt}]
    )


async def _ask_all_right(client: Any, prompts: list[str], concurrency: int) -> list[str]:
    limit = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> str:
        async with limit:
            message = await _ask(client, prompt)
        return _text(message)

    return list(await asyncio.gather(*(one(p) for p in prompts)))


async def _ask_all_one_at_a_time(client: Any, prompts: list[str], concurrency: int) -> list:
    return [_text(await _ask(client, p)) for p in prompts]


async def _ask_all_in_completion_order(client: Any, prompts: list[str], concurrency: int) -> list:
    limit = asyncio.Semaphore(concurrency)
    answers = []

    async def one(prompt: str) -> None:
        async with limit:
            answers.append(_text(await _ask(client, prompt)))

    await asyncio.gather(*(one(p) for p in prompts))
    return answers


async def _ask_all_unbounded(client: Any, prompts: list[str], concurrency: int) -> list:
    async def one(prompt: str) -> str:
        async with asyncio.Semaphore(concurrency):  # a new semaphore per call limits nothing
            return _text(await _ask(client, prompt))

    return list(await asyncio.gather(*(one(p) for p in prompts)))


async def _ask_all_in_groups(client: Any, prompts: list[str], concurrency: int) -> list:
    answers: list[str] = []
    for start in range(0, len(prompts), concurrency):
        group = prompts[start : start + concurrency]
        answers += [_text(m) for m in await asyncio.gather(*(_ask(client, p) for p in group))]
    return answers


async def _ask_all_fixed_limit(client: Any, prompts: list[str], concurrency: int) -> list:
    limit = asyncio.Semaphore(3)  # ignores `concurrency`

    async def one(prompt: str) -> str:
        async with limit:
            return _text(await _ask(client, prompt))

    return list(await asyncio.gather(*(one(p) for p in prompts)))


async def _ask_all_first_block(client: Any, prompts: list[str], concurrency: int) -> list:
    limit = asyncio.Semaphore(concurrency)

    async def one(prompt: str) -> str:
        async with limit:
            message = await _ask(client, prompt)
        return message.content[0].text  # the older tutorials' idiom

    return list(await asyncio.gather(*(one(p) for p in prompts)))


# -- the check -------------------------------------------------------------------------------


def _grade_run(trace: _Trace, g: Grader) -> None:
    n, limit = len(trace.prompts), trace.concurrency
    where = f"with {n} prompts and concurrency={limit}"
    if not g.expect(
        trace.sent,
        f"{where}, ask_all sent no request through the client it was given: call "
        "`await client.messages.create(...)` on the `client` parameter.",
    ):
        return
    counts = Counter(trace.sent)
    g.expect(
        counts[-1] == 0,
        f"{where}, {counts[-1]} request(s) carried none of the prompts: send each prompt as "
        "the user message's content.",
    )
    for i, prompt in enumerate(trace.prompts):
        g.expect(
            counts[i] == 1,
            f"{where}, prompt {i + 1} ({prompt!r}) was sent {counts[i]} times; send each "
            "prompt exactly once.",
        )
    if trace.peak > limit:
        g.expect(
            False,
            f"{where}, up to {trace.peak} requests were in flight at once. Create ONE "
            "asyncio.Semaphore(concurrency) before starting the tasks, share it between "
            "them, and hold it (`async with`) around each call.",
        )
    elif limit > 1 and trace.peak == 1:
        g.expect(
            False,
            f"{where}, the requests went out one at a time (each awaited before the next "
            "was sent). Start them all with asyncio.gather and let a semaphore limit how "
            "many run at once.",
        )
    elif trace.idle_slot:
        g.expect(
            False,
            f"{where}, a free slot stayed empty while prompts were still waiting: it looks "
            "like groups of `concurrency` calls, each group waiting for its slowest call. "
            "With a semaphore, the next prompt starts as soon as any call finishes.",
        )
    if trace.timed_out:
        g.expect(
            False,
            f"{where}, ask_all had not returned after {DEADLINE:.0f} s. Does every task "
            "release the semaphore (use `async with`)?",
        )
        return
    _grade_answers(trace, g, where)


def _grade_answers(trace: _Trace, g: Grader, where: str) -> None:
    answers = trace.answers
    expected = [QUESTIONS[i][1] for i in range(len(trace.prompts))]
    if not g.expect(
        isinstance(answers, list | tuple) and len(answers) == len(expected),
        f"{where}, ask_all returned {_describe(answers)}; expected a list of "
        f"{len(expected)} answers, one per prompt.",
    ):
        return
    if not g.expect(
        all(isinstance(a, str) for a in answers),
        f"{where}, the answers are {type(answers[0]).__name__} objects; return each reply's "
        "text: the first block whose .type is 'text'.",
    ):
        return
    if list(answers) == expected:
        return
    if sorted(answers) == sorted(expected):
        wrong = next(i for i, (a, e) in enumerate(zip(answers, expected, strict=True)) if a != e)
        g.expect(
            False,
            f"{where}, the answers are not in the order of the prompts: answer {wrong + 1} "
            f"is {answers[wrong]!r}, the reply to prompt {expected.index(answers[wrong]) + 1}; "
            f"prompt {wrong + 1} ({trace.prompts[wrong]!r}) got {expected[wrong]!r}. Calls "
            "finish in any order: asyncio.gather returns results in the order of its "
            "arguments, so gather them instead of appending as they finish.",
        )
        return
    g.expect(
        False,
        f"{where}, the answers {list(answers)!r} are not the replies' texts {expected!r}.",
    )


def _describe(value: Any) -> str:
    if isinstance(value, list | tuple):
        return f"a {type(value).__name__} of {len(value)}"
    return repr(value) if value is None else f"a {type(value).__name__}"


@exercise(
    "ask_all",
    takes="ask_all",
    right=_ask_all_right,
    wrong=[
        _ask_all_one_at_a_time,
        _ask_all_in_completion_order,
        _ask_all_unbounded,
        _ask_all_in_groups,
        _ask_all_fixed_limit,
        _ask_all_first_block,
    ],
)
def _check_ask_all(ask_all: Any, g: Grader) -> None:
    """`ask_all(client, prompts, concurrency)`: every prompt once, at most `concurrency` in
    flight, the answers' texts in the prompts' order."""
    for n, concurrency in RUNS:
        prompts = [prompt for prompt, _ in QUESTIONS[:n]]
        before = len(g.problems)
        trace = g.run("ask_all", _drive, ask_all, prompts, concurrency)
        if trace is None:
            if any("ThinkingBlock" in p for p in g.problems[before:]):
                g.problems.append(
                    "Current models reply with a thinking block first: take the text of "
                    "the first block whose .type is 'text', not content[0].text."
                )
            return
        _grade_run(trace, g)
        if len(g.problems) > before:
            return
