"""Real-time endpoints: the scoring server and the processes that run it.

Layout, from the request inwards::

    supervisor.py   one process per endpoint: holds the listening socket, starts and swaps
                    worker processes (zero-downtime update), restarts a worker that dies
    worker.py       one uvicorn server process running one deployment's score.py
    app.py          the Starlette routes (/score, health, swagger.json, metrics), thin
    scoring.py      the framework-free core: load score.py, init(), run() per request
    schema.py       inference-schema style decorators and sample-input validation
    swagger.py      OpenAPI (swagger 2.0) document from a schema or a sample input
    auth.py         Bearer key checks against SHA-256 digests; keys.py makes and seals keys
    metrics.py      Prometheus counters and a latency histogram
    process.py      what the SDK uses to start, signal, watch and stop a supervisor

Importing this package imports nothing else: the worker's cold start stays short.
"""
