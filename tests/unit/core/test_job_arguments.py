from __future__ import annotations

import pytest

from jupyter_mlstudio.core._job_submission import params_from_arguments


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (["--max-depth", "5"], {"max-depth": "5"}),
        (["--lr=0.1", "--verbose"], {"lr": "0.1", "verbose": ""}),
        (["--shift", "-3", "--name", "x"], {"shift": "-3", "name": "x"}),
        (["positional", "--a", "1"], {"a": "1"}),
        ([], {}),
    ],
)
def test_params_come_from_the_script_arguments(arguments, expected):
    assert params_from_arguments(arguments) == expected
