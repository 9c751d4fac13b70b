"""Metric series for charts: long series are cut into buckets that keep each bucket's lowest
and highest point, so a spike never disappears from a downsampled chart."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["DEFAULT_MAX_POINTS", "Series", "downsample"]

DEFAULT_MAX_POINTS = 2000


@dataclass(frozen=True)
class Series:
    """A metric series ready to chart.

    Attributes
    ----------
    key : str
        The metric's name.
    steps : list of int
    values : list of float
        Points without a value are left out.
    total : int
        Points with a value in the requested range, before downsampling.
    downsampled : bool
        Whether points were dropped to fit the limit.
    """

    key: str
    steps: list[int]
    values: list[float]
    total: int  # points in the requested range before downsampling
    downsampled: bool


def downsample(
    key: str, steps: Sequence[int], values: Sequence[float | None], max_points: int
) -> Series:
    """At most ``max_points`` points of a series: min and max of each of ``max_points // 2``
    equal-count buckets, in logged order; short series come back whole."""
    if len(values) <= max_points and None not in values:
        # Whole and without gaps (the common case, and what RunDetails reads): no pairs,
        # which for 100,000 points cost more than the database read.
        return Series(key, list(steps), [float(v) for v in values], len(values), False)  # type: ignore[arg-type]
    pairs = [(s, v) for s, v in zip(steps, values, strict=True) if v is not None]
    n = len(pairs)
    if n <= max_points:
        return Series(key, [p[0] for p in pairs], [float(p[1]) for p in pairs], n, False)
    step_arr = np.fromiter((p[0] for p in pairs), dtype=np.int64, count=n)
    value_arr = np.fromiter((p[1] for p in pairs), dtype=np.float64, count=n)
    buckets = max(1, max_points // 2)
    edges = np.linspace(0, n, buckets + 1).astype(np.int64)
    keep: list[int] = []
    for lo, hi in itertools.pairwise(edges.tolist()):
        if hi <= lo:
            continue
        chunk = value_arr[lo:hi]
        a, b = lo + int(np.argmin(chunk)), lo + int(np.argmax(chunk))
        keep.extend((a, b) if a <= b else (b, a))
        if a == b:
            keep.pop()
    idx = np.asarray(keep, dtype=np.int64)
    return Series(key, step_arr[idx].tolist(), value_arr[idx].tolist(), n, True)
