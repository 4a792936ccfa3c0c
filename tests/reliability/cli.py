"""Run ``python -m zennet`` in a fresh process, as a user would, against this checkout."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def environment():
    """This checkout first on the path; one BLAS thread (fast on a shared machine, and
    bit-identical runs); a plotting backend that needs no display."""
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH")) if p)
    threads = {k: "1" for k in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    return {**os.environ, "PYTHONPATH": path, "MPLBACKEND": "Agg", **threads}


def command(*args):
    return [sys.executable, "-m", "zennet", *map(str, args)]


def run_cli(*args, timeout=120):
    """``zennet ARGS`` run to completion: the CompletedProcess (stdout and stderr as text)."""
    return subprocess.run(
        command(*args), capture_output=True, text=True, timeout=timeout, env=environment()
    )


def start(*args):
    """``zennet ARGS`` started in the background (output discarded): a Popen."""
    return subprocess.Popen(
        command(*args), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment()
    )
