"""The command line's checks before the first frame: the embedded digits are checked without NumPy, anything a
user gives is checked in full."""

from __future__ import annotations

import subprocess
import sys

import pytest

from dropout_tui.engine.config import RunConfig
from dropout_tui.engine.data.datasets import DataError, load_digits
from dropout_tui.engine.data.embedded import digits_test_rows
from dropout_tui.engine.errors import ConfigError
from dropout_tui.engine.run.inputs import check_before_screen, check_inputs


def test_the_header_gives_the_test_rows_that_loading_finds():
    assert digits_test_rows() == load_digits().n_test == 360


def test_the_embedded_digits_load_nothing_before_the_screen_but_the_probe_index_is_still_checked():
    assert check_before_screen(RunConfig()) is None
    assert check_before_screen(RunConfig(ood="noise")) is None
    with pytest.raises(ConfigError) as early:
        check_before_screen(RunConfig(probe_index=360))
    with pytest.raises(ConfigError) as full:
        check_inputs(RunConfig(probe_index=360))
    assert str(early.value) == str(full.value) == "--probe-index 360 is out of range: the test set has 360 samples"


def test_what_could_be_bad_is_loaded_and_checked_in_full(tmp_path):
    assert check_before_screen(RunConfig(task="classification")) is None
    with pytest.raises(DataError, match="regression"):
        check_before_screen(RunConfig(task="regression"))  # class labels as targets: refused before the screen
    missing = tmp_path / "missing.npz"
    with pytest.raises(DataError):
        check_before_screen(RunConfig(ood=str(missing)))
    assert check_before_screen(RunConfig(dataset="digits", data_path=None, command="train")) is None


@pytest.mark.subprocess
def test_the_start_path_with_the_embedded_digits_imports_no_numpy():
    script = (
        "import sys\n"
        "from dropout_tui.engine.config import RunConfig\n"
        "from dropout_tui.engine.run.inputs import check_before_screen\n"
        "check_before_screen(RunConfig())\n"
        "print('numpy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "False"
