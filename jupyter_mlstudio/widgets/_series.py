"""A metric series as the widget holds it: every point in growing numpy arrays, and a
downsampled copy for the chart.

The chart never gets more than ``max_points`` points: each of ``max_points // 2`` equal-count
buckets keeps its lowest and highest value, so a spike survives downsampling (the studio's
series route does the same). This one is vectorised because a live widget re-downsamples
every time points arrive, and 100,000 points must take milliseconds, not a tenth of a second.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import numpy as np

__all__ = ["CHART_POINTS", "SeriesBuffer", "downsample", "gc_paused"]

CHART_POINTS = 2000


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector around a bulk read.

    Reading 100,000 points makes some 100,000 short-lived rows, which trigger collections that
    walk the whole heap (a kernel's heap is large); pausing them for the read halves its CPU
    time. Nothing the read makes is cyclic, so nothing waits longer to be freed.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def downsample(
    steps: np.ndarray, values: np.ndarray, max_points: int = CHART_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """About ``max_points`` points (two more at most): the min and max of each bucket, in
    logged order, and always the newest point."""
    n = len(values)
    if n <= max_points:
        return steps, values
    buckets = max(1, max_points // 2)
    size = n // buckets
    body = buckets * size
    # Equal buckets over the first ``body`` points; the few left over give their lowest
    # point, and the newest point is always drawn (a live chart ends where the run is).
    grid = values[:body].reshape(buckets, size)
    lo = np.nanargmin(np.where(np.isnan(grid), np.inf, grid), axis=1)
    hi = np.nanargmax(np.where(np.isnan(grid), -np.inf, grid), axis=1)
    base = np.arange(buckets) * size
    idx = np.concatenate([base + np.minimum(lo, hi), base + np.maximum(lo, hi)])
    if body < n:
        idx = np.concatenate(
            [idx, [body + int(np.argmin(np.nan_to_num(values[body:], nan=np.inf)))]]
        )
    idx = np.concatenate([idx, [n - 1]])
    idx = np.unique(idx)  # sorted: logged order, and a flat bucket's one point once
    return steps[idx], values[idx]


class SeriesBuffer:
    """Steps and values of one metric, appended to as the run logs."""

    __slots__ = ("_n", "_steps", "_values", "key", "total_logged", "truncated")

    def __init__(
        self,
        key: str,
        steps: Sequence[int] = (),
        values: Sequence[float | None] = (),
        *,
        total_logged: int | None = None,
    ) -> None:
        self.key = key
        s = np.asarray(steps, dtype=np.int64)
        v = np.array(values, dtype=np.float64)  # None becomes NaN (a gap in the line)
        capacity = max(64, len(s) * 2)
        self._steps = np.empty(capacity, dtype=np.int64)
        self._values = np.empty(capacity, dtype=np.float64)
        self._n = len(s)
        self._steps[: self._n] = s
        self._values[: self._n] = v
        # How many points the run logged, when the store sent fewer (already downsampled).
        self.total_logged = max(total_logged or 0, self._n)
        self.truncated = self.total_logged > self._n

    def __len__(self) -> int:
        return self._n

    @property
    def last_step(self) -> int | None:
        return int(self._steps[self._n - 1]) if self._n else None

    @property
    def steps(self) -> np.ndarray:
        return self._steps[: self._n]

    @property
    def values(self) -> np.ndarray:
        return self._values[: self._n]

    def extend(self, steps: Sequence[int], values: Sequence[float | None]) -> int:
        """Append the points newer than the last step held; returns how many were new.

        A point at or before the last step is one the initial read already had (the live
        feed starts just before it), so it is skipped.
        """
        last = self.last_step
        fresh = [
            (s, np.nan if v is None else v)
            for s, v in zip(steps, values, strict=True)
            if last is None or s > last
        ]
        if not fresh:
            return 0
        need = self._n + len(fresh)
        if need > len(self._steps):
            capacity = max(need, len(self._steps) * 2)
            self._steps = np.resize(self._steps, capacity)
            self._values = np.resize(self._values, capacity)
        self._steps[self._n : need] = [p[0] for p in fresh]
        self._values[self._n : need] = [p[1] for p in fresh]
        self._n = need
        self.total_logged += len(fresh)
        return len(fresh)

    def chart_points(self, max_points: int = CHART_POINTS) -> tuple[np.ndarray, np.ndarray]:
        """What the chart draws: at most ``max_points`` points."""
        return downsample(self.steps, self.values, max_points)
