"""A scoring worker process.

``python -m jupyter_mlstudio.serving.worker RUNTIME_DIR DEPLOYMENT FD STATUS_FD``

Runs one deployment's score.py: sets ``AZUREML_MODEL_DIR`` (and ``MLSTUDIO_MODEL_DIR``),
moves into the source folder, imports the script and calls ``init()`` once, then serves the
listening socket inherited as ``FD`` with uvicorn (httptools, uvloop when installed). It
tells the supervisor through ``STATUS_FD`` whether ``init()`` worked: one JSON line.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
import traceback


def _report(status_fd: int, **status: object) -> None:
    try:
        os.write(status_fd, (json.dumps(status) + "\n").encode())
        os.close(status_fd)
    except OSError:
        pass  # the supervisor is gone; our own exit will be noticed


def main(argv: list[str]) -> int:
    """Run one scoring worker of a deployment until the supervisor stops it.

    The supervisor starts it (and it dies with the supervisor). It loads the deployment's
    score.py and calls ``init()`` once, tells the supervisor on ``STATUS_FD`` with one JSON
    line (``{"ok": true, "pid": ...}``, or ``ok`` false with the error and traceback), then
    serves the inherited socket until SIGTERM, taking connections fairly with the
    deployment's other workers.

    Parameters
    ----------
    argv : list of str
        ``[RUNTIME_DIR, DEPLOYMENT, FD, STATUS_FD]``: the endpoint's runtime folder, the
        deployment's name, the listening socket's descriptor and the write end of the
        status pipe.

    Returns
    -------
    int
        0 after serving, 3 if loading the script or its ``init()`` failed.
    """
    runtime_dir, deployment, fd, status_fd = argv[0], argv[1], int(argv[2]), int(argv[3])
    from jupyter_mlstudio.serving.spec import EndpointSpec, die_with_parent

    die_with_parent()

    spec = EndpointSpec.load(runtime_dir)
    dep = spec.deployment(deployment)
    os.environ.update(dep.env)
    os.environ["AZUREML_MODEL_DIR"] = dep.model_dir
    os.environ["MLSTUDIO_MODEL_DIR"] = dep.model_dir
    os.chdir(dep.source_dir)
    sys.path.insert(0, dep.source_dir)
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s {deployment}[{os.getpid()}] %(levelname)s %(message)s",
        stream=sys.stderr,
    )
    log = logging.getLogger("jupyter_mlstudio.serving")
    log.info("loading %s (AZUREML_MODEL_DIR=%s)", dep.entry_script, dep.model_dir)
    try:
        from jupyter_mlstudio.serving.scoring import ScoringService

        service = ScoringService.load(
            os.path.join(dep.source_dir, dep.entry_script), sample_input=dep.sample_input
        )
    except BaseException as exc:
        text = traceback.format_exc()
        log.error("init() failed:\n%s", text)
        _report(status_fd, ok=False, error=f"{type(exc).__name__}: {exc}", traceback=text)
        return 3

    import uvicorn

    from jupyter_mlstudio.serving.accept import BalancedServer
    from jupyter_mlstudio.serving.app import build_app
    from jupyter_mlstudio.serving.auth import KeyChecker
    from jupyter_mlstudio.serving.protocol import NoDelayHttpToolsProtocol

    app = build_app(
        service,
        endpoint=spec.name,
        deployment=deployment,
        keys=KeyChecker(spec.keys_file),
        max_body_bytes=spec.max_body_bytes,
    )
    config = uvicorn.Config(
        app,
        http=NoDelayHttpToolsProtocol,
        loop="auto",
        lifespan="off",
        access_log=False,  # an access log would cost time per request; keys are never logged
        log_level="warning",
        timeout_graceful_shutdown=30,
        server_header=False,
    )
    # socket(fileno=...) asks the kernel for the real family (AF_INET), unlike uvicorn's fd=.
    sock = socket.socket(fileno=fd)
    server = BalancedServer(config, sock, siblings=dep.workers > 1)
    log.info("init() done; serving")
    _report(status_fd, ok=True, pid=os.getpid())
    server.run(sockets=[sock])
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
