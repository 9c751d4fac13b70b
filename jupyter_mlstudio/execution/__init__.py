"""Running user code away from the caller: job launch, the job supervisor, liveness checks.

Nothing here runs user code in the calling process: a job is a supervisor process that
starts the user's script as its own child, streams its output to the run's logs, heartbeats,
uploads ``outputs/`` and records the final status.
"""
