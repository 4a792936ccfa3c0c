"""Smoke test of benchmarks/distributed.py: every set-up runs and the JSON holds what
docs/distributed.md's tables are made from (speed itself is never asserted)."""

import json
import subprocess
import sys

from benchmarks.distributed import MACHINES, SETUPS, allreduce_seconds, cost_model
from tests.distributed.mpi import ROOT, needs_mpi
from tests.reliability.cli import environment


def test_ring_allreduce_formula():
    # 2 machines, 1 MB at 1 GB/s, 10 µs: 2·(1/2)·1e6/1e9 s + 2·1·10 µs = 1.02 ms
    assert abs(allreduce_seconds(1e6, 2, 1e9, 10e-6) - 1.02e-3) < 1e-12
    assert allreduce_seconds(1e6, 1, 1e9, 10e-6) == 0  # one machine sends nothing


@needs_mpi
def test_the_benchmark_runs_every_setup(tmp_path):
    out = tmp_path / "results.json"
    args = ["--rounds", "1", "--models", "mlp", "--steps", "3", "--out", out]
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.distributed", *map(str, args)],
        capture_output=True, text=True, cwd=ROOT, env=environment(), timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())
    assert set(report["mlp"]) == {label for label, _, _ in SETUPS}
    two = report["mlp"]["2 processes, 1 thread each"]
    assert two["samples_per_s"]["median"] > 0 and two["sync_ms"]["median"] > 0
    assert two["parameters"] == 19_210
    rows = cost_model(report)
    assert len(rows) == 2 and all(len(r[-1]) == len(MACHINES) for r in rows)
    assert "| mlp | 10 Gbit/s Ethernet |" in done.stdout
