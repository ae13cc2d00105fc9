"""`--attach PATH|URL|VAR`: images and PDFs as content blocks of the user turn.

A URL becomes a `url` source; a file or a variable (bytes, a PIL image, a path string)
becomes base64 data with its media type detected from its first bytes. Anything that is
not an image or a PDF is a clear error before any request. Pure logic.
"""

from __future__ import annotations

import base64
import io
import os
import re
from collections.abc import Mapping
from typing import Any

IMAGE_TYPES = {
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"\xff\xd8\xff": "image/jpeg",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
PDF_MAGIC = b"%PDF-"
_EXPR = re.compile(r"\{\{(.+)\}\}", re.S)


class AttachmentError(ValueError):
    """An --attach value that is not an image or PDF we can send."""


def sniff_media_type(data: bytes) -> str | None:
    """The media type of image or PDF bytes, from their magic numbers."""
    for magic, media_type in IMAGE_TYPES.items():
        if data.startswith(magic):
            return media_type
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data.startswith(PDF_MAGIC):
        return "application/pdf"
    return None


def is_pil_image(value: Any) -> bool:
    """Duck-typed so PIL is never imported here (it may not even be installed)."""
    return hasattr(value, "save") and hasattr(value, "mode") and hasattr(value, "size")


def pil_png(image: Any) -> bytes:
    """A PIL image as PNG bytes (converted to RGBA when its mode cannot be PNG, e.g. CMYK)."""
    buffer = io.BytesIO()
    try:
        image.save(buffer, format="PNG")
    except (OSError, ValueError, KeyError):
        buffer = io.BytesIO()
        image.convert("RGBA").save(buffer, format="PNG")
    return buffer.getvalue()


def block_from_bytes(data: bytes, origin: str) -> dict[str, Any]:
    media_type = sniff_media_type(data)
    if media_type is None:
        raise AttachmentError(
            f"--attach {origin}: not a PNG, JPEG, GIF, WebP image or a PDF "
            f"(starts with {data[:8]!r})."
        )
    source = {
        "type": "base64",
        "media_type": media_type,
        "data": base64.b64encode(data).decode("ascii"),
    }
    kind = "document" if media_type == "application/pdf" else "image"
    return {"type": kind, "source": source}


def block_from_url(url: str) -> dict[str, Any]:
    kind = "document" if url.lower().split("?")[0].endswith(".pdf") else "image"
    return {"type": kind, "source": {"type": "url", "url": url}}


def attachment_block(spec: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """One content block for an --attach value: a URL, a file path, a variable name, or
    `{{expr}}` (its value: bytes, a PIL image, a path or a URL)."""
    expr = _EXPR.fullmatch(spec.strip())
    if expr:
        try:
            value = eval(expr.group(1), dict(namespace))  # noqa: S307 - the user's namespace
        except Exception as exc:
            raise AttachmentError(f"--attach {spec}: {type(exc).__name__}: {exc}") from exc
        return _block_from_value(value, spec)
    if spec.startswith(("http://", "https://")):
        return block_from_url(spec)
    if os.path.isfile(spec):
        with open(spec, "rb") as f:
            return block_from_bytes(f.read(), spec)
    if spec.isidentifier() and spec in namespace:
        return _block_from_value(namespace[spec], spec)
    raise AttachmentError(
        f"--attach {spec}: no such file, URL (http/https) or variable in the notebook."
    )


def _block_from_value(value: Any, name: str) -> dict[str, Any]:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return block_from_bytes(bytes(value), name)
    if isinstance(value, (str, os.PathLike)):
        text = os.fspath(value)
        if text.startswith(("http://", "https://")) or os.path.isfile(text):
            return attachment_block(text, {})
        raise AttachmentError(f"--attach {name}: {text!r} is not a file or an http(s) URL.")
    if is_pil_image(value):
        return block_from_bytes(pil_png(value), name)
    raise AttachmentError(
        f"--attach {name}: a {type(value).__name__} is not an image or PDF "
        "(use bytes, a PIL image, a path or a URL)."
    )
