"""Run one notebook step: ``python -m jupyter_mlstudio.pipeline._notebook_job NB OUT PARAMS``.

Papermill executes ``NB`` into ``OUT`` (under ``outputs/``, so it is kept with the step run)
with ``PARAMS`` (JSON) injected; the source notebook is never written. A failing cell's
index, error name, value and traceback go to ``$MLSTUDIO_ERROR_FILE`` for the run's error.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    import nbformat
    import papermill
    from papermill.exceptions import PapermillExecutionError

    notebook, output, params_json = (argv if argv is not None else sys.argv[1:])[:3]
    parameters = json.loads(params_json)
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


if __name__ == "__main__":
    sys.exit(main())
