"""The suite's own rule: no test writes outside its temporary directory."""

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_runs_in_its_own_tmp_path(tmp_path):
    assert Path(os.getcwd()) == tmp_path
    assert ROOT not in Path(os.getcwd()).parents and Path(os.getcwd()) != ROOT
