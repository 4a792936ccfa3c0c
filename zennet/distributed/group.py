"""The process group: which process this is (rank), how many there are (world size), and
the one place that waits for MPI, with a timeout.

The processes come from the MPI launcher (``mpiexec -n 4 python train.py``, ``srun``);
``init()`` reads rank, world size and local rank from MPI itself (mpi4py), so the same
script runs on one machine and on many. Run without a launcher, it is a group of one.

Every collective of zennet.distributed is started non-blocking and finished in
:func:`wait`, which polls it against a deadline (``timeout``, default 300 s, or the
environment variable ``ZENNET_DIST_TIMEOUT``). When the deadline passes, the waiting rank
asks the others, on a communicator of its own, whether they are waiting too; the ranks
that do not answer are the dead or hung ones. It prints one line naming them and ends the
whole job with ``MPI_Abort``, so no rank hangs silently.
"""

import os
import sys
import time

DEFAULT_TIMEOUT = 300.0  # seconds a collective may wait for the slowest rank
_SPIN = 0.005  # seconds a wait polls without sleeping
_ANSWER_GRACE = 2.0  # seconds the timed-out rank waits for the others to answer
_QUERY, _ANSWER = 1, 2  # message tags on the watchdog's communicator
_FORWARD_GRACE = 1.0  # seconds the launcher gets to pass the last line on before the abort


class _Group:
    """The state of the process group (one per process)."""

    def __init__(self, mpi, comm, timeout):
        self.mpi, self.comm, self.timeout = mpi, comm, timeout
        self.rank, self.world_size = comm.Get_rank(), comm.Get_size()
        self.local_rank = comm.Split_type(mpi.COMM_TYPE_SHARED).Get_rank()
        self.watch = comm.Dup()  # the watchdog's questions never meet user messages
        self.calls = 0  # collectives started so far (the same count on every rank)


_group = None


def _import_mpi():
    try:
        from mpi4py import MPI
    except ImportError as err:
        raise ImportError(
            "zennet.distributed needs mpi4py and an MPI library: pip install 'zennet[mpi]' "
            "(mpi4py and the mpich wheel), or mpi4py built against your cluster's MPI."
        ) from err
    return MPI


def init(timeout=None):
    """Join the MPI job this process was started in (idempotent); returns the world size.

    ``timeout`` (seconds) bounds how long any collective waits for the slowest rank before
    the job is ended; default ``ZENNET_DIST_TIMEOUT`` or 300.
    """
    global _group
    if timeout is None:
        timeout = float(os.environ.get("ZENNET_DIST_TIMEOUT", DEFAULT_TIMEOUT))
    if not timeout > 0:
        raise ValueError(f"distributed.init: timeout must be > 0 seconds, got {timeout!r}.")
    if _group is None:
        mpi = _import_mpi()
        _group = _Group(mpi, mpi.COMM_WORLD, float(timeout))
    _group.timeout = float(timeout)
    return _group.world_size


def is_initialized():
    return _group is not None


def group():
    """The process group; a RuntimeError that says what to call when there is none."""
    if _group is None:
        raise RuntimeError(
            "zennet.distributed: the process group is not initialized; call "
            "zennet.distributed.init() first (start the processes with mpiexec -n N)."
        )
    return _group


def get_rank():
    """This process's number, 0 .. world_size - 1 (0 is the one that prints and saves)."""
    return group().rank


def get_world_size():
    """How many processes train together."""
    return group().world_size


def get_local_rank():
    """This process's number among those on the same machine (to pick a GPU, for one)."""
    return group().local_rank


def is_main_process():
    """True on rank 0, and in a program that never called ``init()``."""
    return _group is None or _group.rank == 0


def wait(request, what):
    """Finish the non-blocking MPI ``request`` (collective ``what``), or end the job once it
    has waited longer than the timeout, with one line naming the ranks that did not come."""
    g = group()
    g.calls += 1
    if request.Test():
        return
    start = time.monotonic()
    pause = 0.0
    try:
        while not request.Test():
            _answer_queries(g, what)
            waited = time.monotonic() - start
            if waited > g.timeout:
                _abort_naming_missing(g, what, request)
            if waited < _SPIN:  # spin first, as MPI does, yielding to a rank that shares the core
                os.sched_yield()
            else:  # then sleep: a long wait leaves the core to others
                time.sleep(pause)
                pause = min(pause + 1e-4, 1e-3)
    except g.mpi.Exception as err:  # an MPI that reports a failed peer instead of hanging
        _abort(g, f"{what} #{g.calls} failed: {err.Get_error_string()}")


def _answer_queries(g, what):
    """Tell every rank that asked (its watchdog fired) that this one is waiting too."""
    status = g.mpi.Status()
    while g.watch.Iprobe(source=g.mpi.ANY_SOURCE, tag=_QUERY, status=status):
        g.watch.recv(source=status.Get_source(), tag=_QUERY)
        g.watch.isend((g.calls, what), dest=status.Get_source(), tag=_ANSWER)


def _abort_naming_missing(g, what, request):
    """Ask every other rank whether it is waiting; name those that do not answer; abort."""
    for peer in range(g.world_size):
        if peer != g.rank:
            try:
                g.watch.isend(None, dest=peer, tag=_QUERY)
            except g.mpi.Exception:
                pass  # a dead peer: it will not answer, which names it
    answers, deadline = {}, time.monotonic() + _ANSWER_GRACE
    while len(answers) < g.world_size - 1 and time.monotonic() < deadline:
        if request.Test():  # the slow rank arrived after all
            return
        _answer_queries(g, what)
        status = g.mpi.Status()
        if g.watch.Iprobe(source=g.mpi.ANY_SOURCE, tag=_ANSWER, status=status):
            answers[status.Get_source()] = g.watch.recv(source=status.Get_source(), tag=_ANSWER)
        time.sleep(1e-3)
    missing = [r for r in range(g.world_size) if r != g.rank and r not in answers]
    if missing:
        cause = f"rank(s) {', '.join(map(str, missing))} never arrived (dead or hung)"
    else:
        calls = "; ".join(f"rank {r}: {w} #{n}" for r, (n, w) in sorted(answers.items()))
        cause = f"every rank waits, in different collectives ({calls}): a rank-dependent branch"
    _abort(g, f"waited {g.timeout:g} s in {what} #{g.calls}: {cause}")


def _abort(g, message):
    """One line on stderr, then end every process of the job (exit code 1).

    The launcher forwards each rank's stderr on its own schedule, and MPI_Abort tears the
    forwarding down with the job: without the pause the line is sometimes lost (seen once in
    CI on three ranks), which is the one thing the user needs to read.
    """
    print(
        f"zennet.distributed: rank {g.rank} of {g.world_size} {message}; ending the job.",
        file=sys.stderr,
        flush=True,
    )
    time.sleep(_FORWARD_GRACE)
    g.comm.Abort(1)
