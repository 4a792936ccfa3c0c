"""``zennet train --workers N``: start the same command on N ranks with mpiexec, pass their
output through, and when the job fails say in one line which rank ended it.

The ranks are ``mpiexec -n N python -m zennet train ARGS`` (without ``--workers``): the
same as typing that command. With MPICH's mpiexec (the ``mpich`` wheel), which reports
every rank's exit code, the line names the rank; with another MPI it gives the exit code.
"""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path


def find_mpiexec():
    """The mpiexec beside this Python (the mpich wheel installs it there), else the PATH's."""
    beside = Path(sys.executable).parent / "mpiexec"
    found = str(beside) if beside.exists() else shutil.which("mpiexec")
    if found is None:
        raise OSError(
            "--workers needs MPI's mpiexec, which was not found: pip install 'zennet[mpi]' "
            "(mpi4py and the mpich wheel), or put your MPI's mpiexec on the PATH."
        )
    return found


def mpiexec_command(mpiexec, workers):
    """mpiexec and its options for ``workers`` ranks on this machine."""
    version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True).stdout
    command = [mpiexec, "-n", str(workers)]
    if "HYDRA" in version:  # MPICH: also print every rank's exit code at the end
        command.append("-print-all-exitcodes")
    elif "Open MPI" in version or "OpenRTE" in version:
        command.append("--oversubscribe")  # more ranks than cores is allowed, as with MPICH
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-run-as-root")
    return command


def without_workers(argv):
    """``argv`` with ``--workers N`` (or ``--workers=N``) taken out."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--workers":
            skip = True
        elif not arg.startswith("--workers="):
            out.append(arg)
    return out


def launch(argv, workers, out=None):
    """Run ``python -m zennet ARGV`` on ``workers`` ranks; returns the job's exit code."""
    out = out or sys.stdout
    if workers < 1:
        raise ValueError(f"--workers must be a positive whole number, got {workers}.")
    command = mpiexec_command(find_mpiexec(), workers)
    command += [sys.executable, "-m", "zennet", *without_workers(argv)]
    codes = None
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True, bufsize=1) as job:
        for line in job.stdout:
            if "Exit codes:" in line:  # hydra's, read for failure_line, not shown
                codes = exit_codes(line)
                continue
            out.write(line)
            out.flush()
    if job.returncode != 0:
        print(failure_line(job.returncode, codes, workers), file=sys.stderr, flush=True)
    return job.returncode


def exit_codes(line):
    """Each rank's exit code from hydra's ``[mpiexec@host] Exit codes: [host] 0,9,0``."""
    listed = re.sub(r"\[[^\]]*\]", " ", line.split("Exit codes:", 1)[1])
    return [int(code) for code in re.findall(r"-?\d+", listed)]


def failure_line(returncode, codes, workers):
    """One line on why the job ended: the ranks that failed first, when known."""
    failed = [(rank, code) for rank, code in enumerate(codes or []) if code != 0]
    if not failed:
        return f"zennet train: the job of {workers} ranks ended with exit code {returncode}."
    named = ", ".join(
        f"rank {r} (exit code {c}{' = killed by signal 9' if c == 9 else ''})" for r, c in failed
    )
    return (
        f"zennet train: {named} of {workers} ended the job; mpiexec stopped the other ranks "
        f"(exit code {returncode})."
    )
