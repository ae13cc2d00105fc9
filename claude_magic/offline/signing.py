"""Thinking-block signatures: deterministic, verifiable, bound to the displayed text.

signature = base64("offline1:" + message id + ":" + hex HMAC-SHA256(secret, id + NUL + text))
where `text` is the thinking text as returned to the client ("" under display "omitted").
Editing a returned thinking block therefore invalidates its signature.

A replayed recorded message (Simulator.script) carries thinking blocks signed by the real
API, which no HMAC here can check. The Signer therefore also remembers every thinking block
it has sent (a digest of its text and signature, the most recent 10,000): a block sent back
unchanged is accepted, an edited one is not. redacted_thinking blocks are not checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
from collections import OrderedDict

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


class Signer:
    """Signs thinking blocks and tells whether one sent back is as it was sent."""

    def __init__(self, secret: bytes = DEFAULT_SECRET, remember: int = 10_000) -> None:
        self.secret = secret
        self._limit = remember
        self._sent: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def sign(self, text: str, message_id: str) -> str:
        return sign(text, message_id, self.secret)

    def remember(self, content: list) -> None:
        """Note the thinking blocks of a message as sent."""
        with self._lock:
            for block in content:
                if isinstance(block, dict) and block.get("type") == "thinking":
                    self._sent[_digest(block)] = None
                    self._sent.move_to_end(_digest(block))
            while len(self._sent) > self._limit:
                self._sent.popitem(last=False)

    def accepts(self, block: dict) -> bool:
        """A thinking block is unchanged: signed here for its text, or sent from here as is."""
        if verify(str(block.get("thinking", "")), str(block.get("signature", "")), self.secret):
            return True
        with self._lock:
            return _digest(block) in self._sent


def _digest(block: dict) -> str:
    raw = f"{block.get('thinking', '')}\x00{block.get('signature', '')}"
    return hashlib.sha256(raw.encode()).hexdigest()
