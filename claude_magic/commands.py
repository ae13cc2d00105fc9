"""The `%claude` subcommands and the parts of a cell that only show things.

The rule: a `%claude` line whose first word is a subcommand name IS that subcommand, and
wrong arguments are a one-line UsageError (nothing is sent). A prompt that starts with such
a word is written `%claude -- help me write a haiku`, or put in a `%%claude` cell.

Each subcommand is one entry of `SUBCOMMANDS`, made by the `@subcommand` decorator from a
summary, its arguments (argparse, shell-quoted: `%claude reset "my chat"`) and a handler
that gets the parsed arguments; `%claude help` lists them. `--dry-run` lives here too.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

from .argv import attach_values, split_argv
from .formatting import plural, usd
from .interpolate import InterpolationError, interpolate_words
from .request import RequestOptions, build_request, count_tokens_request
from .session import current

_MAX_SHOWN_STRING = 400

PROMPT_RULE = (
    "A %claude line whose first word is a subcommand name runs that subcommand. To send a\n"
    "prompt that starts with such a word, write `%claude -- help me write a haiku`, or use\n"
    "a %%claude cell."
)


class ArgumentsRejected(Exception):
    """A subcommand's arguments are wrong; `run` turns this into a one-line UsageError."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> Any:  # argparse would print and exit
        raise ArgumentsRejected(message)


Argument = tuple[tuple[str, ...], dict[str, Any]]
Handler = Callable[[Any, Any], Any]


class Subcommand:
    """`%claude NAME ARGS`: its usage line, summary, arguments and handler. The argparse
    parser is made on first use, so `%load_ext` builds none."""

    def __init__(
        self,
        name: str,
        args: str,
        summary: str,
        arguments: tuple[Argument, ...],
        handler: Handler,
        raw: bool = False,
    ) -> None:
        self.name, self.summary, self.arguments = name, summary, arguments
        self.handler, self.raw = handler, raw
        self.usage = f"%claude {name} {args}".strip()

    @functools.cached_property
    def parser(self) -> argparse.ArgumentParser:
        parser = _Parser(
            prog=f"%claude {self.name}",
            usage=self.usage.replace("%", "%%"),
            description=self.summary,
            add_help=False,
            allow_abbrev=False,
        )
        for flags, kwargs in self.arguments:
            parser.add_argument(*flags, **kwargs)
        return parser

    def help(self) -> str:
        if self.raw:
            return f"{self.usage}\n\n{self.summary}"
        return self.parser.format_help().removeprefix("usage: ").rstrip()


SUBCOMMANDS: dict[str, Subcommand] = {}


def arg(*flags: str, **kwargs: Any) -> Argument:
    """One `add_argument` call of a subcommand."""
    return flags, kwargs


def subcommand(
    name: str, args: str, summary: str, *arguments: Argument, raw: bool = False
) -> Callable[[Handler], Handler]:
    """Register `%claude NAME ARGS` (ARGS: its usage after the name, e.g. "[CHAT]").

    `arguments` are `arg(...)`s; the handler gets (magics, parsed arguments). With `raw`,
    the handler gets the rest of the line as text and parses it itself.
    """

    def register(handler: Handler) -> Handler:
        SUBCOMMANDS[name] = Subcommand(name, args, summary, arguments, handler, raw)
        return handler

    return register


def overview(width: int = 80, column: int = 34) -> str:
    """The subcommand list of `%claude help` and docs/options.md."""
    lines = []
    for spec in SUBCOMMANDS.values():
        summary = textwrap.wrap(spec.summary, width - column)
        if len(spec.usage) > column - 4:
            lines.append(f"  {spec.usage}")
        else:
            lines.append(f"  {spec.usage:<{column - 2}}{summary.pop(0)}")
        lines.extend(" " * column + more for more in summary)
    return "Subcommands (line magic):\n" + "\n".join(lines) + "\n\n" + PROMPT_RULE


