"""`%%claude` and `%claude`: parse, resolve the cell's context, delegate, return.

Defaults are traits (`%config ClaudeMagics.model = ...`); options come from one
`magic_arguments` parser, so `%%claude?` and `%claude help` cannot drift from it; user
mistakes raise `UsageError` before any request is sent.
"""

from __future__ import annotations

import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import argument, magic_arguments
from IPython.utils.process import arg_split
from traitlets import Enum, Float, Int, Unicode

from . import commands
from .attachments import AttachmentError, attachment_block
from .backend import resolve_backend, token_rate_from_env
from .exchange import DEFAULT_MAX_ITERATIONS, Exchange
from .interpolate import InterpolationError, interpolate
from .models import DEFAULT_MODEL
from .request import CACHE_TTLS, EFFORTS, RequestOptions, user_message
from .session import current

SUBCOMMANDS = ("help", "reset", "restore", "usage", "count", "tools", "chats", "export")


def _thinking(value: str) -> str | int:
    if value in ("adaptive", "off"):
        return value
    if value.isdigit() and int(value) >= 1024:
        return int(value)
    raise ValueError(value)


@magics_class
class ClaudeMagics(Magics):
    """Talk to Claude from a notebook: each `%%claude` cell is a user turn of a chat."""

    model = Unicode(DEFAULT_MODEL, help="Model id used when -m is not given.").tag(config=True)
    max_tokens = Int(4096, help="max_tokens used when --max-tokens is not given.").tag(config=True)
    system = Unicode("", help="System prompt used when -s is not given.").tag(config=True)
    backend = Enum(
        ["auto", "api", "offline"],
        default_value="auto",
        help="auto: the API when ANTHROPIC_API_KEY/ANTHROPIC_AUTH_TOKEN is set, else offline.",
    ).tag(config=True)
    cache = Enum(
        ["5m", "1h", "off"], default_value="5m", help="Automatic prompt caching TTL, or off."
    ).tag(config=True)
    max_iterations = Int(
        DEFAULT_MAX_ITERATIONS, help="API calls one cell may make in a tool loop."
    ).tag(config=True)
    offline_token_rate = Float(
        150.0, help="Offline simulator streaming speed in tokens/s (0 = instant)."
    ).tag(config=True)
    view = Enum(["auto", "live", "text"], default_value="auto", help="How replies are shown.").tag(
        config=True
    )

    @no_var_expand
    @magic_arguments()
    @argument("-m", "--model", help="Model id (default: %%config ClaudeMagics.model).")
    @argument("--max-tokens", type=int, help="Maximum output tokens for each API call.")
    @argument("-s", "--system", help="System prompt: text, or {{variable}}.")
    @argument(
        "--thinking",
        nargs="?",
        const="adaptive",
        metavar="adaptive|N|off",
        help="Show thinking: adaptive (default when given), a budget N >= 1024, or off.",
    )
    @argument("--effort", choices=EFFORTS, help="output_config.effort.")
    @argument(
        "--stop", action="append", default=[], metavar="SEQ", help="A stop sequence (repeatable)."
    )
    @argument(
        "--prefill", help="Start the assistant's reply with this text (models that allow it)."
    )
    @argument(
        "--attach",
        action="append",
        default=[],
        metavar="PATH|URL|VAR",
        help="An image or PDF: a file, an http(s) URL or a variable (repeatable).",
    )
    @argument("-c", "--chat", default="default", metavar="NAME", help="The chat to continue.")
    @argument("--new", action="store_true", help="Start the chat over before this turn.")
    @argument("--no-stream", action="store_true", help="Send a non-streaming request.")
    @argument("--no-cache", action="store_true", help="Do not add top-level cache_control.")
    @argument("--cache", choices=CACHE_TTLS, help="Prompt caching TTL (default 5m).")
    @argument("-o", "--out", metavar="VAR", help="Store the final anthropic Message in VAR.")
    @argument(
        "--dry-run", action="store_true", help="Show the request and its token count; send nothing."
    )
    @argument("--offline", action="store_true", help="Use the offline simulator for this cell.")
    @argument("--no-interpolate", action="store_true", help="Send {{...}} as typed.")
    @argument("--tools", metavar="NAME[,NAME...]", help="Python callables Claude may call.")
    @argument(
        "--server-tools",
        metavar="NAME[,NAME...]",
        help="Server tools: web_search, web_fetch, code_execution.",
    )
    @argument("--max-iterations", type=int, help="API calls allowed in the tool loop.")
    @argument(
        "prompt",
        nargs="*",
        help="(line magic) the prompt, or a subcommand: " + ", ".join(SUBCOMMANDS),
    )
    @line_cell_magic
    def claude(self, line: str, cell: str | None = None) -> Any:
        """Send the cell (or the rest of the line) to Claude as a user turn.

        Subcommands (line magic): `%claude help`, `%claude reset [CHAT]`, `%claude chats`,
        `%claude restore [PATH]`, `%claude usage`, `%claude count [options]`,
        `%claude tools NAME`, `%claude export [CHAT] PATH`.
        """
        if cell is None:
            head, _, rest = line.strip().partition(" ")
            if commands.is_subcommand(head, rest.strip(), self.shell.user_ns):
                return commands.run(self, head, rest)
            args, prompt = self._parse_line(line)
        else:
            args = self._parse(line)
            if args.prompt:
                raise UsageError(
                    "%%claude takes options only on its first line, not "
                    f"{' '.join(args.prompt)!r}; the prompt is the cell body."
                )
            prompt = cell
        return self.ask(args, prompt)

    # -- parsing -------------------------------------------------------------------------

    def _parse(self, line: str) -> Any:
        """Options split like a POSIX shell (`-s "Be brief"` gives `Be brief`, no quotes)."""
        try:
            argv = arg_split(line, posix=True)
        except ValueError as exc:  # unbalanced quotes
            raise UsageError(f"%claude: cannot parse options {line!r}: {exc}") from exc
        return self.claude.parser.parse_args(argv)

    def _parse_line(self, line: str) -> tuple[Any, str]:
        """Split `%claude [options] prompt` so the prompt keeps its exact text."""
        options, prompt = split_options(line, _value_options(self.claude))
        return self._parse(options), prompt

    # -- one turn --------------------------------------------------------------------------

    def options_for(self, args: Any, namespace: dict[str, Any]) -> RequestOptions:
        """RequestOptions from parsed options and the configured defaults."""
        thinking = None
        if args.thinking is not None:
            try:
                thinking = _thinking(args.thinking)
            except ValueError:
                raise UsageError(
                    f"--thinking {args.thinking!r}: use adaptive, off, or a budget >= 1024."
                ) from None
        max_tokens = args.max_tokens if args.max_tokens is not None else self.max_tokens
        if max_tokens < 1:
            raise UsageError(f"--max-tokens must be at least 1, not {max_tokens}.")
        if isinstance(thinking, int) and thinking >= max_tokens:
            raise UsageError(f"--thinking {thinking} must be below --max-tokens ({max_tokens}).")
        if not args.chat.strip():
            raise UsageError("-c/--chat needs a name.")
        if any(not seq.strip() for seq in args.stop):
            raise UsageError("--stop needs a non-blank sequence.")
        system = args.system if args.system is not None else (self.system or None)
        if system and not args.no_interpolate:
            system = self._interpolate(system, namespace)
        cache_ttl = (
            None if args.no_cache else (args.cache or (None if self.cache == "off" else self.cache))
        )
        return RequestOptions(
            model=args.model or self.model,
            max_tokens=max_tokens,
            system=system,
            thinking=thinking,
            effort=args.effort,
            stop_sequences=list(args.stop),
            prefill=args.prefill,
            cache_ttl=cache_ttl,
        )

    def _interpolate(self, text: str, namespace: dict[str, Any]) -> str:
        try:
            return interpolate(text, namespace)
        except InterpolationError as exc:
            raise UsageError(str(exc)) from None

    def ask(self, args: Any, prompt: str) -> Any:
        """Build the turn from parsed options and the prompt, then run the exchange."""
        namespace = self.shell.user_ns
        if args.out and not args.out.isidentifier():
            raise UsageError(f"-o/--out needs a variable name, not {args.out!r}.")
        options = self.options_for(args, namespace)
        text = prompt if args.no_interpolate else self._interpolate(prompt, namespace)
        try:
            attachments = [attachment_block(spec, namespace) for spec in args.attach]
        except AttachmentError as exc:
            raise UsageError(str(exc)) from None
        if not text.strip() and not attachments:
            raise UsageError("Nothing to send: the cell is empty (and nothing is attached).")
        commands.resolve_tools(args, namespace, options)
        backend = self._backend(args)
        session = current()
        chat = session.chats.get(args.chat)
        cell_id = self.cell_id()
        user = user_message(text, attachments)
        if args.dry_run:
            return commands.dry_run(chat, cell_id, user, options, backend, fresh=args.new)
        session.backends.token_rate = token_rate_from_env(self.offline_token_rate)
        client = session.client(backend)
        exchange = Exchange(
            client=client,
            chat=chat,
            user=user,
            options=options,
            view=self.make_view(),
            offline=backend == "offline",
            cell_id=cell_id,
            execution_count=self.shell.execution_count,
            max_iterations=self._max_iterations(args),
            on_call=session.record_call,
            stream=not args.no_stream,
            fresh=args.new,
            chats=session.chats,
        )
        exchange.run()
        if args.out:
            self.shell.user_ns[args.out] = exchange.last_message
        return None

    def _backend(self, args: Any) -> str:
        if args.offline:
            return "offline"
        try:
            return resolve_backend(self.backend)
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def _max_iterations(self, args: Any) -> int:
        value = self.max_iterations if args.max_iterations is None else args.max_iterations
        if value < 1:
            raise UsageError(f"--max-iterations must be at least 1, not {value}.")
        return value

    def make_view(self) -> Any:
        from .views import make_view

        return make_view(self.view)

    def cell_id(self) -> str | None:
        """The id of the running cell, sent by JupyterLab, Notebook 7 and VS Code."""
        header = getattr(self.shell, "parent_header", None) or {}
        cell_id = (header.get("metadata") or {}).get("cellId")
        return str(cell_id) if cell_id else None


ClaudeMagics.claude.parser.allow_abbrev = False  # `--max-token` is a typo, not an option


def _value_options(magic: Any) -> dict[str, Any]:
    """Option strings of the parser and their nargs (None: one value, 0: a flag)."""
    parser = magic.parser
    table: dict[str, Any] = {}
    for action in parser._actions:
        for opt in action.option_strings:
            table[opt] = action.nargs
    return table


_TOKEN = re.compile(r"\s*(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|\S+)")


def split_options(line: str, value_options: dict[str, Any]) -> tuple[str, str]:
    """Split a line magic into its leading options and the prompt (exact text).

    Options come first; the prompt starts at the first token that is not an option or an
    option's value, or after `--`.
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
