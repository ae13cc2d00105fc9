"""Views: what shows an exchange (a live widget in a kernel, plain text in a terminal)."""

from __future__ import annotations

from ..protocol import View

__all__ = ["make_view"]


def make_view(kind: str = "auto") -> View:
    """The live view in a Jupyter kernel (anywidget), text elsewhere; `kind` forces one."""
    if kind not in ("auto", "live", "text"):
        raise ValueError(f"unknown view kind {kind!r} (auto, live or text)")
    if kind == "live" or (kind == "auto" and _in_kernel() and _has_anywidget()):
        from .live import LiveView

        return LiveView()
    from .text import TextView

    return TextView()


def _in_kernel() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    return hasattr(get_ipython(), "kernel")


def _has_anywidget() -> bool:
    import importlib.util

    return importlib.util.find_spec("anywidget") is not None
