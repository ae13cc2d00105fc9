"""check_ask_all (notebook 14) names the mistake each typical wrong answer makes, and passes
right answers written in other styles than the registered one."""

from __future__ import annotations

import asyncio

import pytest

from claude_magic import course
from claude_magic.course import scale

CHECK = course.exercises()["ask_all"]


@pytest.fixture(autouse=True)
def _impatient(monkeypatch):
    # A right answer fills a free slot within milliseconds; wrong ones wait this long once.
    monkeypatch.setattr(scale, "PATIENCE", 0.3)


@pytest.mark.parametrize(
    ("wrong", "says"),
    [
        (scale._ask_all_one_at_a_time, "one at a time"),
        (scale._ask_all_in_completion_order, "not in the order of the prompts"),
        (scale._ask_all_unbounded, "up to 7 requests were in flight"),
        (scale._ask_all_in_groups, "a free slot stayed empty"),
        (scale._ask_all_fixed_limit, "concurrency=2, up to 3 requests were in flight"),
        (scale._ask_all_first_block, "thinking block first"),
    ],
    ids=lambda v: getattr(v, "__name__", "")[len("_ask_all_") :],
)
def test_each_mistake_is_named(wrong, says):
    assert wrong in CHECK.wrong
    result = CHECK(wrong)
    assert not result.passed
    assert any(says in problem for problem in result.problems), result.problems


async def _with_tasks_and_streams(client, prompts, concurrency):
    limit = asyncio.Semaphore(concurrency)

    async def ask(prompt):
        async with limit:
            async with client.messages.stream(
                model="claude-haiku-4-5",
                max_tokens=100,
                messages=[{"role": "user", "content": [{"type": "text", "text": prompt}]}],
            ) as stream:
                return await stream.get_final_text()

    tasks = [asyncio.create_task(ask(p)) for p in prompts]
    await asyncio.wait(tasks)
    return [t.result() for t in tasks]


def test_other_right_styles_pass():
    """Tasks awaited with asyncio.wait, streamed calls, text blocks as content, another model."""
    assert CHECK(_with_tasks_and_streams).passed, CHECK(_with_tasks_and_streams)


def test_code_that_ignores_the_client_it_is_given():
    async def own_client(client, prompts, concurrency):
        from claude_magic.offline import Simulator

        other = Simulator().async_client()
        return [await other.messages.create(model="claude-sonnet-5-5", max_tokens=50,
                                            messages=[{"role": "user", "content": p}])
                for p in prompts]  # fmt: skip

    result = CHECK(own_client)
    assert any("sent no request through the client" in p for p in result.problems), result


def test_a_plain_function_is_told_to_be_async():
    result = CHECK(lambda client, prompts, concurrency: ["Paris."] * len(prompts))
    assert any("async def ask_all" in p for p in result.problems), result


def test_a_prompt_sent_twice():
    async def twice(client, prompts, concurrency):
        answers = await scale._ask_all_right(client, prompts, concurrency)
        await scale._ask_all_right(client, prompts[:1], 1)
        return answers

    result = CHECK(twice)
    assert any("was sent 2 times" in p for p in result.problems), result


def test_a_hung_task_is_reported_not_waited_for_forever(monkeypatch):
    monkeypatch.setattr(scale, "DEADLINE", 0.5)

    async def never_releases(client, prompts, concurrency):
        limit = asyncio.Semaphore(concurrency)

        async def ask(prompt):
            await limit.acquire()  # and never released
            return scale._text(await scale._ask(client, prompt))

        return await asyncio.gather(*(ask(p) for p in prompts))

    result = CHECK(never_releases)
    assert any("had not returned" in p for p in result.problems), result
