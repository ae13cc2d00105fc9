"""From a magic's line to argparse's argv: shell quoting, values that start with `-`, prompts.

argparse reads a word that starts with `-` as an option, so `--stop "---"` or
`-s "-be brief"` would be "expected one argument". `attach_values` joins each option that
takes a value with the word after it (`--stop=---`), unless that word is itself one of the
parser's options or `--`: then the value is missing and argparse says so.
Pure logic: no IPython import.
"""

from __future__ import annotations

import argparse
import re
import shlex
from typing import Any


def split_argv(line: str) -> list[str]:
    """Words split like a POSIX shell (`-s "Be brief"` gives `Be brief`, without quotes).

    Raises ValueError for unbalanced quotes.
    """
    return shlex.split(line, posix=True)


def option_nargs(parser: argparse.ArgumentParser) -> dict[str, Any]:
    """Each option string of the parser and its nargs (None: one value, 0: a flag)."""
    return {opt: action.nargs for action in parser._actions for opt in action.option_strings}


def attach_values(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """`--opt VALUE` as `--opt=VALUE` for every option that takes one value, so VALUE may
    start with `-`; a missing value (end of line, `--` or another option) is left for
    argparse to report."""
    nargs = option_nargs(parser)
    out: list[str] = []
    i = 0
    while i < len(argv):
        word = argv[i]
        if word == "--":
            out.extend(argv[i:])
            break
        if word in nargs and nargs[word] is None and i + 1 < len(argv):
            value = argv[i + 1]
            if value != "--" and value.split("=", 1)[0] not in nargs:
                out.append(f"{word}={value}")
                i += 2
                continue
        out.append(word)
        i += 1
    return out


_TOKEN = re.compile(r"\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\S+)")


def split_options(line: str, value_options: dict[str, Any]) -> tuple[str, str]:
    """Split a line magic into its leading options and the prompt (exact text).

    Options come first; the prompt starts at the first word that is not an option or an
    option's value, or after `--`. `value_options` is `option_nargs(parser)`.
    """
    pos = 0
    options: list[str] = []
    while True:
        match = _TOKEN.match(line, pos)
        if not match:
            break
        token = match.group(1)
        if token == "--":
            pos = match.end()
            break
        name = token.split("=", 1)[0]
        if not token.startswith("-") or name not in value_options:
            break
        options.append(token)
        pos = match.end()
        nargs = value_options[name]
        if nargs == 0 or "=" in token:
            continue
        value = _TOKEN.match(line, pos)
        if value is None:
            break
        if nargs == "?" and not re.fullmatch(r"adaptive|off|\d+", value.group(1)):
            continue
        options.append(value.group(1))
        pos = value.end()
    return " ".join(options), line[pos:].strip()
