"""The simulator's model catalog: the project's one model table (`claude_magic.models`).

The simulator serves, validates and caches by the same facts that pricing and the magic's
option checks read, so they cannot drift apart.
"""

from __future__ import annotations

from ..models import DEFAULT_MODEL, MODELS, get_model
from ..models import Model as ModelInfo

__all__ = ["DEFAULT_MODEL", "MODELS", "ModelInfo", "get_model"]
