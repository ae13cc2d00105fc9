"""A progress bar for a job: rows done of all, counts by state, elapsed time.

`tqdm.auto` picks a widget bar in JupyterLab and a text bar in a terminal. Updates are
throttled here (at most `MIN_INTERVAL` apart, plus the last one), so a fast job does not
flood the kernel's iopub channel with widget messages.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

MIN_INTERVAL = 0.25
"""Seconds between two redraws at least (the final state is always drawn)."""


class Progress:
    def __init__(self, total: int, what: str, enabled: bool = True) -> None:
        self._bar: Any = None
        self._last = 0.0
        if enabled:
            from tqdm.auto import tqdm

            self._bar = tqdm(
                total=total,
                desc=what,
                unit="row",
                mininterval=MIN_INTERVAL,
                smoothing=0,
                dynamic_ncols=True,
                leave=True,
            )

    def update(self, done: int, counts: Mapping[str, int], *, force: bool = False) -> None:
        """Show `done` rows finished and the counts by state (zero counts left out)."""
        bar = self._bar
        if bar is None:
            return
        now = time.monotonic()
        if not force and now - self._last < MIN_INTERVAL:
            return
        self._last = now
        bar.n = done
        bar.set_postfix({k: v for k, v in counts.items() if v}, refresh=False)
        bar.refresh()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
