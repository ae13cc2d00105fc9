"""Errors a cell can end with, in plain words and with the next step to take.

`ClaudeError` is a real exception (so "run all" stops, `%debug` works and a test can tell
an error from a reply), but IPython renders it as one short message instead of a
traceback through the SDK. `explain` maps SDK and transport errors to such messages.
Pure logic: the SDK's exception classes are only looked up by name.
"""

from __future__ import annotations

from typing import Any

from .models import suggest

KEY_HELP = (
    "Set ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) in the environment the kernel was "
    "started from, or use the offline simulator: `%%claude --offline`, "
    "`%config ClaudeMagics.backend = 'offline'` or CLAUDE_MAGIC_BACKEND=offline."
)


class ClaudeError(Exception):
    """A cell that could not complete; the message says what happened and what to do."""

    def _render_traceback_(self) -> list[str]:
        return [f"\x1b[31m{type(self).__name__}\x1b[0m: {self}"]


class ExchangeFailed(ClaudeError):
    """An exchange with the API failed; its partial turn was not committed."""

    def __init__(self, message: str, turn: Any = None) -> None:
        super().__init__(message)
        self.turn = turn


class Interrupted(ClaudeError):
    """The user interrupted a cell (the kernel's stop button); nothing entered the chat."""


class TruncatedStream(Exception):
    """A stream that ended without message_stop (a dropped connection)."""


def explain(exc: BaseException, *, model: str, offline: bool) -> str:
    """A one-paragraph explanation of why an API call failed and what to do next."""
    name = type(exc).__name__
    status = getattr(exc, "status_code", None)
    api_message = getattr(exc, "api_message", None) or _body_message(exc) or str(exc)
    where = "the offline simulator" if offline else "the Claude API"
    if isinstance(exc, TruncatedStream) or name in ("RemoteProtocolError", "ReadError"):
        return (
            f"The stream from {where} ended before the reply was complete (connection "
            "dropped). Nothing was added to the chat; run the cell again."
        )
    if name == "CredentialsError" or (
        isinstance(exc, TypeError) and "authentication" in str(exc).lower()
    ):
        return f"No API key found ({exc}). {KEY_HELP}"
    if name == "AuthenticationError" or status == 401:
        return f"The API key was rejected ({api_message}). {KEY_HELP}"
    if name == "PermissionDeniedError" or status == 403:
        return f"Permission denied by {where}: {api_message}"
    if name == "NotFoundError" or status == 404:
        if str(api_message).startswith("model:"):  # the API's 404 for an unknown model
            return (
                f"Unknown model {model!r}: {where} has no such model. "
                f"Valid ids include: {suggest()}. "
                "Use -m MODEL or `%config ClaudeMagics.model = '...'`."
            )
        return (
            f"Not found (404) at {where}: {api_message}. If ANTHROPIC_BASE_URL is set, check "
            "that it points at the API (or a proxy that serves /v1/messages)."
        )
    if name in ("BadRequestError", "UnprocessableEntityError") or status in (400, 422):
        return f"{where.capitalize()} rejected the request: {api_message}"
    if name in ("ContentTooLargeError", "RequestTooLargeError") or status == 413:
        return f"The request is too large for {where}: {api_message}. Attach less."
    if name == "RateLimitError" or status == 429:
        return (
            f"Rate limited by {where} ({api_message}), even after the SDK's retries. "
            "Wait a moment and try again."
        )
    if status is not None and status >= 500:
        return (
            f"{where.capitalize()} is having trouble ({status}: {api_message}), even after "
            "the SDK's retries. Try again in a moment."
        )
    if name == "APIStatusError" and status == 200:
        kind = getattr(exc, "type", None) or "error"
        return (
            f"The stream from {where} broke mid-reply ({kind}: {api_message}). Nothing was "
            "added to the chat; run the cell again."
        )
    if name in ("APIConnectionError", "APITimeoutError"):
        return (
            f"Could not reach {where} ({name}: {exc}). Check the network or "
            "ANTHROPIC_BASE_URL, or use --offline."
        )
    return f"{name}: {exc}"


def _body_message(exc: BaseException) -> str | None:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error.get("message")
    return None
