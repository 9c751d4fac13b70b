"""Dataset profiles: what a person wants to see before using data.

Counts, types, missing share, min/max/mean/std and distinct counts come from the whole
table (Arrow compute kernels); top values and histograms from a bounded random sample,
whose size the profile states.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pyarrow as pa

SAMPLE_ROWS = 1_000_000
TOP_VALUES = 10
BINS = 20


def profile_table(table: pa.Table, *, seed: int = 0) -> dict[str, Any]:
    """Profile a table: per-column counts, types and statistics.

    What :attr:`TabularDataset.profile` holds, computed on registration. Counts, missing
    values (NaN counts as missing in float columns), distinct counts, min/max/mean/std are
    over the whole table; histograms (20 bins, numeric columns) and the 10 most common
    values (non-float columns) are over a random sample of at most 1,000,000 rows.

    Parameters
    ----------
    table : pyarrow.Table
        The data.
    seed : int
        Seed of the row sample, so a profile is the same each time.

    Returns
    -------
    dict
        ``rows``, ``column_count``, ``sample_rows``, ``sampled`` (whether a sample was
        used) and ``columns``: per column ``name``, ``type``, ``missing``,
        ``missing_share``, ``distinct`` and, where they apply, ``min``, ``max``, ``mean``,
        ``std``, ``histogram`` (``counts``, ``edges``) and ``top_values``.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    rows = table.num_rows
    if rows > SAMPLE_ROWS:
        picks = np.sort(np.random.default_rng(seed).choice(rows, SAMPLE_ROWS, replace=False))
        sample = table.take(pa.array(picks))
    else:
        sample = table
    columns = []
    for name in table.column_names:
        column = table.column(name)
        kind = column.type
        missing = column.null_count
        entry: dict[str, Any] = {
            "name": name,
            "type": str(kind),
            "missing": missing,
            "missing_share": (missing / rows) if rows else 0.0,
        }
        if pa.types.is_floating(kind):
            # NaN counts as missing too, as pandas users expect
            nan = pc.sum(pc.is_nan(column)).as_py() or 0
            entry["missing"] += nan
            entry["missing_share"] = entry["missing"] / rows if rows else 0.0
        try:
            entry["distinct"] = pc.count_distinct(column).as_py()
        except pa.ArrowNotImplementedError:
            entry["distinct"] = None
        if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind):
            numeric = column if not pa.types.is_boolean(kind) else pc.cast(column, pa.int8())
            stats = pc.min_max(numeric)
            entry.update(
                min=_py(stats["min"]),
                max=_py(stats["max"]),
                mean=_py(pc.mean(numeric)),
                std=_py(pc.stddev(numeric, ddof=1)),
            )
            values = sample.column(name).to_numpy(zero_copy_only=False).astype("float64")
            values = values[np.isfinite(values)]
            if values.size:
                counts, edges = np.histogram(values, bins=BINS)
                entry["histogram"] = {"counts": counts.tolist(), "edges": edges.tolist()}
        elif pa.types.is_timestamp(kind) or pa.types.is_date(kind):
            stats = pc.min_max(column)
            entry.update(min=str(stats["min"].as_py()), max=str(stats["max"].as_py()))
        if not (pa.types.is_floating(kind)):
            counts = pc.value_counts(sample.column(name).drop_null())
            top = sorted(counts.to_pylist(), key=lambda c: -c["counts"])[:TOP_VALUES]
            entry["top_values"] = [
                {"value": _py_value(c["values"]), "count": c["counts"]} for c in top
            ]
        columns.append(entry)
    return {
        "rows": rows,
        "columns": columns,
        "column_count": len(table.column_names),
        "sample_rows": sample.num_rows,
        "sampled": sample.num_rows < rows,
    }


def schema_change(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any] | None:
    """Columns added, dropped and retyped between two profiles (None when unchanged)."""
    if not old or not new:
        return None
    before = {c["name"]: c["type"] for c in old.get("columns", [])}
    after = {c["name"]: c["type"] for c in new.get("columns", [])}
    change = {
        "added": [c for c in after if c not in before],
        "dropped": [c for c in before if c not in after],
        "retyped": {
            c: [before[c], after[c]] for c in after if c in before and before[c] != after[c]
        },
    }
    return change if any(change.values()) else None


def _py(scalar: Any) -> Any:
    value = scalar.as_py() if hasattr(scalar, "as_py") else scalar
    if isinstance(value, float) and value != value:  # NaN
        return None
    return value


def _py_value(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
