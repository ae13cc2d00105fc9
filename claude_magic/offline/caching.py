"""Prompt-cache accounting: breakpoints, prefix hashing, minimum length and TTLs.

The cache prefix runs tools -> system -> messages (see tokens.segments). A breakpoint is a
block with ``cache_control``; a top-level ``cache_control`` adds one on the last cacheable
block (walking back over thinking blocks). On each request the longest unexpired cached
prefix ending at a breakpoint, or at one of the 20 blocks before it, is read; every later
breakpoint whose prefix reaches the model's minimum is written with its TTL ("5m" or "1h").
Entries are refreshed on a hit; expired ones are dropped (swept whenever the table has doubled
since the last sweep), so memory follows the live entries. Not modelled: the rule that 1h
breakpoints precede 5m ones, cache isolation per workspace and eviction before the TTL.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .catalog import ModelInfo
from .errors import invalid
from .tokens import REQUEST_TOKENS, segments

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
MAX_BREAKPOINTS = 4
LOOKBACK = 20  # blocks checked before each breakpoint for an earlier cache entry
_MIN_SWEEP = 8  # table size that triggers the first sweep of expired entries


@dataclass
class CacheUsage:
    input_tokens: int
    cache_creation_5m: int = 0
    cache_creation_1h: int = 0
    cache_read: int = 0

    @property
    def cache_creation(self) -> int:
        return self.cache_creation_5m + self.cache_creation_1h

    def usage_fields(self) -> dict:
        return {
            "input_tokens": self.input_tokens,
            "cache_creation_input_tokens": self.cache_creation,
            "cache_read_input_tokens": self.cache_read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": self.cache_creation_5m,
                "ephemeral_1h_input_tokens": self.cache_creation_1h,
            },
        }


def _ttl(cc: dict, where: str) -> str:
    if not isinstance(cc, dict) or cc.get("type") != "ephemeral":
        raise invalid(f"{where}.cache_control.type: Input should be 'ephemeral'")
    ttl = cc.get("ttl", "5m")
    if ttl not in TTL_SECONDS:
        raise invalid(f"{where}.cache_control.ttl: Input should be '5m' or '1h'")
    return ttl


def breakpoints(body: dict) -> tuple[list, list[tuple[int, str]]]:
    """The request's segments and its (segment index, ttl) breakpoints; 400 on misuse."""
    segs = segments(body)
    bps = [(i, _ttl(s.cache_control, s.path)) for i, s in enumerate(segs) if s.cache_control]
    top = body.get("cache_control")
    if top is not None:
        ttl = _ttl(top, "")
        last = next((i for i in range(len(segs) - 1, -1, -1) if segs[i].cacheable), None)
        if last is not None:
            existing = dict(bps).get(last)
            if existing is None:
                if len(bps) >= MAX_BREAKPOINTS:
                    raise invalid(
                        "A maximum of 4 blocks with cache_control may be provided. "
                        f"Found {len(bps) + 1}."
                    )
                bps.append((last, ttl))
            elif existing != ttl:
                raise invalid(
                    "cache_control: the top-level cache_control ttl conflicts with the ttl "
                    f"already set on {segs[last].path}."
                )
    if len(bps) > MAX_BREAKPOINTS:
        raise invalid(
            f"A maximum of 4 blocks with cache_control may be provided. Found {len(bps)}."
        )
    return segs, sorted(bps)


class PromptCache:
    """Cached prefixes keyed by model and content hash, with expiry on an injectable clock."""

    def __init__(self, clock: Callable[[], float] | None = None) -> None:
        self.clock = clock or time.monotonic
        self._expires: dict[str, float] = {}
        self._ttls: dict[str, str] = {}
        self._lock = threading.Lock()
        self._sweep_at = _MIN_SWEEP

    def clear(self) -> None:
        with self._lock:
            self._expires.clear()
            self._ttls.clear()
            self._sweep_at = _MIN_SWEEP

    def _sweep(self, now: float) -> None:
        """Drop expired entries once the table has doubled since the last sweep (amortised O(1))."""
        if len(self._expires) < self._sweep_at:
            return
        for key in [k for k, exp in self._expires.items() if exp <= now]:
            del self._expires[key]
            self._ttls.pop(key, None)
        self._sweep_at = max(_MIN_SWEEP, 2 * len(self._expires))

    def __len__(self) -> int:
        return len(self._expires)

    def account(
        self, body: dict, model: ModelInfo, total: int, *, write: bool = True
    ) -> CacheUsage:
        """Split `total` input tokens into read / written / uncached, updating the cache."""
        segs, bps = breakpoints(body)
        if not bps:
            return CacheUsage(input_tokens=total)
        prefix: list[int] = []
        running = 0
        hasher = hashlib.sha256(model.id.encode())
        keys: list[str] = []
        for seg in segs:
            running += seg.tokens
            prefix.append(running)
            hasher.update(b"\x00" + seg.key.encode())
            keys.append(hasher.copy().hexdigest())
        now = self.clock()
        with self._lock:
            self._sweep(now)
            # Longest unexpired cached prefix at a breakpoint or up to LOOKBACK blocks before it.
            hit_idx, hit_ttl = -1, "5m"
            for idx, ttl_name in bps:
                for pos in range(idx, max(-1, idx - LOOKBACK - 1), -1):
                    exp = self._expires.get(keys[pos])
                    if (
                        exp is not None
                        and exp > now
                        and pos > hit_idx
                        and prefix[pos] >= model.cache_min_tokens
                    ):
                        hit_idx, hit_ttl = pos, ttl_name
                        break
            usage = CacheUsage(input_tokens=0)
            done = 0
            if hit_idx >= 0:
                usage.cache_read = prefix[hit_idx]
                done = prefix[hit_idx]
                if write:
                    ttl_name = self._ttls.get(keys[hit_idx], hit_ttl)
                    self._expires[keys[hit_idx]] = now + TTL_SECONDS[ttl_name]
            for idx, ttl_name in bps:
                if idx <= hit_idx or prefix[idx] < model.cache_min_tokens or prefix[idx] <= done:
                    continue
                if ttl_name == "1h":
                    usage.cache_creation_1h += prefix[idx] - done
                else:
                    usage.cache_creation_5m += prefix[idx] - done
                done = prefix[idx]
                if write:
                    self._expires[keys[idx]] = now + TTL_SECONDS[ttl_name]
                    self._ttls[keys[idx]] = ttl_name
        usage.input_tokens = total - usage.cache_read - usage.cache_creation
        assert usage.input_tokens >= REQUEST_TOKENS
        return usage
