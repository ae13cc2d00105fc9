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
    "export",
    "get_chat",
    "load_ipython_extension",
    "plot_usage",
    "simulator",
    "unload_ipython_extension",
    "usage_frame",
    "usage_from_notebooks",
]


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


def usage_from_notebooks(paths: Any) -> pd.DataFrame:
    """The usage recorded in saved notebooks (a path, glob, folder or list of them)."""
    from .usage import usage_from_notebooks as read

    return read(paths)


def export(path: str | os.PathLike[str], chat: str = "default") -> str:
    """Write a chat to a new notebook (restorable with `%claude restore PATH`)."""
    from .notebook import write_chat_notebook

    return os.fspath(write_chat_notebook(get_chat(chat), path))


def simulator() -> Any:
    """This kernel's offline simulator: script replies and inject faults for teaching."""
    from .session import current

    return current().backends.simulator


def load_ipython_extension(ipython: Any) -> None:
    from .magics import ClaudeMagics

    unload_ipython_extension(ipython)
    ipython.register_magics(ClaudeMagics(shell=ipython))


def unload_ipython_extension(ipython: Any) -> None:
    """Remove the magics and their configurable (so %reload_ext does not stack copies)."""
    magics = ipython.magics_manager.magics
    magics["line"].pop("claude", None)
    magics["cell"].pop("claude", None)
    ipython.configurables[:] = [
        c for c in ipython.configurables if type(c).__name__ != "ClaudeMagics"
    ]
