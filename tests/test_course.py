"""Every exercise check passes its right solution and fails each typical mistake."""

from __future__ import annotations

import pytest

from claude_magic import course

EXERCISES = course.exercises()


def test_the_course_has_exercises():
    assert EXERCISES, "no exercise is registered"


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_right_answer_passes(name: str):
    result = EXERCISES[name](EXERCISES[name].right)
    assert result.passed, repr(result)
    assert repr(result) == f"✓ {name}: passed"


@pytest.mark.parametrize(
    ("name", "n"),
    [(name, n) for name in sorted(EXERCISES) for n in range(len(EXERCISES[name].wrong))],
)
def test_each_typical_mistake_fails_with_a_reason(name: str, n: int):
    result = EXERCISES[name](EXERCISES[name].wrong[n])
    assert not result.passed, f"check_{name} passed a wrong answer (wrong[{n}])"
    assert result.problems and all(p.strip() for p in result.problems)
    assert "<script" not in result._repr_html_()


def test_every_exercise_has_a_wrong_answer_and_a_summary():
    for name, ex in EXERCISES.items():
        assert ex.wrong, f"{name} has no wrong answer to test its check with"
        assert ex.summary, f"{name}'s grader has no docstring saying what it checks"


def test_checks_are_reachable_as_attributes_and_need_an_answer():
    name = sorted(EXERCISES)[0]
    check = getattr(course, f"check_{name}")
    with pytest.raises(TypeError, match="needs your answer"):
        check()
    with pytest.raises(AttributeError):
        course.check_no_such_exercise  # noqa: B018


@pytest.mark.parametrize("name", sorted(n for n, ex in EXERCISES.items() if ex.takes))
def test_a_result_passed_instead_of_the_function_is_named_plainly(name: str):
    """`check_cost(cost(...))` instead of `check_cost(cost)`: one line saying what to pass."""
    ex = EXERCISES[name]
    result = ex("the value my function returned")
    assert result.problems == [
        f"pass your {'class' if ex.takes[0].isupper() else 'function'} itself, not its result: "
        f"course.check_{name}({ex.takes})"
    ]


def _forgets_return(right):
    """The right solution, but the learner forgot its `return` (it does all the work)."""
    import functools
    import inspect

    if inspect.iscoroutinefunction(right):

        @functools.wraps(right)
        async def forgets(*args, **kwargs):
            await right(*args, **kwargs)

        return forgets

    @functools.wraps(right)
    def forgets(*args, **kwargs):
        right(*args, **kwargs)

    return forgets


@pytest.mark.parametrize(
    "name",
    sorted(
        n
        for n, ex in EXERCISES.items()
        if ex.takes and ex.takes[0].islower() and callable(ex.right)
    ),
)
def test_a_forgotten_return_fails_with_a_reason_not_a_crash(name: str):
    """A function that does the work but returns None is graded, never passed, never an
    IndexError inside the check."""
    result = EXERCISES[name](_forgets_return(EXERCISES[name].right))
    assert not result.passed, f"check_{name} passed a function that returns None"
    assert any("None" in p for p in result.problems), result.problems


def test_a_chat_whose_send_forgets_its_return_fails():
    class Forgets(EXERCISES["chat_send"].right):
        def send(self, text):
            super().send(text)

    result = EXERCISES["chat_send"](Forgets)
    assert not result.passed
    assert "returned None" in result.problems[0]


def test_first_text_says_to_return_an_empty_string_not_none():
    def first_text(message):
        return next((b.text for b in message.content if b.type == "text"), None)

    result = EXERCISES["first_text"](first_text)
    assert [p for p in result.problems if "Return '' (not None)" in p], result.problems


@pytest.mark.parametrize(
    ("name", "n"),
    [("complete", 1), ("tool_loop", 0), ("extract_contact", 0), ("chat_send", 1)],
)
def test_an_api_error_in_the_learners_code_is_told_by_status_and_message(name: str, n: int):
    """Not the SDK's `Error code: 400 - {'type': 'error', ...}` dump of the whole body."""
    problems = EXERCISES[name](EXERCISES[name].wrong[n]).problems
    assert any("got a 400 from the API (BadRequestError): " in p for p in problems), problems
    assert not any("Error code:" in p or "request_id" in p for p in problems), problems


def test_a_ported_tool_call_that_drops_the_tool_use_block_is_told_why_not_only_the_400():
    problems = EXERCISES["port_tool_call"](EXERCISES["port_tool_call"].wrong[2]).problems
    assert any("got a 400 from the API" in p for p in problems), problems
    assert any("lost its tool_use block" in p for p in problems), problems
    assert not any("it returned None" in p for p in problems), "it raised: it returned nothing"


@pytest.mark.parametrize("name", sorted(n for n, ex in EXERCISES.items() if ex.takes))
def test_a_stub_is_told_once_that_it_is_not_written_yet(name: str):
    def stub(*args, **kwargs):
        raise NotImplementedError

    class Stub:
        def __init__(self, *args, **kwargs):
            pass

        def send(self, *args, **kwargs):
            raise NotImplementedError

    ex = EXERCISES[name]
    problems = ex(Stub if ex.takes[0].isupper() else stub).problems
    assert len(problems) == 1 and problems[0].endswith("(it raises NotImplementedError)."), problems
