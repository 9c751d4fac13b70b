"""Batch scoring: a registered dataset scored with a score.py, the result a new dataset.

``model.batch_score(dataset, output_datastore, inference_config=...)`` runs the scoring
script in a child process (never in the caller's) over mini-batches, with a progress bar, and
registers the predictions as a new version of a tabular dataset. A job is named by what it
scores (models, dataset version, script, batch size, contract): calling again after a failure
resumes it, skipping the mini-batches already done.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING

from jupyter_mlstudio.errors import MlStudioError, ValidationError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.datastore import Datastore
    from jupyter_mlstudio.core.model import InferenceConfig, Model
    from jupyter_mlstudio.data.abstract_dataset import AbstractDataset

__all__ = ["BatchScoringError", "batch_score"]


class BatchScoringError(MlStudioError):
    """The scoring script failed during a batch job; ``done`` of ``total`` mini-batches are
    kept, and calling ``batch_score`` again resumes from there."""


def _job_id(
    models: Sequence[Model],
    dataset: AbstractDataset,
    inference: InferenceConfig,
    size: int,
    contract: str,
) -> str:
    h = hashlib.sha256()
    h.update(json.dumps(sorted(m.id for m in models)).encode())
    h.update(json.dumps(dataset._definition, sort_keys=True, default=str).encode())
    h.update(str(getattr(dataset, "id", "")).encode())
    h.update(inference.entry_script_path.read_bytes())
    h.update(f"{size}:{contract}".encode())
    return h.hexdigest()[:16]


def batch_score(
    models: Sequence[Model],
    dataset: AbstractDataset,
    inference_config: InferenceConfig,
    output_datastore: Datastore | None = None,
    output_name: str | None = None,
    mini_batch_size: int = 1000,
    contract: str = "json",
    show_progress: bool = True,
) -> AbstractDataset:
    """Score a dataset in mini-batches and register the predictions as a dataset.

    The engine behind :meth:`Model.batch_score` (Azure ML v1 did this with a
    ParallelRunStep pipeline; here it is one call, no cluster). The score.py runs in a child
    process over mini-batches while a tqdm bar counts them. The job is named by what it
    scores, so calling again after a failure resumes, skipping finished mini-batches.

    Parameters
    ----------
    models : sequence of Model
        The models the script loads (``AZUREML_MODEL_DIR``); the first gives the workspace.
    dataset : TabularDataset or FileDataset
        What to score.
    inference_config : InferenceConfig
        The scoring script (``init()`` and ``run()``) and its source folder.
    output_datastore : Datastore, optional
        Where the prediction files go; the workspace's default datastore when not given.
    output_name : str, optional
        The name the predictions are registered under; ``<dataset name>-scored`` by default.
    mini_batch_size : int
        Rows (tabular) or files (file dataset) per call of ``run()``.
    contract : {'json', 'mini_batch'}
        ``json`` calls ``run('{"data": rows}')`` as an endpoint would (tabular only);
        ``mini_batch`` calls ``run(DataFrame)`` or ``run([file paths])``.
    show_progress : bool
        Show the progress bar.

    Returns
    -------
    TabularDataset
        The new version of the predictions dataset (Parquet files on ``output_datastore``).

    Raises
    ------
    ValidationError
        A bad ``contract`` or ``mini_batch_size``, a dataset that is neither tabular nor file,
        or a file dataset with ``contract='json'``.
    BatchScoringError
        The script failed; the mini-batches done so far are kept for the next call.
    """
    from jupyter_mlstudio.core.webservice import _deploy, _files
    from jupyter_mlstudio.data.dataset_factory import TabularDatasetFactory
    from jupyter_mlstudio.data.file_dataset import FileDataset
    from jupyter_mlstudio.data.tabular_dataset import TabularDataset

    if contract not in ("json", "mini_batch"):
        raise ValidationError(f"contract must be 'json' or 'mini_batch', not {contract!r}.")
    if int(mini_batch_size) < 1:
        raise ValidationError(f"mini_batch_size must be at least 1, not {mini_batch_size!r}.")
    ws = models[0].workspace
    if isinstance(dataset, FileDataset):
        kind = "file"
        if contract == "json":
            raise ValidationError(
                "A file dataset is scored with contract='mini_batch' (run gets file paths)."
            )
    elif isinstance(dataset, TabularDataset):
        kind = "tabular"
    else:
        raise ValidationError(
            f"batch_score needs a TabularDataset or FileDataset, not {dataset!r}."
        )
    job_id = _job_id(models, dataset, inference_config, int(mini_batch_size), contract)
    job_dir = ws.path / ".mlstudio" / "batch" / job_id
    job_dir.mkdir(parents=True, exist_ok=True)
    files: list[str] = []
    if kind == "tabular":
        if not (job_dir / "input.parquet").exists():
            tmp = job_dir / ".input.parquet.tmp"
            dataset.to_pandas_dataframe().to_parquet(tmp, index=False)  # type: ignore[attr-defined]
            os.replace(tmp, job_dir / "input.parquet")
        import pyarrow.parquet as pq

        rows = pq.ParquetFile(job_dir / "input.parquet").metadata.num_rows
    else:
        local = job_dir / "input_files"
        if not local.exists():
            dataset.download(str(job_dir / ".input_files.tmp"), overwrite=True)  # type: ignore[attr-defined]
            os.replace(job_dir / ".input_files.tmp", local)
        files = sorted(str(p) for p in local.rglob("*") if p.is_file())
        rows = len(files)
    total = max(1, math.ceil(rows / int(mini_batch_size))) if rows else 0
    dep = _files.prepare_deployment(
        job_dir, 1, "batch", list(models), inference_config.to_dict(), 1
    )
    (job_dir / "job.json").write_text(
        json.dumps(
            {
                "source_dir": dep.source_dir,
                "entry_script": dep.entry_script,
                "model_dir": dep.model_dir,
                "kind": kind,
                "files": files,
                "mini_batch_size": int(mini_batch_size),
                "contract": contract,
            }
        )
    )
    parts = job_dir / "parts"
    log_path = job_dir / "batch.log"
    (job_dir / "error.txt").unlink(missing_ok=True)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_mlstudio.serving.batch", str(job_dir)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **dep.env, "PYTHONUNBUFFERED": "1"},
        )
    bar = None
    if show_progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=f"batch scoring {dataset.name or 'dataset'}", unit="batch")
    try:
        while True:
            done = len(list(parts.glob("part-*.parquet"))) if parts.exists() else 0
            if bar is not None:
                bar.update(done - bar.n)
            if proc.poll() is not None:
                break
            time.sleep(0.1)
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
        if bar is not None:
            bar.close()
    done = len(list(parts.glob("part-*.parquet"))) if parts.exists() else 0
    if proc.returncode != 0:
        error = (job_dir / "error.txt").read_text() if (job_dir / "error.txt").exists() else ""
        raise BatchScoringError(
            f"Batch scoring stopped after {done} of {total} mini-batches: {error}",
            hint=f"Fix the cause and call batch_score again to resume; the log is {log_path}.",
            done=done,
            total=total,
            log=str(log_path),
        )
    datastore = output_datastore or ws.get_default_datastore()
    name = output_name or f"{dataset.name or 'dataset'}-scored"
    prefix = f"batch-scoring/{name}/{job_id}"
    for part in sorted(parts.glob("part-*.parquet")):
        datastore._store.put_bytes(part.read_bytes(), f"{prefix}/{part.name}")
    scored = TabularDatasetFactory.from_parquet_files((datastore, f"{prefix}/*.parquet"))
    registered = scored.register(
        ws,
        name,
        description=f"Predictions of {', '.join(m.id for m in models)} for "
        f"{dataset.name or 'a dataset'}",
        tags={"models": ",".join(m.id for m in models), "job": job_id},
        create_new_version=True,
    )
    for model in models:
        ws._store.endpoints.audit(
            "batch_score",
            actor=_deploy.actor(),
            model_name=model.name,
            model_version=model.version,
            details={"dataset": dataset.name, "output": name, "job": job_id, "rows": rows},
        )
    shutil.rmtree(job_dir, ignore_errors=True)
    return registered
