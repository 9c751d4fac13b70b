"""Run one notebook step or notebook job:
``python -m jupyter_mlstudio.pipeline._notebook_job NB OUT PARAMS [--name value ...]``.

Papermill executes ``NB`` into ``OUT`` (under ``outputs/``, so it is kept with the run) with
``PARAMS`` (JSON) injected, and then the ``--name value`` pairs that follow (a job's
arguments, a sweep's sampled values: ``--max-depth 5`` sets ``max_depth = 5``); the source
notebook is never written. A failing cell's index, error name, value and traceback go to
``$MLSTUDIO_ERROR_FILE`` for the run's error.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    from jupyter_mlstudio.execution._imports import skip_slow_format_checkers

    skip_slow_format_checkers()
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    args = argv if argv is not None else sys.argv[1:]
    notebook, output, params_json = args[:3]
    try:
        parameters = {**json.loads(params_json), **parameters_from_arguments(args[3:])}
    except ValueError as exc:
        print(str(exc), file=sys.stderr, flush=True)
        return 2
    Path(output).parent.mkdir(parents=True, exist_ok=True)
    source = nbformat.read(notebook, as_version=4)
    if not any("parameters" in (c.get("metadata", {}).get("tags") or []) for c in source.cells):
        warnings.warn(
            f"{notebook} has no cell tagged 'parameters'; the parameters are injected at the top.",
            stacklevel=1,
        )
    # The step's kernel, else the notebook's own, else this environment's Python.
    kernel = (
        os.environ.get("MLSTUDIO_KERNEL")
        or source.metadata.get("kernelspec", {}).get("name")
        or "python3"
    )
    language = (
        source.metadata.get("kernelspec", {}).get("language")
        or source.metadata.get("language_info", {}).get("name")
        or "python"
    )
    print(f"Executing {notebook} with parameters {sorted(parameters)}", flush=True)
    try:
        papermill.execute_notebook(
            notebook,
            output,
            parameters=parameters,
            kernel_name=kernel,
            language=language,
            progress_bar=False,
            log_output=True,
            cwd=os.getcwd(),
        )
    except PapermillExecutionError as exc:
        error_file = os.environ.get("MLSTUDIO_ERROR_FILE")
        details = {
            "code": "NotebookCellError",
            "cellIndex": exc.cell_index,
            "executionCount": exc.exec_count,
            "ename": exc.ename,
            "evalue": exc.evalue,
            "traceback": [str(line) for line in exc.traceback][-20:],
            "message": f"Cell {exc.exec_count} of {Path(notebook).name} raised "
            f"{exc.ename}: {exc.evalue}",
        }
        if error_file:
            Path(error_file).write_text(json.dumps(details))
        print(details["message"], file=sys.stderr, flush=True)
        return 1
    print(f"Executed notebook saved as {output}", flush=True)
    return 0


def parameters_from_arguments(arguments: list[str]) -> dict[str, object]:
    """``["--max-depth", "5", "--kernel", "rbf"]`` -> ``{"max_depth": 5, "kernel": "rbf"}``:
    values that read as JSON (numbers, true/false, lists) keep their type."""
    if len(arguments) % 2:
        raise ValueError(
            f"A notebook's arguments come in '--name value' pairs; {arguments[-1]!r} has no value."
        )
    out: dict[str, object] = {}
    for flag, raw in zip(arguments[::2], arguments[1::2], strict=True):
        name = flag.lstrip("-").replace("-", "_")
        if not flag.startswith("-") or not name.isidentifier():
            raise ValueError(
                f"{flag!r} is not a parameter name: a notebook's arguments are "
                "'--name value' pairs, the name a Python identifier."
            )
        try:
            out[name] = json.loads(raw)
        except ValueError:
            out[name] = raw
    return out


if __name__ == "__main__":
    sys.exit(main())
