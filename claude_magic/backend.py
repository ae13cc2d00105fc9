"""Which Claude a cell talks to: the real API when a key is set, else the offline simulator.

`backend` is "auto", "api" or "offline". An explicit setting (`%config ClaudeMagics.backend`,
a config file, `--offline`) wins; the CLAUDE_MAGIC_BACKEND environment variable is only the
default, and so is CLAUDE_MAGIC_OFFLINE_TOKEN_RATE for the simulator's speed. Both are read
when a cell runs, so a bad value fails that cell with one line, never `%load_ext`.
The real backend is a plain
`anthropic.Anthropic()` client, so ANTHROPIC_BASE_URL, profiles and the SDK's retries work.
The key is never read here beyond checking that one is set.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from typing import Any

BACKENDS = ("auto", "api", "offline")
KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
BACKEND_ENV = "CLAUDE_MAGIC_BACKEND"
TOKEN_RATE_ENV = "CLAUDE_MAGIC_OFFLINE_TOKEN_RATE"
DEFAULT_TOKEN_RATE = 150.0


def has_credentials(environ: Mapping[str, str] = os.environ) -> bool:
    return any(environ.get(name) for name in KEY_VARIABLES)


def resolve_backend(setting: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """ "api" or "offline": the explicit setting, else CLAUDE_MAGIC_BACKEND, else auto."""
    raw = setting if setting is not None else environ.get(BACKEND_ENV, "")
    choice = (raw or "auto").strip().lower()
    if choice not in BACKENDS:
        source = "ClaudeMagics.backend" if setting is not None else BACKEND_ENV
        raise ValueError(f"{source}={raw!r} is not a backend: use one of {', '.join(BACKENDS)}.")
    if choice == "auto":
        return "api" if has_credentials(environ) else "offline"
    return choice


class Backends:
    """Clients per backend, made on first use (importing the SDK takes ~2 s)."""

    def __init__(self, token_rate: float | None = None) -> None:
        self._clients: dict[str, Any] = {}
        self._simulator: Any = None
        self.token_rate = token_rate

    @property
    def simulator(self) -> Any:
        """The kernel's offline simulator (one per kernel, so its prompt cache persists)."""
        if self._simulator is None:
            from .offline import Simulator

            self._simulator = Simulator(token_rate=self.token_rate)
        return self._simulator

    def client(self, backend: str) -> Any:
        if backend == "offline":
            self.simulator.token_rate = self.token_rate
        if backend not in self._clients:
            if backend == "offline":
                self._clients[backend] = self.simulator.client()
            else:
                import anthropic

                self._clients[backend] = anthropic.Anthropic()
        return self._clients[backend]


def offline_token_rate(setting: float | None, environ: Mapping[str, str] = os.environ) -> float:
    """The simulator's speed in tokens/s (0 = instant): the explicit setting, else
    CLAUDE_MAGIC_OFFLINE_TOKEN_RATE, else DEFAULT_TOKEN_RATE."""
    if setting is not None:
        return setting
    raw = environ.get(TOKEN_RATE_ENV, "").strip()
    if not raw:
        return DEFAULT_TOKEN_RATE
    try:
        rate = float(raw)
    except ValueError:
        rate = math.nan
    if not 0 <= rate < math.inf:
        raise ValueError(
            f"{TOKEN_RATE_ENV}={raw!r} is not a speed: use tokens per second (e.g. 30), "
            "or 0 to stream instantly."
        )
    return rate
