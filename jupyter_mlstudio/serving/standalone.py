"""Serve a score.py on a port of its own, without a workspace or a supervisor.

What a container built by ``Model.package`` runs::

    python -m jupyter_mlstudio.serving.standalone --source-dir /var/azureml-app/app \\
        --entry-script score.py --port 5001

``AZUREML_MODEL_DIR`` must point at the model files. Key auth is on when the
``MLSTUDIO_SCORING_KEY`` variable holds a key (only its digest is kept), off otherwise.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    """Load a score.py and serve it until the process is stopped.

    Parameters
    ----------
    argv : list of str, optional
        The command line after the program name (``--source-dir``, ``--entry-script``,
        ``--host``, ``--port``, ``--name``, ``--max-body-bytes``); ``sys.argv[1:]`` if None.

    Returns
    -------
    int
        0 once the server has stopped. An ``init()`` that raises ends the process with
        its traceback.
    """
    parser = argparse.ArgumentParser(prog="python -m jupyter_mlstudio.serving.standalone")
    parser.add_argument("--source-dir", required=True)
    parser.add_argument("--entry-script", default="score.py")
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=5001)
    parser.add_argument("--name", default="model-package")
    parser.add_argument("--max-body-bytes", type=int, default=8 * 1024 * 1024)
    args = parser.parse_args(argv)

    source = str(Path(args.source_dir).resolve())
    os.chdir(source)
    sys.path.insert(0, source)
    if "AZUREML_MODEL_DIR" in os.environ:
        os.environ.setdefault("MLSTUDIO_MODEL_DIR", os.environ["AZUREML_MODEL_DIR"])
    keys_file = Path(tempfile.mkdtemp(prefix="mlstudio-keys-")) / "keys.json"
    key = os.environ.pop("MLSTUDIO_SCORING_KEY", "")
    digests = [hashlib.sha256(key.encode()).hexdigest()] if key else []
    keys_file.write_text(json.dumps({"auth_enabled": bool(key), "digests": digests}))

    import uvicorn

    from jupyter_mlstudio.serving.app import build_app
    from jupyter_mlstudio.serving.auth import KeyChecker
    from jupyter_mlstudio.serving.protocol import NoDelayHttpToolsProtocol
    from jupyter_mlstudio.serving.scoring import ScoringService

    service = ScoringService.load(os.path.join(source, args.entry_script))
    app = build_app(
        service,
        endpoint=args.name,
        deployment="default",
        keys=KeyChecker(keys_file),
        max_body_bytes=args.max_body_bytes,
    )
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http=NoDelayHttpToolsProtocol,
        lifespan="off",
        access_log=False,
        log_level="warning",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
