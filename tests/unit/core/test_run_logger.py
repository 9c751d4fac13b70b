from __future__ import annotations

import threading
import time

from jupyter_mlstudio.core._run_logger import RunLogger


class SlowTracking:
    """A tracking store whose writes take a while (a busy disk), recording what it got."""

    def __init__(self) -> None:
        self.stored: list[float] = []
        self.writing = threading.Event()

    def log_batch(self, run_id, points, params=None):
        self.writing.set()
        time.sleep(0.3)
        self.stored.extend(p.value for p in points)

    def heartbeat(self, run_id):
        return False


def test_flush_returns_only_once_a_write_in_flight_is_stored():
    tracking = SlowTracking()
    logger = RunLogger(tracking)  # type: ignore[arg-type]
    for i in range(100):
        logger.add("r", "loss", "scalar", float(i), None, None)
    # the background thread takes the batch and is still writing it...
    assert tracking.writing.wait(5)
    logger.flush("r")  # ...so flush must wait for it, not return at once with nothing to do
    assert tracking.stored == [float(i) for i in range(100)]


def test_steps_count_up_per_key():
    tracking = SlowTracking()
    logger = RunLogger(tracking)  # type: ignore[arg-type]
    logger.add("r", "a", "scalar", 1.0, None, None)
    logger.add("r", "a", "scalar", 2.0, None, None)
    logger.add("r", "b", "scalar", 3.0, None, 10)
    logger.add("r", "b", "scalar", 4.0, None, None)
    assert logger.next_step("r", "a") == 1
    assert logger.next_step("r", "b") == 11
