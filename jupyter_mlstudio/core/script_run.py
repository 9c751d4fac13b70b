"""``ScriptRun``: the run of a submitted script."""

from __future__ import annotations

from jupyter_mlstudio.core.run import Run

__all__ = ["ScriptRun"]


class ScriptRun(Run):
    """A run created by submitting a ScriptRunConfig or an Estimator."""

    def get_job_log(self) -> str:
        """The script's output so far (stdout and stderr, in order)."""
        from jupyter_mlstudio.core._streaming import LOG_NAME

        names = self.get_file_names()
        return self._files.read_text(LOG_NAME) if LOG_NAME in names else ""

    get_stdout_log = get_job_log
