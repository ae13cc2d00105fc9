"""The one model table: ids, aliases, limits, capabilities and prices, with date and sources.

Everything that needs a fact about a model reads it here: pricing (`pricing.py`), the offline
simulator's catalog and validation (`offline/catalog.py`), the option checks of `%%claude`
(`magics.py`) and the error messages (`errors.py`). A model that is not in the table still
works against the real API (tables go stale); it just has no price and no early checks.

Sources (api-notes.md §2f, §4 and §5 beside the design): Anthropic's "Pricing" page
(platform.claude.com/docs/en/about-claude/pricing), the per-model pages
(platform.claude.com/docs/en/models/<id>/overview), "Prompt caching"
(platform.claude.com/docs/en/build-with-claude/prompt-caching) and the documented validation
errors. Fable/Mythos 5.2 (no official page yet, marked `source="third-party"`), three
of Haiku 5.5's cache rates (the read up to 100K, the 1h write and read above) and Sonnet
5.5's $0.10 cache read (a cut reported from pricing-page audits) are third-party figures.

Pure data: no SDK, IPython or widget import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PRICES_AS_OF = "2026-11-29"
"""When the prices below were last checked against the sources."""
PRICES_SOURCE = (
    "Anthropic 'Pricing' (platform.claude.com/docs/en/about-claude/pricing), the per-model "
    "pages (platform.claude.com/docs/en/models/<id>/overview) and 'Prompt caching' "
    "(platform.claude.com/docs/en/build-with-claude/prompt-caching, scrape of 2026-09-26), "
    "collected on 2026-11-22; Sonnet 5.5's 400s from 'What's new in Claude Sonnet 5.5' "
    "(platform.claude.com/docs/en/models/sonnet-5-5/whats-new-sonnet-5-5), 2026-11-29. "
    "Third-party figures: Fable/Mythos 5.2; Haiku 5.5's cache read (both tiers) and >100K 1h "
    "write (apidog, kurofune/claudit v1.9.2); Sonnet 5.5's cache read of $0.10 (0.05x input "
    "from 2026-10-07, per audits of the pricing page: claudit v1.9.2, PromptFuel v1.0.23; "
    "the copy of its model page we have still says $0.20)."
)
DEFAULT_MODEL = "claude-sonnet-5-5"
LIFECYCLES = ("active", "deprecated", "retired")


@dataclass(frozen=True)
class ModelPrice:
    """USD per million tokens for one model."""

    input: float
    output: float
    cache_write_5m: float
    cache_write_1h: float
    cache_read: float
    source: str = "official"
    """"official", "third-party" (not on an Anthropic page) or "override" (`set_price`)."""
    long_prompt: ModelPrice | None = None
    """Rates for the whole request when the prompt exceeds `pricing.LONG_PROMPT_TOKENS`."""


def standard_price(inp: float, out: float, read_x: float = 0.1, **kw: Any) -> ModelPrice:
    """A price with the standard cache multipliers: write 1.25x (5m) / 2x (1h) input."""
    return ModelPrice(inp, out, inp * 1.25, inp * 2, round(inp * read_x, 6), **kw)


@dataclass(frozen=True)
class Model:
    """One model: what the API's /v1/models says about it, what it accepts, what it costs."""

    id: str
    display_name: str
    created_at: str
    """RFC 3339."""
    line: str
    """haiku | sonnet | opus | fable | mythos."""
    price: ModelPrice | None
    lifecycle: str = "active"
    deprecated_at: str | None = None
    aliases: tuple[str, ...] = ()
    """Other ids the API answers to (e.g. a dated snapshot id)."""
    max_input_tokens: int = 1_000_000
    max_tokens: int = 128_000
    cache_min_tokens: int = 1024
    """Shorter prompts are silently not cached."""
    thinks_by_default: bool = False
    """5.x: thinking on by default, display "omitted"."""
    accepts_prefill: bool = False
    """A final assistant message (prefill): not on Claude 4.6+."""
    accepts_thinking_disabled: bool = True
    """`thinking: {"type": "disabled"}`: not on Fable / Mythos / Opus 5.5 / Sonnet 5.5 (which
    turns up-front thinking off with `between_tools` instead)."""
    accepts_thinking_enabled: bool = False
    """`thinking: {"type": "enabled", "budget_tokens": N}`: before Claude 4.7 only."""
    accepts_thinking_adaptive: bool = True
    """Not on Claude 4.5 and earlier."""
    accepts_thinking_between_tools: bool = False
    """`thinking: {"type": "between_tools"}` (no up-front thinking; progress notes between
    tool calls): 5.x models, except those told to use adaptive thinking and effort instead."""
    accepts_forced_tool_choice: bool = True
    """`tool_choice` any/tool: not on Opus 5.5, Fable 5.1, Mythos 5.1."""
    system_messages_midway: bool = True
    """`role: "system"` messages inside `messages`: not on Sonnet 5 and 4.x."""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def current(self) -> bool:
        return self.lifecycle == "active"

    @property
    def thinking_off(self) -> str | None:
        """The thinking type that turns up-front thinking off here, or None if none does."""
        if self.accepts_thinking_disabled:
            return "disabled"
        return "between_tools" if self.accepts_thinking_between_tools else None

    def capabilities(self) -> dict[str, Any]:
        """The `capabilities` object of /v1/models, derived from the flags above."""

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
                    "between_tools": s(self.accepts_thinking_between_tools),
                    "disabled": s(self.accepts_thinking_disabled),
                    "enabled": s(self.accepts_thinking_enabled),
                },
            },
        }

    def to_api(self) -> dict[str, Any]:
        """The model as the API's /v1/models returns it (the simulator serves this)."""
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


