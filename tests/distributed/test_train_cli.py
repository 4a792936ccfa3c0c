"""``zennet train`` on several ranks: one model, rank 0 alone prints and writes, resumable
with another number of processes; ``--workers N`` starts mpiexec itself."""

import csv
import json
import os
import signal
import subprocess
import time
from pathlib import Path

from tests.distributed.mpi import needs_mpi, run_ranks
from tests.reliability.cli import command, environment

pytestmark = needs_mpi


def epochs_in(path):
    with open(path) as f:
        return [int(row["epoch"]) for row in csv.DictReader(f)]


def test_mpiexec_trains_one_model_and_rank_0_alone_reports(tmp_path):
    out = tmp_path / "run"
    done, _ = run_ranks(2, ["zennet", "train", "--epochs", "2", "--out", out], timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert sum(line.startswith("Epoch 2/2 ") for line in lines) == 1
    assert sum(line.startswith("test_loss=") for line in lines) == 1
    assert float(lines[-1].split("test_accuracy=")[1]) > 0.8
    assert epochs_in(out / "history.csv") == [0, 1]
    assert (out / "model.safetensors").exists() and (out / "checkpoint.safetensors").exists()

    # the same run continues with one process (and a longer schedule)
    config = json.loads((out / "config.json").read_text())
    (out / "config.json").write_text(json.dumps({**config, "epochs": 3}))
    resumed = subprocess.run(
        command("train", "--resume", out), capture_output=True, text=True, env=environment()
    )
    assert resumed.returncode == 0, resumed.stderr
    assert [
        line.split()[1] for line in resumed.stdout.splitlines() if line.startswith("Epoch")
    ] == ["3/3"]
    assert epochs_in(out / "history.csv") == [0, 1, 2]


def test_workers_flag_launches_mpiexec(tmp_path):
    out = tmp_path / "run"
    done = subprocess.run(
        command("train", "--workers", "2", "--epochs", "1", "--out", out, "--quiet"),
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("test_accuracy=") == 1
    assert epochs_in(out / "history.csv") == [0]


def rank_pid(out, rank, deadline):
    """The pid of rank ``rank`` of the zennet train job writing to ``out``."""
    while time.monotonic() < deadline:
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            if str(out).encode() in cmdline and f"PMI_RANK={rank}".encode() in environ:
                return int(pid)
        time.sleep(0.2)
    raise AssertionError(f"rank {rank} of the job never started")


def test_a_killed_rank_ends_the_workers_job_naming_it(tmp_path):
    out = tmp_path / "run"
    job = subprocess.Popen(
        command("train", "--workers", "2", "--epochs", "500", "--out", out, "--quiet"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    try:
        victim = rank_pid(out, 1, time.monotonic() + 60)
        while not (out / "checkpoint.safetensors").exists() and job.poll() is None:
            time.sleep(0.1)  # in the middle of training
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        stdout, stderr = job.communicate(timeout=30)
    finally:
        if job.poll() is None:
            job.kill()
    assert time.monotonic() - killed < 30
    assert job.returncode != 0
    assert "zennet train: rank 1 (exit code 9 = killed by signal 9) of 2 ended the job" in stderr