def run(magics: Any, name: str, rest: str) -> Any:
    """Run `%claude NAME REST`; wrong arguments raise one UsageError that says what to do."""
    spec = SUBCOMMANDS[name]
    rest = rest.strip()
    try:
        if spec.raw:
            return spec.handler(magics, rest)
        try:
            argv = split_argv(interpolate_words(rest, magics.shell.user_ns))
        except InterpolationError as exc:
            raise ArgumentsRejected(str(exc)) from None
        except ValueError as exc:
            raise ArgumentsRejected(f"cannot split {rest!r} into words: {exc}") from None
        args = spec.parser.parse_args(attach_values(argv, spec.parser))
        return spec.handler(magics, args)
    except ArgumentsRejected as exc:
        message = f"{spec.usage}: {str(exc).rstrip('.')}."
        if rest:
            message += f" To send this line as a prompt instead: %claude -- {name} {rest}"
        raise UsageError(message) from None


@subcommand(
    "help",
    "[SUBCOMMAND]",
    "Show this help, or one subcommand's.",
    arg("topic", nargs="?", metavar="SUBCOMMAND", help="A subcommand's name."),
)
def _help(magics: Any, args: Any) -> None:
    if args.topic is None:
        print(magics.claude.__doc__)
    elif args.topic in SUBCOMMANDS:
        print(SUBCOMMANDS[args.topic].help())
    else:
        raise ArgumentsRejected(
            f"no subcommand {args.topic!r}; the subcommands are {', '.join(SUBCOMMANDS)}"
        )


@subcommand("chats", "", "List the chats, with their turns and messages.")
def _chats(magics: Any, args: Any) -> None:
    chats = list(current().chats)
    if not chats:
        print("No chats yet: run a %%claude cell.")
    for chat in chats:
        print(f"{chat.name}: {plural(len(chat), 'turn')}, {plural(len(chat.messages), 'message')}")


@subcommand(
    "reset",
    "[CHAT]",
    "Empty one chat, or every chat.",
    arg("chat", nargs="?", metavar="CHAT", help="The chat to empty (default: every chat)."),
)
def _reset(magics: Any, args: Any) -> None:
    registry = current().chats
    if args.chat is None:
        registry.reset()
        print("Every chat is empty now.")
        return
    if args.chat not in registry.names():
        raise ArgumentsRejected(f"no chat named {args.chat!r} ({_known_chats()})")
    registry.reset(args.chat)
    print(f"Chat {args.chat!r} is empty now.")


def _known_chats() -> str:
    names = current().chats.names()
    return "chats: " + ", ".join(names) if names else "no chats yet"


@subcommand(
    "restore",
    "[PATH]",
    "Rebuild the chats from a saved notebook (default: this notebook).",
    arg("path", nargs="?", metavar="PATH", help="A saved notebook (default: the open one)."),
)
def _restore(magics: Any, args: Any) -> None:
    from .notebook import UnreadableNotebook, chats_from_notebook

    path = os.path.expanduser(args.path) if args.path else notebook_path(magics.shell)
    if not path:
        raise UsageError(
            "%claude restore: which notebook? The kernel cannot tell its file here; "
            "give the path: %claude restore path/to/notebook.ipynb"
        )
    if not os.path.isfile(path):
        raise ArgumentsRejected(f"no such notebook file: {path}")
    skipped: list[Any] = []
    try:
        chats = chats_from_notebook(path, on_skip=skipped.append)
    except UnreadableNotebook as exc:
        raise ArgumentsRejected(f"{exc}; chats unchanged") from None
    if skipped and not chats:
        reasons = "; ".join(str(s) for s in skipped[:3])
        raise ArgumentsRejected(f"no usable turn record ({reasons}); chats unchanged")
    for record in skipped:
        print(record)
    session = current()
    for chat in chats:
        session.vouch_for(chat.messages)
    registry = session.chats
    restored = {c.name for c in chats}
    replaced = [c.name for c in registry if len(c) and c.name not in restored]
    registry.replace_all(chats)
    summary = ", ".join(f"{c.name} ({plural(len(c), 'turn')})" for c in chats) or "no turns found"
    print(f"Restored from {path}: {summary}.")
    if replaced:
        print(f"Chats not in that notebook were cleared: {', '.join(replaced)}.")


