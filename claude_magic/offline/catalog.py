"""The simulator's model catalog (limits, lifecycle, capabilities, behaviour flags).

Figures follow the team's shared api-notes.md §2f, §4 and §5. Where the notes have no official
figure (Fable/Mythos 5.2, Sonnet 4.6 output limit) the values are plausible guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["DEFAULT_MODEL", "MODELS", "ModelInfo", "get_model"]

DEFAULT_MODEL = "claude-sonnet-5-5"


@dataclass(frozen=True)
class ModelInfo:
    id: str
    display_name: str
    created_at: str  # RFC 3339
    line: str
    lifecycle: str = "active"  # active | deprecated | retired
    deprecated_at: str | None = None
    max_input_tokens: int = 1_000_000
    max_tokens: int = 128_000
    cache_min_tokens: int = 1024
    thinks_by_default: bool = False  # 5.x: thinking on, display "omitted"
    accepts_prefill: bool = False  # False on Claude 4.6+ (api-notes §5)
    accepts_thinking_disabled: bool = True  # False on Fable / Mythos / Opus 5.5
    accepts_thinking_enabled: bool = False  # budget_tokens thinking: before 4.7 only
    accepts_thinking_adaptive: bool = True  # not on 4.5 and earlier
    accepts_forced_tool_choice: bool = True  # tool_choice any/tool (not Opus 5.5, *-5-1)
    system_messages_midway: bool = True  # role "system" in messages (not Sonnet 5)
    extra: dict[str, Any] = field(default_factory=dict)

    def capabilities(self) -> dict[str, Any]:
        def s(flag: bool = True) -> dict[str, bool]:
            return {"supported": flag}

        return {
            "batch": s(),
            "citations": s(),
            "code_execution": s(),
            "context_management": {
                "supported": True,
                "clear_thinking_20251015": s(),
                "clear_tool_uses_20250919": s(),
                "compact_20260112": s(self.thinks_by_default),
            },
            "effort": {
                "supported": True,
                "low": s(),
                "medium": s(),
                "high": s(),
                "xhigh": s(self.thinks_by_default),
                "max": s(),
            },
            "image_input": s(),
            "pdf_input": s(),
            "server_tools": {"supported": True, "code_execution": s(), "web_search": s()},
            "structured_outputs": s(),
            "thinking": {
                "supported": True,
                "types": {
                    "adaptive": s(self.accepts_thinking_adaptive),
                    "between_tools": s(self.thinks_by_default),
                    "disabled": s(self.accepts_thinking_disabled),
                    "enabled": s(self.accepts_thinking_enabled),
                },
            },
        }

    def to_api(self) -> dict[str, Any]:
        """The /v1/models JSON object for this model."""
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": self.lifecycle,
            "deprecated_at": self.deprecated_at,
            "retires_at": None,
            "line": self.line,
            "max_input_tokens": self.max_input_tokens,
            "max_tokens": self.max_tokens,
            "capabilities": self.capabilities(),
        }


def _five(id: str, name: str, created: str, line: str, **kw: Any) -> ModelInfo:
    kw.setdefault("cache_min_tokens", 512)
    return ModelInfo(id, name, created, line, thinks_by_default=True, **kw)


_NO_DISABLE = {"accepts_thinking_disabled": False}
_NO_FORCE = {"accepts_forced_tool_choice": False}
_DEPRECATED = {"lifecycle": "deprecated", "deprecated_at": "2026-10-21T00:00:00Z"}

# Newest first: the order /v1/models lists them in.
_ALL = [
    _five("claude-fable-5-2", "Claude Fable 5.2", "2026-11-09T00:00:00Z", "fable", **_NO_DISABLE),
    _five(
        "claude-mythos-5-2", "Claude Mythos 5.2", "2026-11-09T00:00:00Z", "mythos", **_NO_DISABLE
    ),
    _five("claude-haiku-5-5", "Claude Haiku 5.5", "2026-10-28T00:00:00Z", "haiku"),
    _five("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-09-30T00:00:00Z", "sonnet"),
    _five(
        "claude-opus-5-5",
        "Claude Opus 5.5",
        "2026-09-15T00:00:00Z",
        "opus",
        **_NO_DISABLE,
        **_NO_FORCE,
    ),
    _five(
        "claude-fable-5-1",
        "Claude Fable 5.1",
        "2026-07-20T00:00:00Z",
        "fable",
        **_NO_DISABLE,
        **_NO_FORCE,
    ),
    _five(
        "claude-mythos-5-1",
        "Claude Mythos 5.1",
        "2026-07-20T00:00:00Z",
        "mythos",
        **_NO_DISABLE,
        **_NO_FORCE,
    ),
    _five("claude-opus-5", "Claude Opus 5", "2026-05-12T00:00:00Z", "opus", **_DEPRECATED),
    _five(
        "claude-sonnet-5",
        "Claude Sonnet 5",
        "2026-05-12T00:00:00Z",
        "sonnet",
        cache_min_tokens=1024,
        system_messages_midway=False,
        **_DEPRECATED,
    ),
    _five(
        "claude-fable-5",
        "Claude Fable 5",
        "2026-04-01T00:00:00Z",
        "fable",
        **_NO_DISABLE,
        **_DEPRECATED,
    ),
    _five(
        "claude-mythos-5",
        "Claude Mythos 5",
        "2026-04-01T00:00:00Z",
        "mythos",
        **_NO_DISABLE,
        **_DEPRECATED,
    ),
    ModelInfo(
        "claude-opus-4-8",
        "Claude Opus 4.8",
        "2026-02-17T00:00:00Z",
        "opus",
        cache_min_tokens=1024,
        **_DEPRECATED,
    ),
    ModelInfo(
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "2025-12-15T00:00:00Z",
        "sonnet",
        max_tokens=64_000,
        cache_min_tokens=1024,
        accepts_thinking_enabled=True,
        system_messages_midway=False,
        **_DEPRECATED,
    ),
    ModelInfo(
        "claude-haiku-4-5",
        "Claude Haiku 4.5",
        "2025-10-15T00:00:00Z",
        "haiku",
        max_input_tokens=200_000,
        max_tokens=64_000,
        cache_min_tokens=4096,
        accepts_prefill=True,
        accepts_thinking_enabled=True,
        accepts_thinking_adaptive=False,
        system_messages_midway=False,
        **_DEPRECATED,
    ),
]

MODELS: dict[str, ModelInfo] = {m.id: m for m in _ALL}


def get_model(model_id: str) -> ModelInfo | None:
    """The catalog entry for `model_id`, or None if the simulator does not know it."""
    return MODELS.get(model_id)