def _five(id: str, name: str, created: str, line: str, price: ModelPrice, **kw: Any) -> Model:
    """A 5.x model: thinks by default, caches from 512 tokens."""
    kw.setdefault("cache_min_tokens", 512)
    kw.setdefault("accepts_thinking_between_tools", True)
    return Model(id, name, created, line, price, thinks_by_default=True, **kw)


# "disabled" is a 400 that says to use adaptive thinking and effort instead.
_NO_DISABLE = {"accepts_thinking_disabled": False, "accepts_thinking_between_tools": False}
# "disabled" is a 400 that says to use between_tools ('What's new in Claude Sonnet 5.5').
_OFF_BETWEEN_TOOLS = {"accepts_thinking_disabled": False}
_NO_FORCE = {"accepts_forced_tool_choice": False}
_DEPRECATED = {"lifecycle": "deprecated", "deprecated_at": "2026-10-21T00:00:00Z"}
_LEGACY_4 = {**_DEPRECATED, "system_messages_midway": False}

_FABLE_5_1 = standard_price(10, 50, read_x=0.025)
_FABLE_5 = ModelPrice(10, 50, 12.5, 20, 1.0)  # read 1.00 as listed on the pricing page
_OPUS_5 = standard_price(5, 25)
_SONNET_5 = standard_price(2, 10)
_SONNET_5_5 = standard_price(2, 10, read_x=0.05)  # reads $0.10 from 2026-10-07 (third-party)
_SONNET_4 = standard_price(3, 15)
_THIRD_PARTY_5_2 = standard_price(8, 40, source="third-party")
# The cache read (0.01, and 0.05 above 100K) and the >100K 1h write are third-party figures.
_HAIKU_5_5 = ModelPrice(
    0.10, 0.50, 0.125, 0.20, 0.01, long_prompt=ModelPrice(0.50, 2.50, 0.625, 1.00, 0.05)
)

