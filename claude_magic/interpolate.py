"""`{{expr}}` interpolation of a cell's text from the user namespace.

Only double braces are expressions; single braces, JSON and Python code are left alone.
Code in Markdown fences (``` or ~~~) and inline code spans is never touched, so a cell that
quotes an f-string such as `f"{{x}}"` in a code block passes through unchanged. Every
expression is evaluated before any request is sent; an error names the expression, also
when its value cannot become text (`__str__` raises) or cannot be sent (a lone surrogate
such as '\ud800' has no UTF-8 encoding).
Pure logic: no IPython import (the namespace is passed in).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_EXPR = re.compile(r"(?<!\{)\{\{(?!\{)(.+?)\}\}(?!\})", re.S)


class InterpolationError(ValueError):
    """An `{{expr}}` in the cell could not be evaluated."""


def interpolate(text: str, namespace: Mapping[str, Any]) -> str:
    """Replace each `{{expr}}` outside code with `str(eval(expr, namespace))`."""
    out: list[str] = []
    fence: str | None = None
    prose: list[str] = []
    for line in text.splitlines(keepends=True):
        match = _FENCE.match(line)
        if fence is None and match:
            out.append(_interpolate_prose("".join(prose), namespace))
            prose = []
            fence = match.group(1)
            out.append(line)
        elif fence is not None:
            out.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
        else:
            prose.append(line)
    out.append(_interpolate_prose("".join(prose), namespace))
    return "".join(out)


def interpolate_words(text: str, namespace: Mapping[str, Any]) -> str:
    """`{{expr}}` in a subcommand's arguments (`%claude replay {{path}}`): each value is
    shell-quoted, so a path with spaces stays one argument."""
    import shlex

    return _EXPR.sub(lambda m: shlex.quote(_evaluate(m.group(1), namespace)), text)


def _interpolate_prose(text: str, namespace: Mapping[str, Any]) -> str:
    pieces: list[str] = []
    last = 0
    for code in _INLINE_CODE.finditer(text):
        pieces.append(_substitute(text[last : code.start()], namespace))
        pieces.append(code.group(0))
        last = code.end()
    pieces.append(_substitute(text[last:], namespace))
    return "".join(pieces)


def _substitute(text: str, namespace: Mapping[str, Any]) -> str:
    return _EXPR.sub(lambda m: _evaluate(m.group(1), namespace), text)


def _evaluate(expr: str, namespace: Mapping[str, Any]) -> str:
    source = expr.strip()
    try:
        value = eval(source, dict(namespace))  # noqa: S307 - the user's own namespace
    except NameError as exc:
        raise InterpolationError(
            f"{{{{{source}}}}}: {exc}. Define it first, or use --no-interpolate to send "
            "the braces as they are."
        ) from exc
    except Exception as exc:
        raise InterpolationError(
            f"{{{{{source}}}}} raised {type(exc).__name__}: {exc}. Fix the expression, or use "
            "--no-interpolate to send the braces as they are (e.g. a template)."
        ) from exc
    try:
        text = str(value)
    except Exception as exc:
        raise InterpolationError(
            f"{{{{{source}}}}}: its value could not be turned into text (str() raised "
            f"{type(exc).__name__}: {exc}). Interpolate something printable, e.g. "
            f"{{{{repr({source})}}}}."
        ) from exc
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InterpolationError(
            f"{{{{{source}}}}}: its text holds {text[exc.start]!r} at position {exc.start}, a lone "
            "surrogate that cannot be sent (it has no UTF-8 encoding). Clean it first, e.g. "
            f"{{{{{source}.encode('utf-8', 'replace').decode()}}}}."
        ) from None
    return text
