"""Parts of the serving zygote that need no endpoint."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from jupyter_mlstudio.serving.supervisor import ForkedProcess
from jupyter_mlstudio.serving.zygote import _stale, can_fork_for


def test_which_deployments_can_be_forked(tmp_path):
    assert can_fork_for(None, {})
    assert can_fork_for(sys.executable, {"MY_SETTING": "1"})
    assert not can_fork_for(str(tmp_path / "other-python"), {})
    assert not can_fork_for(None, {"OMP_NUM_THREADS": "1"})  # read when NumPy loads
    assert not can_fork_for(None, {"PYTHONHASHSEED": "0"})


def test_a_module_changed_on_disk_makes_the_zygote_stale(tmp_path):
    module = tmp_path / "mod.py"
    module.write_text("x = 1\n")
    st = os.stat(module)
    stamps = {str(module): (st.st_mtime, st.st_ino)}
    assert _stale(stamps) is None
    module.with_name("new.py").write_text("x = 2\n")
    os.replace(module.with_name("new.py"), module)  # as pip replaces files
    assert _stale(stamps) == str(module)
    module.unlink()
    assert _stale(stamps) == str(module)


def test_a_forked_process_is_polled_waited_and_killed():
    pid = os.fork()
    if pid == 0:
        time.sleep(30)
        os._exit(0)
    proc = ForkedProcess(pid)
    assert proc.poll() is None
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.05)
    proc.kill()
    assert proc.wait(timeout=10) == -signal.SIGKILL
    assert proc.poll() == -signal.SIGKILL
    proc.send_signal(signal.SIGTERM)  # ended: no error, nothing sent