@subcommand(
    "replay",
    "[PATH|off]",
    "Answer cells from recorded turns (a saved notebook or an answers file), offline.",
    arg(
        "source",
        nargs="?",
        metavar="PATH|off",
        help="A saved notebook, a folder of them, or an answers .json; off stops replaying.",
    ),
)
def _replay(magics: Any, args: Any) -> None:
    from .replay import AnswerBook, ReplayError

    session = current()
    if args.source is None:
        if session.replay is None:
            print("No recording loaded: %claude replay PATH (a saved notebook or answers.json).")
        else:
            print(session.replay.describe())
        return
    if args.source == "off":
        if session.replay is None:
            print("Replay was not on.")
            return
        print(
            f"Replay off after {plural(session.replay.matched, 'recorded answer')}; cells go "
            "to the usual backend again."
        )
        session.replay = None
        return
    try:
        book = AnswerBook.load(args.source)
    except ReplayError as exc:
        raise ArgumentsRejected(str(exc)) from None
    for skipped in book.skipped:
        print(skipped)
    session.replay = book
    print(
        f"Replaying {plural(len(book.turns), 'recorded turn')} from {args.source}: a cell "
        "that matches one is answered from it (offline, nothing is sent); any other by the "
        "offline simulator, with a note saying why. %claude replay off stops."
    )


def notebook_path(shell: Any) -> str | None:
    """The running notebook's file, when the frontend tells the kernel (JupyterLab, VS Code)."""
    ns = shell.user_ns
    for candidate in (
        ns.get("__vsc_ipynb_file__"),
        ns.get("__session__"),
        os.environ.get("JPY_SESSION_NAME"),
    ):
        if isinstance(candidate, str) and candidate.endswith(".ipynb"):
            return candidate
    return None


@subcommand(
    "export",
    "[CHAT] PATH.ipynb [--force]",
    "Write a chat to a new notebook (restorable with %claude restore).",
    arg("chat", nargs="?", default="default", metavar="CHAT", help="The chat (default: default)."),
    arg("path", metavar="PATH.ipynb", help="The notebook file to write."),
    arg("--force", action="store_true", help="Overwrite PATH if it exists."),
)
def _export(magics: Any, args: Any) -> None:
    from . import export

    if not args.path.endswith(".ipynb"):
        raise ArgumentsRejected(f"the file name must end in .ipynb, not {args.path!r}")
    target = Path(args.path).expanduser()
    if target.exists() and not args.force:
        open_notebook = notebook_path(magics.shell)
        mine = open_notebook and target.resolve() == Path(open_notebook).resolve()
        what = "is the notebook you have open" if mine else "exists"
        raise ArgumentsRejected(f"{args.path} {what}; add --force to overwrite it")
    try:
        export(target, chat=args.chat, force=args.force)
    except (ValueError, OSError) as exc:
        raise ArgumentsRejected(str(exc)) from None
    turns = plural(len(current().chats.get(args.chat)), "turn")
    print(f"Wrote chat {args.chat!r} ({turns}) to {args.path}.")


@subcommand(
    "usage",
    "[--by GROUPS]",
    "Tokens and cost per cell so far, and a chart; --by chat|model|notebook|day.",
    arg(
        "--by",
        metavar="GROUPS",
        help="Sum by chat, model, notebook or day (comma-separated for several), "
        "with the cache hit rate and savings (claude_magic.cost_summary).",
    ),
)
def _usage(magics: Any, args: Any) -> None:
    from .usage import in_execution_order, plot_usage, summarize_by_cell, usage_table

    if args.by is not None:
        from .costs import show_usage

        try:
            show_usage(by=args.by)
        except ValueError as exc:
            raise ArgumentsRejected(str(exc)) from None
        return
    frame = current().ledger.frame()
    if frame.empty:
        print("No API calls yet.")
        return
    cells = in_execution_order(summarize_by_cell(frame))
    display(usage_table(cells))
    print(
        f"{plural(len(cells), 'cell')}, {plural(int(cells['calls'].sum()), 'API call')}, "
        f"{usd(float(cells['cost_usd'].sum(skipna=False)))} in all. "
        "One row per call: claude_magic.usage_frame()"
    )
    from .costs import billing_notes

    for note in billing_notes(frame):  # simulator or replayed calls: nothing was billed
        print(note)
    enable_figure_png(magics.shell)
    display(plot_usage(cells))