# Newest first: the order /v1/models lists them in.
_ALL = [
    _five("claude-fable-5-2", "Claude Fable 5.2", "2026-11-09T00:00:00Z", "fable",
          _THIRD_PARTY_5_2, **_NO_DISABLE),
    _five("claude-mythos-5-2", "Claude Mythos 5.2", "2026-11-09T00:00:00Z", "mythos",
          _THIRD_PARTY_5_2, **_NO_DISABLE),
    _five("claude-haiku-5-5", "Claude Haiku 5.5", "2026-10-28T00:00:00Z", "haiku", _HAIKU_5_5),
    # 'What's new in Claude Sonnet 5.5': thinking budgets, sampling parameters, prefill,
    # forced tool choice and thinking "disabled" are 400s (between_tools is the lowest setting).
    _five("claude-sonnet-5-5", "Claude Sonnet 5.5", "2026-09-30T00:00:00Z", "sonnet",
          _SONNET_5_5, **_OFF_BETWEEN_TOOLS, **_NO_FORCE),
    _five("claude-opus-5-5", "Claude Opus 5.5", "2026-09-15T00:00:00Z", "opus",
          standard_price(4, 20, read_x=0.05), **_NO_DISABLE, **_NO_FORCE),
    _five("claude-fable-5-1", "Claude Fable 5.1", "2026-07-20T00:00:00Z", "fable",
          _FABLE_5_1, **_NO_DISABLE, **_NO_FORCE),
    _five("claude-mythos-5-1", "Claude Mythos 5.1", "2026-07-20T00:00:00Z", "mythos",
          _FABLE_5_1, **_NO_DISABLE, **_NO_FORCE),
    _five("claude-opus-5", "Claude Opus 5", "2026-05-12T00:00:00Z", "opus", _OPUS_5,
          **_DEPRECATED),
    _five("claude-sonnet-5", "Claude Sonnet 5", "2026-05-12T00:00:00Z", "sonnet", _SONNET_5,
          cache_min_tokens=1024, system_messages_midway=False, **_DEPRECATED),
    _five("claude-fable-5", "Claude Fable 5", "2026-04-01T00:00:00Z", "fable", _FABLE_5,
          **_NO_DISABLE, **_DEPRECATED),
    _five("claude-mythos-5", "Claude Mythos 5", "2026-04-01T00:00:00Z", "mythos", _FABLE_5,
          **_NO_DISABLE, **_DEPRECATED),
    Model("claude-opus-4-8", "Claude Opus 4.8", "2026-02-17T00:00:00Z", "opus", _OPUS_5,
          **_DEPRECATED),
    Model("claude-opus-4-7", "Claude Opus 4.7", "2026-01-14T00:00:00Z", "opus", _OPUS_5,
          cache_min_tokens=2048, **_LEGACY_4),
    Model("claude-sonnet-4-6", "Claude Sonnet 4.6", "2025-12-15T00:00:00Z", "sonnet", _SONNET_4,
          max_tokens=64_000, accepts_thinking_enabled=True, **_LEGACY_4),
    Model("claude-opus-4-6", "Claude Opus 4.6", "2025-12-01T00:00:00Z", "opus", _OPUS_5,
          cache_min_tokens=4096, accepts_thinking_enabled=True, **_LEGACY_4),
    Model("claude-opus-4-5", "Claude Opus 4.5", "2025-11-24T00:00:00Z", "opus", _OPUS_5,
          aliases=("claude-opus-4-5-20251101",), max_input_tokens=200_000, max_tokens=64_000,
          cache_min_tokens=4096, accepts_prefill=True, accepts_thinking_enabled=True,
          accepts_thinking_adaptive=False, **_LEGACY_4),
    Model("claude-haiku-4-5", "Claude Haiku 4.5", "2025-10-15T00:00:00Z", "haiku",
          standard_price(1, 5), aliases=("claude-haiku-4-5-20251001",),
          max_input_tokens=200_000, max_tokens=64_000, cache_min_tokens=4096,
          accepts_prefill=True, accepts_thinking_enabled=True, accepts_thinking_adaptive=False,
          **_LEGACY_4),
    Model("claude-sonnet-4-5", "Claude Sonnet 4.5", "2025-09-29T00:00:00Z", "sonnet", _SONNET_4,
          aliases=("claude-sonnet-4-5-20250929",), max_input_tokens=200_000,
          max_tokens=64_000, accepts_prefill=True, accepts_thinking_enabled=True,
          accepts_thinking_adaptive=False, **_LEGACY_4),
]  # fmt: skip

MODELS: dict[str, Model] = {m.id: m for m in _ALL}
_BY_ALIAS: dict[str, Model] = {alias: m for m in _ALL for alias in m.aliases}
_DATE_SUFFIX = re.compile(r"-\d{8}$")


def get_model(model_id: str) -> Model | None:
    """The table's entry for an id or one of its aliases, or None."""
    return MODELS.get(model_id) or _BY_ALIAS.get(model_id)


def lookup(model_id: str) -> Model | None:
    """Like `get_model`, but a dated snapshot id ("...-20261001") falls back to its base id.

    For pricing and early checks, where a snapshot of a known model is priced like it; the
    simulator answers only exact ids and aliases, as the API does.
    """
    return get_model(model_id) or MODELS.get(_DATE_SUFFIX.sub("", model_id))


def current_models() -> list[Model]:
    """Active models, newest first (what a course or a cost comparison should offer)."""
    return [m for m in _ALL if m.current]


def suggest(limit: int = 6) -> str:
    """Valid ids to name in an error message: the default first, then active models."""
    ids = [DEFAULT_MODEL, *(m.id for m in current_models() if m.id != DEFAULT_MODEL)]
    return ", ".join(ids[:limit])
