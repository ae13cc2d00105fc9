"""The async client on the in-process transport: paced streams and task cancellation."""

from __future__ import annotations

import asyncio
import time

import pytest

from claude_magic.offline import Simulator

MODEL = "claude-haiku-4-5"


def test_cancelling_a_paced_async_stream_raises_cancelled_error():
    sim = Simulator(token_rate=400.0)  # ~2.5 ms per token
    sim.script("word " * 400)
    seen: list[str] = []

    async def consume():
        async with sim.async_client() as client:
            async with client.messages.stream(
                model=MODEL, max_tokens=2000,
                messages=[{"role": "user", "content": "x"}]) as stream:
                async for text in stream.text_stream:
                    seen.append(text)

    async def main():
        task = asyncio.create_task(consume())
        while len(seen) < 3:
            await asyncio.sleep(0.005)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        # the simulator still serves the next request
        async with sim.async_client() as client:
            msg = await client.messages.create(
                model=MODEL, max_tokens=200, messages=[{"role": "user", "content": "next"}])
        return msg

    start = time.perf_counter()
    msg = asyncio.run(main())
    assert 3 <= len(seen) < 100 and "next" in msg.content[0].text
    assert time.perf_counter() - start < 5


def test_paced_async_stream_completes_and_does_not_block_the_loop():
    sim = Simulator(token_rate=2000.0)
    sim.script("word " * 200)
    ticks = 0

    async def ticker():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.001)
            ticks += 1

    async def main():
        t = asyncio.create_task(ticker())
        async with sim.async_client() as client:
            async with client.messages.stream(
                model=MODEL, max_tokens=2000,
                messages=[{"role": "user", "content": "x"}]) as stream:
                final = await stream.get_final_message()
        t.cancel()
        return final

    final = asyncio.run(main())
    assert final.content[0].text == "word " * 200
    assert ticks > 5  # the loop kept running while the stream was paced