def enable_figure_png(shell: Any) -> None:
    """Let matplotlib Figures display as PNG without `%matplotlib inline` having run."""
    if shell is None:
        return
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"})


@subcommand(
    "count",
    "[options] PROMPT",
    "Count the input tokens the next turn would send (history included); send nothing.",
    raw=True,
)
def _count(magics: Any, rest: str) -> None:
    args, prompt = magics._parse_line(rest)
    if not prompt.strip() and not args.attach:
        raise UsageError(
            "%claude count [options] PROMPT: give the next turn's text; the chat's history "
            "and the options' system prompt and tools are counted with it."
        )
    args.dry_run = True
    magics.ask(args, prompt)


@subcommand(
    "tools",
    "NAME[,NAME...]",
    "Show the tool definitions Claude gets for these Python functions.",
    arg("names", nargs="+", metavar="NAME", help="Functions defined in the notebook."),
)
def _tools(magics: Any, args: Any) -> None:
    from .tools import ToolSpecError, describe, resolve_tools

    try:
        tools = resolve_tools(_split_names(",".join(args.names)), magics.shell.user_ns)
    except ToolSpecError as exc:
        raise ArgumentsRejected(str(exc)) from None
    for tool in tools:
        print(describe(tool))


def _split_names(text: str) -> list[str]:
    return [n.strip() for n in text.replace(" ", ",").split(",") if n.strip()]


def resolve_tools(args: Any, namespace: dict[str, Any], options: RequestOptions) -> None:
    """Put the ToolSet of --tools and --server-tools into the request options."""
    if not args.tools and not args.server_tools:
        return
    from .tools import ToolSpecError, tool_set

    try:
        options.tools = tool_set(
            _split_names(args.tools or ""), _split_names(args.server_tools or ""), namespace
        )
    except ToolSpecError as exc:
        raise UsageError(str(exc)) from None


def dry_run(
    chat: Any,
    cell_id: str | None,
    user: dict[str, Any],
    options: RequestOptions,
    backend: str,
    *,
    fresh: bool = False,
) -> None:
    """Show the exact request a cell would send, its token count and input cost; send nothing."""
    from .pricing import estimate_input_cost_usd

    history, dropped = ([], len(chat)) if fresh else chat.history_for(cell_id)
    request = build_request(history, user, options)
    client = current().client(backend)
    try:
        counted = client.messages.count_tokens(**count_tokens_request(request)).input_tokens
    except Exception as exc:
        from .errors import ClaudeError, explain

        raise ClaudeError(explain(exc, model=options.model, offline=backend == "offline")) from exc
    cost = estimate_input_cost_usd(options.model, counted)
    where = "offline simulator" if backend == "offline" else "Claude API"
    price = "n/a (no price for this model)" if math.isnan(cost) else usd(cost)
    lines = [
        f"**Dry run** — nothing sent. POST /v1/messages to the {where}:",
        f"- input tokens (count_tokens): **{counted:,}**, ≈ {price} at the plain input "
        "rate (cache writes cost more, cache reads less)",
        f"- max output tokens: {options.max_tokens:,}",
    ]
    if dropped:
        lines.append(
            f"- {plural(dropped, 'turn')} of chat {chat.name!r} would be replaced or dropped"
        )
    summary = "\n".join(lines)
    display({"text/markdown": summary, "text/plain": summary.replace("**", "")}, raw=True)
    print(json.dumps(_shorten(request), indent=2, ensure_ascii=False))


def _shorten(value: Any) -> Any:
    """The request for display: long strings (base64 data) cut, with their length noted."""
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, str) and len(value) > _MAX_SHOWN_STRING:
        return value[:80] + f"… ({len(value):,} characters)"
    return value
