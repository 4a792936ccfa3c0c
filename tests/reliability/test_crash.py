"""Crashes never lose work: SIGKILL at any moment, a full disk or a refused write while
saving leave the last checkpoint loadable, and resuming gives the uninterrupted run's
weights bit for bit.

The kill test watches the output directory every millisecond: the atomic writer's
temporary file (``.checkpoint.safetensors.<random>.tmp``) shows when a write is under way,
so some kills are aimed at writes; the others land at random times (start-up, training,
evaluation). A temporary file left behind proves a kill landed mid-write.
"""

import errno
import os
import random
import statistics
import subprocess
import time

import numpy as np
import pytest

import zennet as zn
from tests.reliability.cli import command, environment, run_cli, start
from zennet import nn
from zennet.cli import main
from zennet.io import load_checkpoint
from zennet.models import load_model
from zennet.training import CSVLogger, ModelCheckpoint, Trainer

EPOCHS, KILLS = 30, 20  # more epochs than kills can use up: a finished run writes nothing


def train_args(out):
    return ["train", "--epochs", EPOCHS, "--seed", "3", "--quiet", "--out", out]


def temporary_files(out):
    return sorted(p.name for p in out.glob(".*.tmp")) if out.exists() else []


def checkpoint_inode(out):
    """The checkpoint file's inode (each atomic write makes a new one), or None."""
    try:
        return os.stat(out / "checkpoint.safetensors").st_ino
    except FileNotFoundError:
        return None


def kill_when(proc, out, when):
    """Poll ``out`` every millisecond and SIGKILL ``proc`` as soon as ``when(writes, elapsed)``
    holds (writes: [(temporary file, seconds after start)] in order of appearance).
    Returns (killed, writes); killed is False when the process ended first.

    On a fast, quiet machine a small checkpoint's temporary file can come and go between
    two polls; the checkpoint's new inode still shows the write, which then enters
    ``writes`` as ``.checkpoint.unseen`` (not a mid-write kill, but a write to count)."""
    t0, writes, seen = time.monotonic(), [], set(temporary_files(out))
    inode, pending = checkpoint_inode(out), False  # pending: its temporary file was seen
    while proc.poll() is None:
        elapsed = time.monotonic() - t0
        for name in temporary_files(out):
            if name not in seen:
                seen.add(name)
                writes.append((name, elapsed))
                pending = pending or name.startswith(".checkpoint.")
        now = checkpoint_inode(out)
        if now != inode:  # the checkpoint was replaced
            if not pending:
                writes.append((".checkpoint.unseen", elapsed))
            inode, pending = now, False
        if when(writes, elapsed):
            proc.kill()
            proc.wait()
            return True, writes
        time.sleep(0.001)
    return False, writes


def checkpoints_in(writes):
    return [t for name, t in writes if name.startswith(".checkpoint.")]


def check_files(out, last_epoch):
    """What a user finds after a crash: every file there loads; returns the checkpoint's epoch."""
    epoch = last_epoch
    if (out / "checkpoint.safetensors").exists():
        state = load_checkpoint(out / "checkpoint.safetensors")
        assert all(np.isfinite(w).all() for w in state["model_state"].values())
        epoch = state["epoch"]
        assert last_epoch <= epoch <= EPOCHS  # a crash never takes a checkpoint back
    if (out / "model.safetensors").exists():
        load_model(out / "model.safetensors")
    return epoch


def same_arrays(a, b):
    return a.keys() == b.keys() and all(
        a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]) for k in a
    )


def test_sigkill_at_random_moments_never_loses_work(tmp_path):
    reference = subprocess.Popen(  # the uninterrupted run, alongside the attacks
        command(*train_args(tmp_path / "reference")),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    out, rng = tmp_path / "killed", random.Random(0)
    kills, mid_write, epoch, first_write, epoch_time = 0, 0, 0, [], []
    for attempt in range(3 * KILLS):
        if kills == KILLS:
            break
        resuming = (out / "checkpoint.safetensors").exists()
        proc = start(*(["train", "--resume", out, "--quiet"] if resuming else train_args(out)))
        kind = attempt % 3
        if kind == 0:  # during the first write: config.json, or a checkpoint when resuming
            killed, writes = kill_when(proc, out, lambda w, t: len(w) >= 1)
        elif kind == 1:  # during the second checkpoint write: one epoch was saved
            killed, writes = kill_when(proc, out, lambda w, t: len(checkpoints_in(w)) >= 2)
        else:  # any time up to about the second checkpoint of this process
            # this machine's own times once seen (a guess before): a fixed horizon let a
            # fast machine finish all the epochs before the kill
            horizon = statistics.median(first_write or [1.5]) + statistics.median(
                epoch_time or [0.3]
            )
            delay = rng.uniform(0, horizon)
            killed, writes = kill_when(proc, out, lambda w, t, d=delay: t >= d)
        checkpoints = checkpoints_in(writes)
        first_write += checkpoints[:1]
        epoch_time += list(np.diff(checkpoints))
        before = set(temporary_files(out))
        kills += killed
        mid_write += killed and any(name in before for name, _ in writes[-1:])
        epoch = check_files(out, epoch)
    assert kills == KILLS and mid_write >= 3, (kills, mid_write)  # typically 9 to 14 here
    assert (out / "checkpoint.safetensors").exists()
    finished = run_cli("train", "--resume", out, "--quiet", timeout=300)
    assert finished.returncode == 0, finished.stderr
    stdout, stderr = reference.communicate(timeout=300)
    assert reference.returncode == 0, stderr
    assert finished.stdout.splitlines()[-1] == stdout.splitlines()[-1]  # test metrics
    ref = tmp_path / "reference"
    assert same_arrays(zn.load(out / "model.safetensors"), zn.load(ref / "model.safetensors"))
    assert (out / "history.csv").read_bytes() == (ref / "history.csv").read_bytes()
    ours, theirs = (load_checkpoint(d / "checkpoint.safetensors") for d in (out, ref))
    assert same_arrays(ours["model_state"], theirs["model_state"])
    assert ours["optimizer_state"]["state"].keys() == theirs["optimizer_state"]["state"].keys()
    for i, state in ours["optimizer_state"]["state"].items():
        for name, value in state.items():
            assert np.array_equal(value, theirs["optimizer_state"]["state"][i][name])


# --------------------------------------------------------- full disk, no permission


def failing(monkeypatch, name, error, nth=1, target=".checkpoint.safetensors."):
    """Make ``os.<name>`` raise ``error`` on its ``nth`` call for a file whose name (not its
    folder) contains ``target``: by default the temporary file of a checkpoint."""
    real, calls = getattr(os, name), []

    def fake(path, *args, **kwargs):
        if target in (os.path.basename(path) if isinstance(path, (str, os.PathLike)) else ""):
            calls.append(path)
            if len(calls) == nth:
                raise error
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, name, fake)


