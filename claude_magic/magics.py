"""`%%claude` and `%claude`: parse, resolve the cell's context, delegate, return.

Defaults are traits (`%config ClaudeMagics.model = ...`); options come from one
`magic_arguments` parser, so `%%claude?` and `%claude help` cannot drift from it; user
mistakes raise `UsageError` before any request is sent. A `%claude` line whose first word
names a subcommand is that subcommand (commands.py).
"""

from __future__ import annotations

import keyword
import re
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class, no_var_expand
from IPython.core.magic_arguments import MagicHelpFormatter, argument, kwds, magic_arguments
from traitlets import Enum, Float, Int, TraitError, Unicode, observe, validate

from . import budget, commands
from .argv import attach_values, option_nargs, split_argv, split_options
from .attachments import AttachmentError, attachment_block
from .backend import (
    BACKEND_ENV,
    DEFAULT_TOKEN_RATE,
    TOKEN_RATE_ENV,
    offline_token_rate,
    resolve_backend,
)
from .budget import BUDGET_ENV
from .errors import ClaudeError, Interrupted, explain
from .exchange import DEFAULT_MAX_ITERATIONS, Exchange
from .interpolate import InterpolationError, interpolate
from .models import DEFAULT_MODEL
from .request import (
    CACHE_TTLS,
    EFFORTS,
    NON_STREAMING_MAX_TOKENS,
    RequestOptions,
    check_for_model,
    user_message,
)
from .session import current
from .structured import ReplyMismatch, Schema, parsed_message

# Settings whose default comes from an environment variable; an explicit value wins.
ENV_DEFAULT_SETTINGS = ("backend", "offline_token_rate", "budget_usd")


class _HelpFormatter(MagicHelpFormatter):
    """IPython's magic help without its reStructuredText `::` before the usage line."""

    def add_usage(self, usage: Any, actions: Any, groups: Any, prefix: Any = "usage: %") -> None:
        super().add_usage(usage, actions, groups, prefix)


