"""The train job as a user meets it: nothing lost on a failed run, a resume that only ever
sees its own run, settings that are never silently ignored, progress shown at once."""

import json
import os
from pathlib import Path

import pytest

from zennet.cli import main
from zennet.io import load_checkpoint
from zennet.jobs import train
from zennet.training import Callback


def quiet_train(*args):
    return main(["train", "--epochs", "2", "--quiet", *map(str, args)])


def test_a_failing_train_touches_nothing_of_the_previous_run(capsys):
    """Issue 14.1: `--optimizer adamm` after a good run left runs/latest unusable."""
    assert quiet_train() == 0
    latest = os.readlink("runs/latest")
    before = {p.name: p.read_bytes() for p in Path("runs/latest").iterdir()}
    for bad in (["--optimizer", "adamm"], ["--data", "nosuch"], ["--lr", "-1"],
                ["--augment", "wobble=3"], ["--label-smoothing", "2"]):  # fmt: skip
        assert quiet_train(*bad) == 2
    assert os.readlink("runs/latest") == latest and len(os.listdir("runs")) == 2
    after = {p.name: p.read_bytes() for p in Path("runs/latest").iterdir()}
    assert after == before
    capsys.readouterr()
    assert quiet_train("--resume", "runs/latest", "--epochs", "3") == 0  # the good run goes on


class InterruptAt(Callback):
    def __init__(self, epoch, batch):
        self.at = (epoch, batch)

    def on_batch_end(self, batch, logs=None):
        if (self.trainer.current_epoch, batch) == self.at:
            raise KeyboardInterrupt


def interrupted_train(epoch, batch, **kwargs):
    """The train job, interrupted (as by Ctrl-C) after the given batch."""
    return train(verbose=0, callbacks=[InterruptAt(epoch, batch)], **kwargs)


def test_an_interrupt_before_the_first_checkpoint_leaves_latest_on_the_run_before():
    """Issue 14.3: the message pointed at runs/latest, which held the previous run's
    checkpoint, and resuming it failed on the optimizer's parameter groups."""
    assert "test_accuracy" in train(model="logistic", epochs=1, verbose=0)
    previous = os.readlink("runs/latest")
    result = interrupted_train(0, 3, model="mlp", epochs=2)
    assert "nothing to resume" in result["interrupted"]
    assert os.readlink("runs/latest") == previous  # still the logistic run, which resumes
    assert "finished" in train(resume="runs/latest", verbose=0)


def test_an_interrupt_after_a_checkpoint_says_how_to_resume_its_own_run():
    result = interrupted_train(1, 4, epochs=3, checkpoint_seconds=0)  # one after every batch
    run = result["run"]
    assert result["interrupted"] == f"interrupted; continue with `zennet train --resume {run}`."
    assert os.path.realpath("runs/latest") == os.path.realpath(run)
    state = load_checkpoint(os.path.join(run, "checkpoint.safetensors"))
    assert (state["epoch"], state["extra"]["progress"]["batch"]) == (1, 5)  # lost: no batch
    resumed = train(resume="runs/latest", verbose=0)
    whole = train(epochs=3, verbose=0)
    assert resumed["test_accuracy"] == whole["test_accuracy"]
    assert resumed["test_loss"] == whole["test_loss"]  # bit for bit


def test_resume_extends_refuses_conflicts_and_knows_a_finished_run(capsys):
    """Issue 14.4: --epochs and --model were silently ignored on --resume."""
    assert quiet_train("--out", "a") == 0
    capsys.readouterr()
    assert quiet_train("--resume", "a", "--model", "cnn") == 2
    err = capsys.readouterr().err
    assert "--model cnn conflicts with the run in a, which was started with --model mlp" in err
    history = Path("a/history.csv").read_text()
    assert main(["train", "--resume", "a", "--quiet"]) == 0
    assert "is finished: it trained all 2 epochs" in capsys.readouterr().out
    assert open("a/history.csv").read() == history  # nothing rewritten
    assert main(["train", "--resume", "a", "--epochs", "4", "--quiet"]) == 0
    assert json.load(open("a/results.json"))["epochs"] == 4
    assert len(open("a/history.csv").read().splitlines()) == 1 + 4
    assert json.load(open("a/config.json"))["epochs"] == 4


def test_an_out_directory_holding_a_run_is_refused(capsys):
    assert quiet_train("--out", "a") == 0
    capsys.readouterr()
    assert quiet_train("--out", "a") == 2
    assert "--out a already holds a run; continue it with" in capsys.readouterr().err


def test_train_says_what_it_loads_and_where_it_writes_before_training(capsys):
    """Issue 14.5: nothing was printed for minutes."""
    assert main(["train", "--epochs", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "loading data set digits ..."
    assert lines[1].startswith("training mlp (19,210 parameters) on 1,438 digits samples")
    assert lines[2].startswith("run directory: runs/run-")
    assert lines[3].startswith("Epoch 1/1 loss=")
    assert any(line.endswith("config.json") for line in lines)  # issue 14.9: listed


def test_quiet_prints_only_the_metrics(capsys):
    """Issue 14.9: --quiet still printed five "wrote" lines."""
    assert quiet_train() == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == 1 and out[0].startswith("test_loss=")


@pytest.mark.parametrize("seed", [6, 7])
def test_the_default_recipe_reaches_97_percent_on_the_weakest_seeds(seed, capsys):
    """Issue 14.11: seeds 6 and 7 ended at 96.66 and 96.94 % without label smoothing."""
    assert main(["train", "--seed", str(seed), "--quiet"]) == 0
    line = capsys.readouterr().out.strip()
    assert float(line.split("test_accuracy=")[1]) >= 0.97, line


def test_a_terminal_gets_a_progress_bar_per_batch():
    """Issue 14.5: on a terminal, a tqdm bar counts the batches of each epoch."""
    pytest.importorskip("tqdm")
    import fcntl
    import pty
    import struct
    import subprocess
    import termios

    from tests.reliability.cli import command, environment

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen(command("train", "--epochs", "1"), stdout=slave, stderr=slave,
                            env=environment())  # fmt: skip
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        output += chunk
    assert proc.wait(timeout=120) == 0
    text = output.decode(errors="replace")
    assert "Epoch 1/1:" in text and "/41 [" in text  # the bar: batches done of 41
