"""Checked exercises for the tutorial notebooks, graded offline.

A notebook's exercise ends with `course.check_<name>(answer)`. The check runs the learner's
code against an offline simulator of its own (scripted replies and faults, so the grading
is deterministic and never touches the learner's chats), looks at what the code sent (the
requests the simulator recorded), what it returned, the usage or the stop reason, and shows
✓ or ✗ with what is wrong in plain words. A wrong answer never raises, so "Run all" goes
on to the hidden solution below it; only misuse (no answer given) raises.

Exercises that call the API take the `client` as a parameter (`def ask(client, ...)`), so
the check can hand them its sandboxed client while the notebook passes its own.

Every exercise is registered with a right solution and wrong ones
(`@exercise("name", right=..., wrong=[...])`), and the test suite grades both: a check that
cannot fail, or fails the right answer, is caught there. The exercises live in the modules
of `_MODULES`, one per part of the course.

No IPython or widget import.
"""

from __future__ import annotations

import html
import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Exercise", "Grader", "Result", "exercise", "exercises", "sandbox"]

_MODULES: tuple[str, ...] = ("basics", "replies", "tools_and_costs", "scale")
"""The course's exercise modules (claude_magic/course/<name>.py), imported on first use."""
_REGISTRY: dict[str, Exercise] = {}
NOT_WRITTEN = "(it raises NotImplementedError)."
"""How a check says the learner's stub is still a stub."""


@dataclass
class Result:
    """The outcome of one check: passed, or the problems found (plain words)."""

    exercise: str
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        if self.passed:
            return f"✓ {self.exercise}: passed"
        lines = [f"✗ {self.exercise}: not yet"] + [f"  - {p}" for p in self.problems]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        if self.passed:
            body = f"<b>✓ {html.escape(self.exercise)}</b>: passed"
            colour = "var(--jp-success-color1, #2e7d32)"
        else:
            items = "".join(f"<li>{html.escape(p)}</li>" for p in self.problems)
            body = f"<b>✗ {html.escape(self.exercise)}</b>: not yet<ul>{items}</ul>"
            colour = "var(--jp-warn-color1, #e65100)"
        return (
            f'<div class="cm-check tex2jax_ignore mathjax_ignore" style="border-left:4px solid '
            f'{colour};padding:4px 10px;margin:4px 0">{body}</div>'
        )


class Grader:
    """Collects problems while a check runs the learner's code."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def expect(self, ok: Any, problem: str) -> bool:
        """Note `problem` unless `ok`; returns whether it held."""
        if not ok:
            self.problems.append(problem)
        return bool(ok)

    def run(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call the learner's code; an exception becomes a problem (and None is returned)."""
        return self.attempt(what, fn, *args, **kwargs)[1]

    def value(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """`run` for code that must give something back: None returned (a forgotten `return`)
        is a problem too, so a check never passes an answer it could not look at."""
        raised, got = self.attempt(what, fn, *args, **kwargs)
        if got is None and not raised:
            self.problems.append(f"{what} returned None: is its `return` missing?")
        return got

    def attempt(
        self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> tuple[bool, Any]:
        """(whether it raised, what it returned); "not written yet" is said once per check."""
        try:
            return False, fn(*args, **kwargs)
        except NotImplementedError:
            if not any(p.endswith(NOT_WRITTEN) for p in self.problems):
                self.problems.append(f"{what} is not written yet {NOT_WRITTEN}")
        except Exception as exc:  # the learner's code: any error is feedback, not a crash
            self.problems.append(f"{what} {_told(exc)}")
        return True, None


def _told(exc: Exception) -> str:
    """An exception in plain words: an API error by its status and the API's own message
    (not the SDK's `Error code: 400 - {...}` dump of the whole body)."""
    import anthropic

    if isinstance(exc, anthropic.APIStatusError):
        return f"got a {exc.status_code} from the API ({type(exc).__name__}): {exc.api_message}"
    return f"raised {type(exc).__name__}: {exc}"


def sandbox(**kwargs: Any) -> Any:
    """A fresh offline simulator (instant, its own log and script) for grading."""
    from ..offline import Simulator

    return Simulator(**kwargs)


@dataclass
class Exercise:
    """One exercise: its grader, and the solutions the test suite checks it with."""

    name: str
    grade: Callable[[Any, Grader], None]
    right: Any
    """A correct answer: the check must pass it."""
    wrong: Sequence[Any]
    """Typical mistakes: the check must fail each of them."""
    takes: str | None = None
    """The name of the function (or class, capitalised) the learner passes, if any."""
    summary: str = ""

    def __call__(self, answer: Any = None) -> Result:
        if answer is None:
            raise TypeError(
                f"check_{self.name}(...) needs your answer: pass the function (or value) "
                "the exercise asks for."
            )
        if self.takes is not None and not callable(answer):
            kind = "class" if self.takes[0].isupper() else "function"
            passing = f"course.check_{self.name}({self.takes})"
            return Result(self.name, [f"pass your {kind} itself, not its result: {passing}"])
        grader = Grader()
        self.grade(answer, grader)
        return Result(self.name, grader.problems)


def exercise(
    name: str, *, right: Any, wrong: Sequence[Any], takes: str | None = None
) -> Callable[[Callable[[Any, Grader], None]], Exercise]:
    """Register the decorated grader as `course.check_<name>`; with `takes`, the answer must
    be callable (the learner's function or class of that name) before the grader sees it."""

    def register(grade: Callable[[Any, Grader], None]) -> Exercise:
        if name in _REGISTRY:
            raise ValueError(f"exercise {name!r} is registered twice")
        doc = (grade.__doc__ or "").strip().split("\n", 1)[0]
        _REGISTRY[name] = Exercise(name, grade, right, tuple(wrong), takes, doc)
        return _REGISTRY[name]

    return register


def exercises() -> dict[str, Exercise]:
    """Every exercise of the course, by name."""
    for module in _MODULES:
        importlib.import_module(f"{__name__}.{module}")
    return dict(_REGISTRY)


def __getattr__(name: str) -> Any:
    if name.startswith("check_"):
        found = exercises().get(name[len("check_") :])
        if found is not None:
            return found
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