# The help text (%%claude?, %claude help, docs/options.md) after the usage line.
DESCRIPTION = (
    "Send the cell (or the rest of the line) to Claude as a user turn:\n"
    "  %%claude [options]          the cell body is the prompt\n"
    "  %claude [options] PROMPT    the rest of the line is the prompt\n"
    'Quote values with spaces; a value may start with "-" (--stop "---").\n\n' + commands.overview()
)


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
        help="auto: the API when ANTHROPIC_API_KEY/ANTHROPIC_AUTH_TOKEN is set, else offline. "
        f"Unless set, {BACKEND_ENV} decides.",
    ).tag(config=True)
    cache = Enum(
        ["5m", "1h", "off"], default_value="5m", help="Automatic prompt caching TTL, or off."
    ).tag(config=True)
    max_iterations = Int(
        DEFAULT_MAX_ITERATIONS, help="API calls one cell may make in a tool loop."
    ).tag(config=True)
    offline_token_rate = Float(
        DEFAULT_TOKEN_RATE,
        help=f"Offline simulator streaming speed in tokens/s (0 = instant). Unless set, "
        f"{TOKEN_RATE_ENV} decides.",
    ).tag(config=True)
    view = Enum(["auto", "live", "text"], default_value="auto", help="How replies are shown.").tag(
        config=True
    )
    budget_usd = Float(
        None,
        allow_none=True,
        help=f"Stop sending once the API has billed this kernel this many USD. None (the "
        f"default): {BUDGET_ENV} decides; without it, no limit.",
    ).tag(config=True)

    def __init__(self, shell: Any = None, **kwargs: Any) -> None:
        super().__init__(shell=shell, **kwargs)
        budget.configure(self._budget_limit)

    def _budget_limit(self) -> float | None:
        """The explicit setting, else the hub's CLAUDE_MAGIC_BUDGET_USD (one home: here)."""
        setting = self.explicit("budget_usd")
        return setting if setting is not None else budget.budget_from_env()

    @validate("budget_usd")
    def _check_budget(self, proposal: Any) -> float | None:
        value = proposal["value"]
        if value is not None and not 0 <= value < float("inf"):
            raise TraitError(f"budget_usd must be a dollar amount >= 0 (or None), not {value}")
        return value

    @validate("offline_token_rate")
    def _check_token_rate(self, proposal: Any) -> float:
        rate = proposal["value"]
        if not 0 <= rate < float("inf"):
            raise TraitError(f"offline_token_rate must be tokens/s >= 0 (0 = instant), not {rate}")
        return rate

    @observe(*ENV_DEFAULT_SETTINGS)
    def _note_explicit(self, change: Any) -> None:
        vars(self).setdefault("_explicit", set()).add(change["name"])

    def explicit(self, name: str) -> Any:
        """A setting's value if it was set (%config, a config file, assignment), else None."""
        if name in vars(self).get("_explicit", ()) or f"ClaudeMagics.{name}" in self.config:
            return getattr(self, name)
        return None

    @no_var_expand
    @magic_arguments()
    @kwds(formatter_class=_HelpFormatter, description=DESCRIPTION)
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
    @argument(
        "--schema",
        metavar="NAME",
        help="Structured output: a pydantic model class or JSON-schema dict in the notebook; "
        "the reply is JSON in it (-o VAR: VAR.parsed_output).",
    )
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
        help="(line magic) the prompt; `--` before it if it starts with a subcommand's name.",
    )
    @line_cell_magic
    def claude(self, line: str, cell: str | None = None) -> Any:
        """Send the cell (or the rest of the line) to Claude as a user turn."""
        if line.strip() in ("-h", "--help"):
            return commands.run(self, "help", "")
        if cell is None:
            head, *rest = line.split(None, 1) or [""]
            if head in commands.SUBCOMMANDS:
                return commands.run(self, head, "".join(rest))
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
        """Options split like a POSIX shell (`-s "Be brief"` gives `Be brief`, no quotes);
        an option's value may start with `-` (`--stop "---"`)."""
        parser = self.claude.parser
        try:
            argv = split_argv(line)
        except ValueError as exc:  # unbalanced quotes
            raise UsageError(f"%claude: cannot parse options {line!r}: {exc}") from exc
        return parser.parse_args(attach_values(argv, parser))

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
        if not args.chat.strip():
            raise UsageError("-c/--chat needs a name.")
        for seq in args.stop:
            if not seq.strip():
                raise UsageError(
                    f"--stop {seq!r}: a stop sequence needs a character that is not "
                    "whitespace (the API refuses blank ones)."
                )
        if args.model is not None and not args.model.strip():
            raise UsageError("-m/--model needs a model id, e.g. -m claude-sonnet-5-5.")
        if args.no_cache and args.cache:
            raise UsageError(
                f"--no-cache and --cache {args.cache} contradict each other: give one of them."
            )
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
        if args.out is not None:
            if not args.out.isidentifier() or keyword.iskeyword(args.out):
                raise UsageError(f"-o/--out needs a variable name, not {args.out!r}.")
            if args.dry_run:
                raise UsageError(
                    f"-o {args.out} stores the reply, and --dry-run sends nothing: there is no "
                    "reply to store. Drop -o for the dry run (it prints the request)."
                )
        options = self.options_for(args, namespace)
        if args.no_stream and options.max_tokens > NON_STREAMING_MAX_TOKENS:
            raise UsageError(
                f"--no-stream with --max-tokens {options.max_tokens:,}: the SDK refuses "
                "non-streaming requests that may take longer than 10 minutes (max_tokens "
                f"above {NON_STREAMING_MAX_TOKENS:,}). Drop --no-stream (replies stream by "
                "default) or lower --max-tokens."
            )
        text = prompt if args.no_interpolate else self._interpolate(prompt, namespace)
        try:
            attachments = [attachment_block(spec, namespace) for spec in args.attach]
        except AttachmentError as exc:
            raise UsageError(str(exc)) from None
        if not text.strip() and not attachments:
            raise UsageError("Nothing to send: the prompt is empty (and nothing is attached).")
        commands.resolve_tools(args, namespace, options)
        if args.schema is not None:
            options.schema = _schema(args.schema, namespace)
        try:
            check_for_model(options)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        backend = self._backend(args)
        session = current()
        chat = session.chats.get(args.chat)
        cell_id = self.cell_id()
        user = user_message(text, attachments)
        if args.dry_run:
            return commands.dry_run(chat, cell_id, user, options, backend, fresh=args.new)
        scripted, notice = [], None
        if session.replay is not None:
            scripted, notice = self._replay(session, chat, cell_id, user, options, args)
            backend = "offline"
        if backend == "offline":
            session.backends.token_rate = self._token_rate()
        try:
            spending = None if backend == "offline" else session.budget()
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        try:
            client = session.client(backend)
        except Exception as exc:  # the SDK could not find credentials, a profile, ...
            raise ClaudeError(
                explain(exc, model=options.model, offline=backend == "offline")
            ) from None
        exchange = Exchange(
            client=client,
            chat=chat,
            user=user,
            options=options,
            view=self.make_view(),
            offline=backend == "offline",
            cell_id=cell_id,
            execution_count=self.execution_count(),
            max_iterations=self._max_iterations(args),
            on_call=session.record_call,
            stream=not args.no_stream,
            fresh=args.new,
            chats=session.chats,
            notice=notice,
            replayed=bool(scripted),
            budget=spending,
        )
        try:
            turn, _ = exchange.run()
        except KeyboardInterrupt:  # one line, not a traceback through the SDK
            raise Interrupted(
                "Nothing was added to the chat. Run the cell again to retry."
            ) from None
        finally:  # a replay that stopped early leaves no recorded answer to the next call
            session.backends.simulator.unscript(scripted)
        if backend != "offline":
            session.vouch_for(turn.replies)
        message = exchange.last_message
        if options.schema is not None:  # the turn is the reply's JSON text; check it
            try:
                message = parsed_message(message, options.schema)
            except ReplyMismatch as exc:
                cut = (
                    f" It was cut off at max_tokens ({options.max_tokens:,}): raise "
                    "--max-tokens and run the cell again."
                    if getattr(message, "stop_reason", None) == "max_tokens"
                    else ""
                )
                unset = f" {args.out} was not set." if args.out else ""
                raise ReplyMismatch(
                    f"{exc}{cut} (The reply is in the chat as text.){unset}"
                ) from None
        if args.out:
            self.shell.user_ns[args.out] = message
        return None

    def _replay(
        self,
        session: Any,
        chat: Any,
        cell_id: str | None,
        user: dict[str, Any],
        options: RequestOptions,
        args: Any,
    ) -> tuple[list[object], str | None]:
        """Script the cell's recorded turn into the kernel's simulator, or say why not.

        Returns (the scripted replies, none if no match; notice). Either way the cell is
        answered offline.
        """
        from .replay import Match, RecordedTools, scripted_messages

        position = 0 if args.new else chat.position_for(cell_id)
        found = session.replay.match(cell_id, chat.name, position, user)
        if not isinstance(found, Match):
            return [], f"Not in the recording ({found.reason}): the offline simulator answers."
        simulator = session.backends.simulator
        scripted = [simulator.script(m) for m in scripted_messages(found.turn, options.prefill)]
        options.tools = RecordedTools.of(options.tools, found.turn)
        return scripted, None

    def _backend(self, args: Any) -> str:
        if args.offline:
            return "offline"
        try:
            return resolve_backend(self.explicit("backend"))
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def _token_rate(self) -> float:
        try:
            return offline_token_rate(self.explicit("offline_token_rate"))
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

    def execution_count(self) -> int | None:
        """The running cell's own count (its `In[n]`, the execute_input's count).

        `shell.execution_count` is already the next cell's by the time a cell runs; the
        running cell's count is on the ExecutionResult IPython hands the display hook.
        """
        result = getattr(getattr(self.shell, "displayhook", None), "exec_result", None)
        return getattr(result, "execution_count", None)

    def cell_id(self) -> str | None:
        """The id of the running cell, sent by JupyterLab, Notebook 7 and VS Code."""
        header = getattr(self.shell, "parent_header", None) or {}
        cell_id = (header.get("metadata") or {}).get("cellId")
        return str(cell_id) if cell_id else None


