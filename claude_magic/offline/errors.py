"""The simulator's error type: everything that becomes an API error response."""

from __future__ import annotations

import hashlib
from typing import Any

STATUS_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    408: "timeout_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

DEFAULT_MESSAGES = {
    "rate_limit_error": "Number of request tokens has exceeded your per-minute rate limit.",
    "api_error": "Internal server error",
    "overloaded_error": "Overloaded",
    "timeout_error": "Request timed out",
    "not_found_error": "The requested resource could not be found.",
}


class ApiError(Exception):
    """An error the simulator answers with ``{"type": "error", "error": {...}}``."""

    def __init__(
        self,
        status: int,
        message: str | None = None,
        error_type: str | None = None,
        headers: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        self.status = status
        self.error_type = error_type or STATUS_TYPES.get(status, "api_error")
        self.message = message or DEFAULT_MESSAGES.get(self.error_type, self.error_type)
        self.headers = dict(headers or {})
        self.details = details  # `error.details`, e.g. {"error_code": "..."} for coded errors
        super().__init__(f"{status} {self.error_type}: {self.message}")

    def error_object(self) -> dict[str, Any]:
        """The `error` object of the body (also what a batch's errored result carries)."""
        error: dict[str, Any] = {"type": self.error_type, "message": self.message}
        if self.details is not None:
            error["details"] = self.details
        return error

    def body(self, request_id: str) -> dict[str, Any]:
        return {"type": "error", "error": self.error_object(), "request_id": request_id}


def invalid(message: str) -> ApiError:
    return ApiError(400, message, "invalid_request_error")


def request_id_for(n: int) -> str:
    """Deterministic request ids: req_offline_<counter>_<hash>."""
    digest = hashlib.sha256(f"req:{n}".encode()).hexdigest()[:12]
    return f"req_offline_{n:04d}{digest}"