ENOSPC = OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize(
    "name, error",
    [("replace", ENOSPC), ("open", PermissionError(errno.EACCES, "Permission denied"))],
)
def test_a_failed_checkpoint_write_keeps_the_previous_one_and_says_so(
    tmp_path, capsys, monkeypatch, name, error
):
    """The 2nd checkpoint (after epoch 2) cannot be written: the CLI stops with one line and
    the checkpoint of epoch 1 is intact, with no temporary file left behind."""
    failing(monkeypatch, name, error, nth=2)
    assert main(["train", "--epochs", "3", "--quiet", "--out", str(tmp_path)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("zennet train: error: save: could not write ")
    assert error.strerror in line and "the previous file, if any, is unchanged" in line
    monkeypatch.undo()
    assert load_checkpoint(tmp_path / "checkpoint.safetensors")["epoch"] == 1
    assert temporary_files(tmp_path) == []


@pytest.mark.parametrize("suffix", [".safetensors", ".npz"])
def test_a_full_disk_during_the_write_leaves_the_old_file_byte_for_byte(
    tmp_path, monkeypatch, suffix
):
    """The bytes are written but cannot be flushed to disk (fsync fails): the old file stays."""
    path = tmp_path / f"model{suffix}"
    zn.manual_seed(0)
    model = nn.Linear(3, 2)
    zn.save(model.state_dict(), path)
    before = path.read_bytes()
    model.weight.data += 1
    failing(monkeypatch, "fsync", ENOSPC, target="")  # takes a file descriptor: any file
    with pytest.raises(OSError, match=r"save: could not write .*No space left.*is unchanged"):
        zn.save(model.state_dict(), path)
    assert path.read_bytes() == before and temporary_files(tmp_path) == []


def test_a_trainer_checkpoint_that_cannot_be_written_stops_fit(tmp_path, monkeypatch):
    (x, y), _ = zn.datasets.load_digits()
    zn.manual_seed(0)
    trainer = Trainer(nn.Sequential(nn.Linear(64, 10)), "adam")
    path = tmp_path / "checkpoint.safetensors"
    failing(monkeypatch, "replace", ENOSPC, nth=2)
    with pytest.raises(OSError, match="No space left on device"):
        trainer.fit(x, y, epochs=3, verbose=0, callbacks=[ModelCheckpoint(path)])
    monkeypatch.undo()
    assert load_checkpoint(path)["epoch"] == 1 and trainer.epoch == 2


class Crash(Exception):
    pass


class CrashAfterCheckpoint(ModelCheckpoint):
    """Save the checkpoint of ``epoch``, then die before the CSV row is written."""

    def __init__(self, path, epoch):
        super().__init__(path)
        self.crash_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        super().on_epoch_end(epoch, logs)
        if epoch == self.crash_epoch:
            raise Crash()


def csv_run(folder, crash_epoch=None, resume=False):
    (x, y), _ = zn.datasets.load_digits()
    zn.manual_seed(0)
    trainer = Trainer(nn.Sequential(nn.Linear(64, 10)), "adam")
    folder.mkdir(exist_ok=True)
    path, csv = folder / "checkpoint.safetensors", folder / "history.csv"
    checkpoint = (
        ModelCheckpoint(path) if crash_epoch is None else CrashAfterCheckpoint(path, crash_epoch)
    )
    trainer.fit(x, y, epochs=4, verbose=0, seed=0, callbacks=[checkpoint, CSVLogger(csv, resume)],
                resume_from=path if resume else None)  # fmt: skip
    return csv.read_bytes()


@pytest.mark.parametrize("damage", ["row missing", "half a row"])
def test_history_csv_ends_as_if_training_was_never_interrupted(tmp_path, damage):
    whole = csv_run(tmp_path / "whole")
    folder = tmp_path / "crashed"
    with pytest.raises(Crash):  # the checkpoint of epoch 2 is saved, its CSV row is not
        csv_run(folder, crash_epoch=1)
    csv = folder / "history.csv"
    if damage == "half a row":  # or the crash came while the row was being written
        rows = whole.splitlines(keepends=True)
        csv.write_bytes(b"".join(rows[:3]) + rows[3][:9])
    assert csv_run(folder, resume=True) == whole
