"""Which Claude a cell talks to: the real API when a key is set, else the offline simulator.

`backend` is "auto" (the default), "api" or "offline", from `%config ClaudeMagics.backend`
or the CLAUDE_MAGIC_BACKEND environment variable. The real backend is a plain
`anthropic.Anthropic()` client, so ANTHROPIC_BASE_URL, profiles and the SDK's retries work.
The key is never read here beyond checking that one is set.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

BACKENDS = ("auto", "api", "offline")
KEY_VARIABLES = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
BACKEND_ENV = "CLAUDE_MAGIC_BACKEND"
TOKEN_RATE_ENV = "CLAUDE_MAGIC_OFFLINE_TOKEN_RATE"


def has_credentials(environ: Mapping[str, str] = os.environ) -> bool:
    return any(environ.get(name) for name in KEY_VARIABLES)


def resolve_backend(setting: str | None, environ: Mapping[str, str] = os.environ) -> str:
    """ "api" or "offline" for a setting (the config, overridden by the environment)."""
    choice = (environ.get(BACKEND_ENV) or setting or "auto").strip().lower()
    if choice not in BACKENDS:
        raise ValueError(
            f"unknown backend {choice!r} (from {BACKEND_ENV} or ClaudeMagics.backend); "
            f"use one of {', '.join(BACKENDS)}"
        )
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


def token_rate_from_env(default: float, environ: Mapping[str, str] = os.environ) -> float:
    """The simulator's streaming rate in tokens/s (0 = instant), from the environment."""
    raw = environ.get(TOKEN_RATE_ENV)
    if not raw:
        return default
    try:
        return max(float(raw), 0.0)
    except ValueError as exc:
        raise ValueError(f"{TOKEN_RATE_ENV}={raw!r} is not a number of tokens per second") from exc
