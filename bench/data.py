"""Datasets benchmark: fingerprinting, reading and profiling big files.

1. Register a ~1 GB CSV from a local datastore: our content fingerprint against `sha256sum`
   on the same file (goal: near disk speed), and the whole registration (fingerprint + profile).
2. `to_pandas_dataframe()` against plain `pandas.read_csv` on the same file (goal: no slower).
3. Profile of 10 million rows (goal: under 10 s).

Run with `make bench`; BENCH_DATA_GB changes the file size.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pcsv

os.environ.setdefault("MLSTUDIO_HOME", tempfile.mkdtemp(prefix="bench-home-"))

from jupyter_mlstudio.core import Dataset, Workspace
from jupyter_mlstudio.data._fingerprint import fingerprint
from jupyter_mlstudio.data.datapath import expand
from jupyter_mlstudio.data.profile import profile_table

GB = float(os.environ.get("BENCH_DATA_GB", "1"))


def _table(rows: int, seed: int = 0) -> pa.Table:
    rng = np.random.default_rng(seed)
    return pa.table(
        {
            "id": np.arange(rows),
            "alcohol": rng.normal(10, 1, rows).round(3),
            "acidity": rng.normal(0.5, 0.1, rows).round(4),
            "sugar": rng.gamma(2, 2, rows).round(3),
            "quality": rng.integers(3, 9, rows),
            "color": rng.choice(np.array(["red", "white", "rose"]), rows),
        }
    )


def _write_csv(path: Path, target_bytes: float) -> int:
    """Append 1M-row chunks until the file is about ``target_bytes``; returns rows."""
    rows = 0
    with pa.OSFile(str(path), "wb") as sink:
        writer = None
        while sink.tell() < target_bytes:
            chunk = _table(1_000_000, seed=rows)
            if writer is None:
                writer = pcsv.CSVWriter(sink, chunk.schema)
            writer.write_table(chunk)
            rows += chunk.num_rows
        if writer is not None:
            writer.close()
    return rows


def _timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> int:
    folder = Path(tempfile.mkdtemp(prefix="bench-data-"))
    ws = Workspace.create(name="bench", path=folder, show_output=False)
    ds = ws.get_default_datastore()
    root = Path(ds._store.root) / "big"
    root.mkdir(parents=True)
    csv = root / "wine.csv"
    write_s, rows = _timed(lambda: _write_csv(csv, GB * 1e9))
    size = csv.stat().st_size
    print(f"wrote {size / 1e9:.2f} GB, {rows:,} rows in {write_s:.1f} s")
    subprocess.run(["sync"], check=False)

    dataset = Dataset.Tabular.from_delimited_files((ds, "big/wine.csv"), validate=False)
    files = expand(ws, dataset._definition["sources"])
    # Warm the page cache once so both hashers read from memory, as a second read would.
    subprocess.run(["cat", str(csv)], stdout=subprocess.DEVNULL, check=True)
    sha_s, _ = _timed(
        lambda: subprocess.run(["sha256sum", str(csv)], check=True, capture_output=True)
    )
    ours_fp_s, _ = _timed(lambda: fingerprint(dataset._definition, files))
    register_s, registered = _timed(lambda: dataset.register(ws, "big"))
    pandas_s, frame_pd = _timed(lambda: pd.read_csv(csv))
    ours_read_s, frame_ours = _timed(lambda: registered.to_pandas_dataframe())
    assert len(frame_pd) == len(frame_ours) == rows, "row counts differ"
    del frame_pd, frame_ours

    table = _table(10_000_000, seed=1)
    profile_s, profile = _timed(lambda: profile_table(table))
    assert profile["rows"] == 10_000_000

    def ratio(a: float, b: float) -> str:
        return f"{a / b:.2f}x"

    lines = [
        "| benchmark | jupyter_mlstudio | peer | ours / peer | goal |",
        "|---|---|---|---|---|",
        f"| fingerprint of {size / 1e9:.2f} GB CSV | {ours_fp_s:.2f} s "
        f"({size / ours_fp_s / 1e9:.2f} GB/s) | sha256sum {sha_s:.2f} s "
        f"({size / sha_s / 1e9:.2f} GB/s) | {ratio(ours_fp_s, sha_s)} | near disk speed: "
        f"{'yes' if ours_fp_s <= 1.25 * sha_s else 'no'} |",
        f"| register (fingerprint + profile of {rows:,} rows) | {register_s:.2f} s | - | - | - |",
        f"| to_pandas_dataframe | {ours_read_s:.2f} s | pandas.read_csv {pandas_s:.2f} s | "
        f"{ratio(ours_read_s, pandas_s)} | no slower: "
        f"{'yes' if ours_read_s <= pandas_s else 'no'} |",
        f"| profile of 10,000,000 rows x 6 columns | {profile_s:.2f} s | - | - | under 10 s: "
        f"{'yes' if profile_s < 10 else 'no'} |",
    ]
    print("\n".join(lines))
    print(
        f"\nprofile sample: {profile['sample_rows']:,} of {profile['rows']:,} rows for top "
        "values and histograms; exact counts, min/max/mean/std and distinct counts"
    )
    csv.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
