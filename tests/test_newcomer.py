"""A newcomer's session, scripted: in a fresh directory, train; Ctrl-C in the middle of an
epoch; resume; a train that fails on a typo; resume again; predict on a drawing of a digit
(dark on white); explain it in a picture with a title and a colour bar."""

import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

import zennet as zn
from tests.reliability.cli import command, environment, run_cli
from zennet.jobs import explain

PIL = pytest.importorskip("PIL.Image")
pytest.importorskip("matplotlib")


def interrupt_mid_epoch(args, epoch=2):
    """Start ``zennet ARGS``, send SIGINT once ``epoch`` epochs are done and a checkpoint
    inside the next one exists; returns (returncode, stdout, stderr)."""
    proc = subprocess.Popen(
        command(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=environment(),
    )  # fmt: skip
    deadline = time.monotonic() + 120
    history, written = None, None  # the checkpoint's mtime once the epochs were done
    while proc.poll() is None and time.monotonic() < deadline:
        history = (
            next(Path("runs").glob("run-*/history.csv"), None) if Path("runs").exists() else None
        )
        checkpoint = None if history is None else history.with_name("checkpoint.safetensors")
        if written is None and history is not None:
            if len(history.read_text().splitlines()) >= 1 + epoch:
                written = _mtime(checkpoint)
        elif written is not None and _mtime(checkpoint) != written:
            proc.send_signal(signal.SIGINT)  # a batch checkpoint into the next epoch is out
            break
        time.sleep(0.002)  # a whole epoch of the digits takes about 0.2 s
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def _mtime(path):
    return path.stat().st_mtime_ns if path.exists() else None


def test_a_newcomers_session(tmp_path, figures):
    train = ["train", "--epochs", "6", "--batch-size", "16", "--checkpoint-every", "0.05"]
    code, out, err = interrupt_mid_epoch(train)
    assert code == 130, (out, err)
    run = Path("runs/latest").resolve().relative_to(tmp_path)
    assert err.strip() == f"zennet train: interrupted; continue with `zennet train --resume {run}`."  # noqa: E501
    first = run_cli("train", "--resume", "runs/latest")
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines()[-1].startswith("test_loss=")
    typo = run_cli("train", "--optimizer", "adamm")
    assert typo.returncode == 2
    assert typo.stderr.strip().endswith("Did you mean 'adam'?")
    again = run_cli("train", "--resume", "runs/latest", "--epochs", "7", "--quiet")
    assert again.returncode == 0, again.stderr
    model = Path("runs/latest/model.safetensors")

    _, (x, y) = zn.datasets.load_digits()
    zero = x[y == 0][0].reshape(8, 8)
    PIL.fromarray((np.kron(1 - zero, np.ones((20, 20))) * 255).astype(np.uint8)).save("zero.png")
    predicted = run_cli("predict", model, "zero.png")
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.startswith("class=0 probability=")
    assert "has a light background: inverted it" in predicted.stderr

    explained = run_cli("explain", model, "zero.png", "--method", "ig")
    assert explained.returncode == 0, explained.stderr
    assert explained.stdout.splitlines()[-1] == "wrote heatmap.png"
    assert PIL.open("heatmap.png").size[0] >= 600  # the input, the map, its colour bar
    explain(model, "zero.png", out="again.png")  # the same picture, looked at in matplotlib
    (fig,) = figures
    assert fig._suptitle.get_text() == (
        "integrated gradients from a black image — model.safetensors on zero.png"
    )
    assert [ax.get_title() for ax in fig.axes][:2] == ["sample 0: input", fig.axes[1].get_title()]
    assert fig.axes[1].get_title().startswith("class 0 (p=")
    assert fig.axes[2].get_ylabel() == "attribution (+ for the class, − against)"
