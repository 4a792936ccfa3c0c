"""Run directories of ``zennet train``: each run writes into its own directory, and
``runs/latest`` (a symbolic link) moves to a new run only once it has a checkpoint."""

import json
import os
import time
from pathlib import Path

from zennet.io import atomic_write

RUNS = Path("runs")
LATEST = RUNS / "latest"
CHECKPOINT, CONFIG, MODEL, HISTORY, RESULTS = (
    "checkpoint.safetensors",
    "config.json",
    "model.safetensors",
    "history.csv",
    "results.json",
)


def check_new_run_dir(out):
    """Refuse, before anything is written, an ``--out`` that cannot become a new run's
    directory: inside a file, not writable, or already holding a run."""
    out = Path(out)
    blocker = next((p for p in (out, *out.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OSError(
            f"--out {out}: cannot create the directory ({blocker} is a file); choose another."
        )
    existing = next(p for p in (out, *out.parents, Path(".")) if p.exists())
    if not os.access(existing, os.W_OK):
        raise PermissionError(f"--out {out}: the directory is not writable; choose another.")
    if (out / CHECKPOINT).exists():  # a config.json alone: a run killed before its checkpoint
        raise ValueError(
            f"--out {out} already holds a run; continue it with `zennet train --resume {out}` "
            f"or give a new --out."
        )


def new_run_dir(out=None):
    """Create the run's directory: ``out``, or a new ``runs/run-YYYYMMDD-HHMMSS[-n]``."""
    if out is not None:
        Path(out).mkdir(parents=True, exist_ok=True)
        return Path(out)
    stamp = time.strftime("run-%Y%m%d-%H%M%S")
    for n in range(1, 1000):
        path = RUNS / (stamp if n == 1 else f"{stamp}-{n}")
        try:
            path.mkdir(parents=True)
            return path
        except FileExistsError:
            continue
    raise OSError(f"{RUNS}: could not find a free run directory name for {stamp}.")


def point_latest_to(run_dir):
    """Make ``runs/latest`` a link to ``run_dir`` (atomically; a run under runs/ only)."""
    run_dir = Path(run_dir)
    if run_dir.parent.resolve() != RUNS.resolve():
        return False
    if LATEST.exists() and not LATEST.is_symlink():  # a run directory of an older zennet
        LATEST.rename(RUNS / time.strftime("run-%Y%m%d-%H%M%S-earlier"))
    temporary = RUNS / f".latest.{os.getpid()}.tmp"
    if temporary.is_symlink():
        temporary.unlink()
    os.symlink(run_dir.name, temporary)
    os.replace(temporary, LATEST)
    return True


def read_run(path):
    """(directory, config) of the run in ``path`` (``runs/latest`` is followed to its run)."""
    path = Path(path)
    run_dir = path.parent / os.readlink(path) if path.is_symlink() else path
    if not (run_dir / CONFIG).exists() or not (run_dir / CHECKPOINT).exists():
        raise FileNotFoundError(
            f"--resume {path}: no run with a checkpoint there ({CONFIG} and {CHECKPOINT} are "
            f"written by `zennet train` once its first checkpoint is saved)."
        )
    return run_dir, json.loads((run_dir / CONFIG).read_text())


def write_json(path, value):
    """Write ``value`` as JSON to ``path``, atomically."""
    text = json.dumps(value, indent=2) + "\n"
    atomic_write(path, lambda f: f.write(text.encode()), "zennet train")


def write_results(out, settings, results, history, model_path):
    """The end of a run of the text jobs: its settings in config.json, its results and
    history in results.json; the job's return value (results, files)."""
    write_json(out / CONFIG, settings)
    write_json(out / RESULTS, {**results, "history": history})
    return {**results, "stopped": None, "files": [str(model_path), str(out / RESULTS)]}
