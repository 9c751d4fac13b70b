"""The batch scoring process: ``python -m jupyter_mlstudio.serving.batch JOB_DIR``.

Scores ``JOB_DIR/input.parquet`` (a tabular dataset) or the files listed in
``JOB_DIR/job.json`` (a file dataset) in mini-batches with a score.py, writing one Parquet
file per mini-batch under ``JOB_DIR/parts/``. A part is written under a temporary name and
renamed, so a part that exists is whole; a second run skips the parts that exist, which
makes a failed job resumable. Two contracts for ``run``:

- ``json`` (the real-time one): ``run('{"data": [[...], ...]}')`` returns one prediction per
  row; the part holds the input columns and a ``prediction`` column.
- ``mini_batch`` (ParallelRunStep's): ``run(mini_batch)`` gets a DataFrame (tabular) or a list
  of file paths (file dataset) and returns a list (one item per row or file) or a DataFrame.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from pathlib import Path
from typing import Any


def part_name(index: int) -> str:
    """The file name of mini-batch ``index``'s output part under ``JOB_DIR/parts/``.

    Parameters
    ----------
    index : int
        The mini-batch's position, from 0.

    Returns
    -------
    str
        For example ``part-00003.parquet``; names sort in mini-batch order.
    """
    return f"part-{index:05d}.parquet"


def _as_frame(result: Any, count: int, base: Any) -> Any:
    import pandas as pd

    if isinstance(result, pd.DataFrame):
        return result.reset_index(drop=True)
    if hasattr(result, "tolist"):
        result = result.tolist()
    if isinstance(result, str):
        result = json.loads(result)
    if not isinstance(result, list) or len(result) != count:
        got = len(result) if isinstance(result, list) else type(result).__name__
        raise ValueError(f"run() must return one prediction per row or file ({count}), not {got}")
    out = base.copy()
    out["prediction"] = [json.dumps(v) if isinstance(v, (list, dict)) else v for v in result]
    return out


def main(argv: list[str]) -> int:
    """Score a batch job in mini-batches, one Parquet part each, skipping parts that exist.

    Sets ``AZUREML_MODEL_DIR`` (and ``MLSTUDIO_MODEL_DIR``) to the job's model folder, moves
    into its source folder, imports the score.py and calls its ``init()`` once, then calls
    ``run`` per mini-batch under the job's contract (see the module docstring).

    Parameters
    ----------
    argv : list of str
        ``[JOB_DIR]``, the folder holding ``job.json`` and the input.

    Returns
    -------
    int
        0 when every mini-batch has its part; 1 when the script or a mini-batch failed: the
        error is written to ``JOB_DIR/error.txt`` and the traceback to stderr, and the parts
        written so far are kept for a second run.
    """
    job_dir = Path(argv[0])
    job = json.loads((job_dir / "job.json").read_text())
    os.environ["AZUREML_MODEL_DIR"] = job["model_dir"]
    os.environ["MLSTUDIO_MODEL_DIR"] = job["model_dir"]
    os.chdir(job["source_dir"])
    sys.path.insert(0, job["source_dir"])
    import importlib.util

    import pandas as pd

    parts = job_dir / "parts"
    parts.mkdir(exist_ok=True)
    try:
        path = Path(job["source_dir"]) / job["entry_script"]
        spec = importlib.util.spec_from_file_location(path.stem, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[path.stem] = module
        spec.loader.exec_module(module)
        if callable(getattr(module, "init", None)):
            module.init()
        size = int(job["mini_batch_size"])
        if job["kind"] == "tabular":
            import pyarrow.parquet as pq

            batches = (
                b.to_pandas() for b in pq.ParquetFile(job_dir / "input.parquet").iter_batches(size)
            )
        else:
            files = list(job["files"])
            batches = (
                pd.DataFrame({"file": files[i : i + size]}) for i in range(0, len(files), size)
            )
        for index, frame in enumerate(batches):
            target = parts / part_name(index)
            if target.exists():
                continue  # done by an earlier try
            if job["contract"] == "json":
                rows = frame.to_numpy().tolist()
                result = module.run(json.dumps({"data": rows}))
            elif job["kind"] == "tabular":
                result = module.run(frame)
            else:
                result = module.run(list(frame["file"]))
            out = _as_frame(result, len(frame), frame)
            tmp = parts / f".{target.name}.{os.getpid()}.tmp"
            out.to_parquet(tmp, index=False)
            os.replace(tmp, target)
            print(f"mini-batch {index} done ({len(frame)} rows)", flush=True)
    except Exception as exc:
        traceback.print_exc()
        (job_dir / "error.txt").write_text(f"{type(exc).__name__}: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
