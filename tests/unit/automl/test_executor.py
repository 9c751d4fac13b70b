"""The local trial executor: forked workers, results, errors, time limits and cancel."""

from __future__ import annotations

import os
import time

from jupyter_mlstudio.train.automl.executor import ForkExecutor


def _square(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def _boom() -> None:
    raise ValueError("bad hyperparameter")


def _sleep() -> None:
    time.sleep(30)


def _drain(ex: ForkExecutor, timeout: float = 20.0) -> dict:
    out = {}
    deadline = time.monotonic() + timeout
    while ex.running():
        assert time.monotonic() < deadline
        for f in ex.poll():
            out[f.key] = f
        time.sleep(0.01)
    return out


def test_trials_run_in_other_processes_and_report_results_and_errors():
    ex = ForkExecutor(3)
    ex.submit(1, _square, (7,), None)
    ex.submit(2, _boom, (), None)
    done = _drain(ex)
    value, pid = done[1].result
    assert value == 49 and pid != os.getpid() and done[1].error is None
    assert "ValueError: bad hyperparameter" in done[2].error and done[2].result is None


def test_a_trial_over_its_time_limit_is_killed_and_cancel_stops_one():
    ex = ForkExecutor(2)
    ex.submit(1, _sleep, (), 0.3)
    ex.submit(2, _sleep, (), None)
    ex.cancel(2)
    done = _drain(ex)
    assert done[1].error == "timeout" and done[1].seconds < 20
    assert done[2].error == "canceled"
