"""claude_magic: Claude in Jupyter, with an offline simulator.

`%load_ext claude_magic` registers `%%claude` / `%claude` and nothing more: the SDK, pandas,
matplotlib and widgets are imported when first needed, so loading stays fast.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from .chat import Chat

__version__ = "0.1.0"
__all__ = [
    "batch",
    "batch_job",
    "compare_costs",
    "cost_summary",
    "export",
    "export_answers",
    "get_chat",
    "load_ipython_extension",
    "plot_costs",
    "plot_usage",
    "price_table",
    "reprice",
    "reset_prices",
    "set_prices",
    "simulator",
    "unload_ipython_extension",
    "usage_frame",
    "usage_from_notebooks",
]

_REEXPORTS = {
    "batch": "batching",
    "batch_job": "batching",
    "compare_costs": "costs",
    "cost_summary": "costs",
    "reprice": "costs",
    "price_table": "pricing",
    "reset_prices": "pricing",
    "set_prices": "pricing",
    "usage_from_notebooks": "usage",
}
"""Public functions that live whole in one module: imported on first use, so `%load_ext`
stays fast, and shown with their own signature and docstring (Shift-Tab, `help`)."""


def __getattr__(name: str) -> Any:
    module = _REEXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_REEXPORTS))


def get_chat(name: str = "default") -> Chat:
    """The chat called `name`; its `.messages` is what the next request resends."""
    from .session import current

    return current().chats.get(name)


def usage_frame() -> pd.DataFrame:
    """Every API call of this kernel so far, one row each (see `usage.COLUMNS`)."""
    from .session import current

    return current().ledger.frame()


def plot_usage(df: pd.DataFrame | None = None, ax: Any = None) -> Any:
    """Stacked token bars per cell with cost on a second axis (this kernel's calls by default)."""
    from IPython import get_ipython

    from .commands import enable_figure_png
    from .usage import plot_usage as plot

    enable_figure_png(get_ipython())
    return plot(usage_frame() if df is None else df, ax=ax)






def plot_costs(frame: pd.DataFrame | None = None, ax: Any = None) -> Any:
    """Bar chart of a `cost_summary` or `compare_costs` frame (default: cost per model)."""
    from IPython import get_ipython

    from .commands import enable_figure_png
    from .costs import cost_summary as summary
    from .costs import plot_costs as plot

    enable_figure_png(get_ipython())
    return plot(summary(by="model") if frame is None else frame, ax=ax)





def export(path: str | os.PathLike[str], chat: str = "default", *, force: bool = False) -> str:
    """Write a chat to a new notebook (restorable with `%claude restore PATH`).

    Raises ValueError for a chat with no turns (or no such chat) and FileExistsError when
    `path` exists, unless `force=True`.
    """
    from .notebook import write_chat_notebook
    from .session import current

    registry = current().chats
    if chat not in registry.names() or not len(registry.get(chat)):
        with_turns = [c.name for c in registry if len(c)]
        known = f"chats with turns: {', '.join(with_turns)}" if with_turns else "no chat has turns"
        raise ValueError(f"nothing to export: chat {chat!r} has no turns ({known})")
    target = os.fspath(path)
    if os.path.exists(target) and not force:
        raise FileExistsError(f"{target} exists; pass force=True to overwrite it")
    folder = os.path.dirname(target)
    if folder and not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot write {target}: no folder {folder}")
    return os.fspath(write_chat_notebook(registry.get(chat), target))


def export_answers(notebooks: Any, path: str | os.PathLike[str], *, force: bool = False) -> str:
    """Pack the turn records of saved notebooks into one answers file a course can ship;
    students replay it with `%claude replay answers.json` (see docs/teaching.md)."""
    from .replay import export_answers as pack

    return os.fspath(pack(notebooks, path, force=force))




def simulator() -> Any:
    """This kernel's offline simulator: script replies and inject faults for teaching."""
    from .session import current

    return current().backends.simulator


def load_ipython_extension(ipython: Any) -> None:
    from .magics import ClaudeMagics, questions_are_prompts

    unload_ipython_extension(ipython)
    ipython.register_magics(ClaudeMagics(shell=ipython))
    ipython.input_transformer_manager.cleanup_transforms.append(questions_are_prompts)


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magics, their configurable and the input transform (so %reload_ext does
    not stack copies)."""
    magics = ipython.magics_manager.magics
    magics["line"].pop("claude", None)
    magics["cell"].pop("claude", None)
    ipython.configurables[:] = [
        c for c in ipython.configurables if type(c).__name__ != "ClaudeMagics"
    ]
    transforms = ipython.input_transformer_manager.cleanup_transforms
    transforms[:] = [t for t in transforms if getattr(t, "__name__", "") != "questions_are_prompts"]
    from .budget import configure

    configure(None)
