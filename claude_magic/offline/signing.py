"""Thinking-block signatures: deterministic, verifiable, bound to the displayed text.

signature = base64("offline1:" + message id + ":" + hex HMAC-SHA256(secret, id + NUL + text))
where `text` is the thinking text as returned to the client ("" under display "omitted").
Editing a returned thinking block therefore invalidates its signature.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

DEFAULT_SECRET = b"claude-magic-offline-simulator"
_PREFIX = "offline1:"


def sign(text: str, message_id: str, secret: bytes = DEFAULT_SECRET) -> str:
    mac = hmac.new(secret, f"{message_id}\x00{text}".encode(), hashlib.sha256).hexdigest()
    return base64.b64encode(f"{_PREFIX}{message_id}:{mac}".encode()).decode()


def verify(text: str, signature: str, secret: bytes = DEFAULT_SECRET) -> bool:
    try:
        raw = base64.b64decode(signature.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    if not raw.startswith(_PREFIX):
        return False
    message_id, _, _mac = raw[len(_PREFIX) :].rpartition(":")
    return hmac.compare_digest(sign(text, message_id, secret), signature)
