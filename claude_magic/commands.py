"""The `%claude` subcommands and the parts of a cell that only show things.

`help`, `reset`, `chats`, `restore`, `usage`, `count`, `tools`, `export`, and `--dry-run`.
Kept apart from `magics.py` so the magic stays a thin parse-and-delegate layer.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

from IPython.core.error import UsageError
from IPython.display import display

from .request import RequestOptions, build_request, count_tokens_request
from .session import current

_MAX_SHOWN_STRING = 400


def is_subcommand(head: str, rest: str, namespace: dict[str, Any]) -> bool:
    """Whether `%claude HEAD REST` is a subcommand, not a prompt that starts with that word.

    `%claude help me write a haiku` is a prompt; `%claude help` is help. `count` always is
    a subcommand; `%claude -- count …` sends a prompt that starts with it.
    """
    words = rest.split()
    if head in ("help", "chats", "usage"):
        return not words
    if head == "reset":
        return not words or (len(words) == 1 and words[0] in current().chats.names())
    if head == "restore":
        return not words or (len(words) == 1 and words[0].endswith(".ipynb"))
    if head == "export":
        return len(words) in (1, 2) and words[-1].endswith(".ipynb")
    if head == "tools":
        names = _split_names(rest)
        return bool(names) and all(callable(namespace.get(n)) for n in names)
    return head == "count"


def run(magics: Any, name: str, rest: str) -> Any:
    """Dispatch `%claude NAME REST`."""
    handler = _HANDLERS[name]
    return handler(magics, rest.strip())


def _help(magics: Any, rest: str) -> None:
    print(magics.claude.__doc__)


def _reset(magics: Any, rest: str) -> None:
    session = current()
    if rest:
        session.chats.reset(rest)
        print(f"Chat {rest!r} is empty now.")
    else:
        session.chats.reset()
        print("Every chat is empty now.")


def _chats(magics: Any, rest: str) -> None:
    chats = list(current().chats)
    if not chats:
        print("No chats yet: run a %%claude cell.")
    for chat in chats:
        print(f"{chat.name}: {len(chat)} turns, {len(chat.messages)} messages")


def _restore(magics: Any, rest: str) -> None:
    from .notebook import chats_from_notebook

    path = rest or notebook_path(magics.shell)
    if not path:
        raise UsageError(
            "%claude restore: which notebook? The kernel cannot tell its file here; "
            "give the path: %claude restore path/to/notebook.ipynb"
        )
    if not os.path.isfile(path):
        raise UsageError(f"%claude restore: no such notebook file: {path}")
    skipped: list[Any] = []
    chats = chats_from_notebook(path, on_skip=skipped.append)
    if skipped and not chats:
        reasons = "; ".join(str(s) for s in skipped[:3])
        raise UsageError(f"%claude restore: no usable turn record ({reasons}). Chats unchanged.")
    for record in skipped:
        print(record)
    registry = current().chats
    restored = {c.name for c in chats}
    replaced = [c.name for c in registry if len(c) and c.name not in restored]
    registry.replace_all(chats)
    summary = ", ".join(f"{c.name} ({len(c)} turns)" for c in chats) or "no turns found"
    print(f"Restored from {path}: {summary}.")
    if replaced:
        print(f"Chats not in that notebook were cleared: {', '.join(replaced)}.")


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


def _usage(magics: Any, rest: str) -> None:
    from .usage import plot_usage, summarize_by_cell

    frame = current().ledger.frame()
    if frame.empty:
        print("No API calls yet.")
        return
    summary = summarize_by_cell(frame)
    display(summary)
    enable_figure_png(magics.shell)
    display(plot_usage(summary))


def enable_figure_png(shell: Any) -> None:
    """Let matplotlib Figures display as PNG without `%matplotlib inline` having run."""
    if shell is None:
        return
    from IPython.core.pylabtools import select_figure_formats

    select_figure_formats(shell, {"png"})


def _count(magics: Any, rest: str) -> None:
    args, prompt = magics._parse_line(rest)
    if not prompt.strip() and not args.attach:
        raise UsageError(
            "%claude count [options] PROMPT: give the next turn's text; the chat's history "
            "and the options' system prompt and tools are counted with it."
        )
    args.dry_run = True
    magics.ask(args, prompt)


def _tools(magics: Any, rest: str) -> None:
    from .tools import ToolSpecError, describe, resolve_tools

    if not rest:
        raise UsageError("%claude tools NAME[,NAME...]: which callables?")
    try:
        tools = resolve_tools(_split_names(rest), magics.shell.user_ns)
    except ToolSpecError as exc:
        raise UsageError(str(exc)) from None
    for tool in tools:
        print(describe(tool))


def _export(magics: Any, rest: str) -> None:
    from .notebook import write_chat_notebook

    words = rest.split()
    if len(words) not in (1, 2):
        raise UsageError("%claude export [CHAT] PATH.ipynb")
    name, path = (words[0], words[1]) if len(words) == 2 else ("default", words[0])
    chat = current().chats.get(name)
    write_chat_notebook(chat, path)
    print(f"Wrote chat {name!r} ({len(chat)} turns) to {path}.")


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
    lines = [
        f"**Dry run** — nothing sent. POST /v1/messages to the {where}:",
        f"- input tokens (count_tokens): **{counted:,}**, ≈ {_dollars(cost)} at the plain input "
        "rate (cache writes cost more, cache reads less)",
        f"- max output tokens: {options.max_tokens:,}",
    ]
    if dropped:
        lines.append(f"- {dropped} turn(s) of chat {chat.name!r} would be replaced or dropped")
    summary = "\n".join(lines)
    display({"text/markdown": summary, "text/plain": summary.replace("**", "")}, raw=True)
    print(json.dumps(_shorten(request), indent=2, ensure_ascii=False))


def _dollars(value: float) -> str:
    return "n/a (no price for this model)" if math.isnan(value) else f"${value:.4f}"


def _shorten(value: Any) -> Any:
    """The request for display: long strings (base64 data) cut, with their length noted."""
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    if isinstance(value, str) and len(value) > _MAX_SHOWN_STRING:
        return value[:80] + f"… ({len(value):,} characters)"
    return value


_HANDLERS = {
    "help": _help,
    "reset": _reset,
    "chats": _chats,
    "restore": _restore,
    "usage": _usage,
    "count": _count,
    "tools": _tools,
    "export": _export,
}