ClaudeMagics.claude.parser.allow_abbrev = False  # `--max-token` is a typo, not an option


def _schema(name: str, namespace: dict[str, Any]) -> Schema:
    """The schema `--schema NAME` names (a dotted name reaches into a module or class)."""
    head, *rest = name.split(".")
    if not all(part.isidentifier() for part in (head, *rest)):
        raise UsageError(f"--schema needs the name of a variable, not {name!r}.")
    if head not in namespace:
        raise UsageError(
            f"--schema {name}: no variable {head!r} in the notebook. Define a pydantic model "
            "class (class Person(BaseModel): ...) or a JSON-schema dict first."
        )
    value = namespace[head]
    for part in rest:
        if not hasattr(value, part):
            raise UsageError(f"--schema {name}: {head} has no attribute {part!r}.")
        value = getattr(value, part)
    try:
        return Schema.of(value, name)
    except TypeError as exc:
        raise UsageError(f"--schema {name}: {exc}.") from None


def _value_options(magic: Any) -> dict[str, Any]:
    """Option strings of the magic's parser and their nargs (None: one value, 0: a flag)."""
    return option_nargs(magic.parser)


_QUESTION = re.compile(r"(?P<indent>[ \t]*)%claude[ \t]+(?P<prompt>\S.*?\?)[ \t]*(?P<end>\r?\n?)")
_TRIPLE = re.compile(r'"""|\'\'\'')


def questions_are_prompts(lines: list[str]) -> list[str]:
    """An IPython cleanup transform: `%claude What is a content block?` is a prompt.

    IPython reads a line ending in `?` as a help request (`block?`); this turns such a
    `%claude` line into the magic call first. `%claude?` alone stays help, and lines inside
    a `%%claude` cell's body or a triple-quoted string are left alone.
    """
    if not lines or lines[0].startswith("%%"):
        return lines
    out: list[str] = []
    quote: str | None = None
    for line in lines:
        match = None if quote else _QUESTION.fullmatch(line)
        continued = bool(out) and out[-1].rstrip("\r\n").endswith("\\")
        if match and not continued:
            prompt = match["prompt"]
            line = (
                f"{match['indent']}get_ipython().run_line_magic('claude', {prompt!r}){match['end']}"
            )
        out.append(line)
        for mark in _TRIPLE.findall(line):
            quote = mark if quote is None else (None if mark == quote else quote)
    return out
