"""Run ``mpiexec -n N python -m tests.distributed.workers ...`` from a test, against this
checkout, with one BLAS thread per rank; skip when mpi4py (the ``mpi`` extra) is missing."""

import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.reliability.cli import environment

ROOT = Path(__file__).resolve().parents[2]

needs_mpi = pytest.mark.skipif(
    importlib.util.find_spec("mpi4py") is None,
    reason="mpi4py is not installed: pip install -e '.[mpi]' (CI installs it with '.[test]')",
)


def mpiexec():
    """The mpiexec beside this Python (the mpich wheel puts it there), else the PATH's."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.fail("mpi4py is installed but no mpiexec was found: pip install mpich")
    return found


def run_ranks(n, module_args, timeout=60, launcher_args=(), env=None):
    """Run ``python -m MODULE ARGS`` on ``n`` ranks: (CompletedProcess, seconds taken)."""
    python = [sys.executable, "-m", *map(str, module_args)]
    command = [mpiexec(), *launcher_args, "-n", str(n), *python]
    start = time.monotonic()
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**environment(), **(env or {})},
    )
    return done, time.monotonic() - start


def run_workers(scenario, out_dir, n=2, **kwargs):
    """The worker scenario on ``n`` ranks; each rank's saved arrays (asserting success)."""
    done, _ = run_ranks(n, ["tests.distributed.workers", scenario, out_dir], **kwargs)
    assert done.returncode == 0, done.stdout + done.stderr
    return [dict(np.load(os.path.join(out_dir, f"rank{r}.npz"))) for r in range(n)]
