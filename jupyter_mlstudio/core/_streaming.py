"""``wait_for_completion``: poll the run, and stream its log while it grows."""

from __future__ import annotations

import sys
import time
from typing import TYPE_CHECKING, Any, TextIO

from jupyter_mlstudio.errors import ArtifactNotFoundError

if TYPE_CHECKING:
    from jupyter_mlstudio.core.run import Run

LOG_NAME = "logs/std_log.txt"
_POLL_SECONDS = (0.1, 0.2, 0.3, 0.5, 1.0)


class LogTail:
    """Reads what was appended to a run's log since the last read."""

    def __init__(self, run: Run, name: str = LOG_NAME) -> None:
        self._files = run._files
        self._name = name
        self._offset = 0
        self._partial = b""

    def read_new(self) -> str:
        size = self._files.size(self._name)
        if size <= self._offset:
            return ""
        try:
            chunk = self._files.read_bytes(self._name, self._offset, size)
        except ArtifactNotFoundError:
            return ""
        self._offset += len(chunk)
        data = self._partial + chunk
        # Print whole lines only; keep a partial last line (or UTF-8 sequence) for later.
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        return data[:cut].decode("utf-8", errors="replace")

    def rest(self) -> str:
        text, self._partial = self._partial.decode("utf-8", errors="replace"), b""
        return text


def wait_for_run(
    run: Run, *, show_output: bool, raise_on_error: bool, out: TextIO | None = None
) -> dict[str, Any]:
    out = out or sys.stdout
    tail = LogTail(run) if show_output else None
    if show_output:
        print(f"RunId: {run.id}\nWeb View: {run.get_portal_url()}\n", file=out)
        print(f"Streaming {LOG_NAME}\n{'=' * (10 + len(LOG_NAME))}\n", file=out, flush=True)
    polls = 0
    while True:
        record = run._refresh()
        if tail is not None:
            text = tail.read_new()
            if text:
                out.write(text)
                out.flush()
        if record.is_terminal:
            break
        time.sleep(_POLL_SECONDS[min(polls, len(_POLL_SECONDS) - 1)])
        polls += 1
    if tail is not None:
        rest = tail.read_new() + tail.rest()
        if rest:
            out.write(rest if rest.endswith("\n") else rest + "\n")
        print("\nExecution Summary\n=================", file=out)
        print(f"RunId: {run.id}\nStatus: {record.status}", file=out)
        if record.error:
            print(f"Error: {record.error.get('message')}", file=out)
        print(file=out, flush=True)
    if raise_on_error:
        run._raise_if_failed()
    return run.get_details()
