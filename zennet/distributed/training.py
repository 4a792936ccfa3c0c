"""What Trainer and ``zennet train`` need to run on several ranks (zennet/training calls these
when its model is a DistributedDataParallel; nothing here runs in a single process).

- each rank trains on its shard of every epoch (DistributedSampler: same number of steps
  on every rank) and evaluates a contiguous slice of the evaluation data;
- the epoch's loss and metrics are those of all ranks' samples: the loss sums and counts
  are all-reduced and the outputs and targets gathered, so every metric is computed as in
  one process;
- each rank draws dropout masks and augmentations from its own seed, fixed by (seed,
  epoch, rank), so a resumed run draws what it would have drawn;
- checkpoints hold the plain model's state (no ``module.`` prefix), written by rank 0, so a
  run resumes with any number of processes.
"""

import os

import numpy as np

from zennet.data import DataLoader, Subset
from zennet.distributed.ddp import DistributedDataParallel
from zennet.distributed.group import get_rank, get_world_size, group, init, is_initialized, wait
from zennet.distributed.sampler import DistributedSampler
from zennet.random import manual_seed


def launched_by_mpi():
    """True when this process was started by mpiexec/srun as one of several, read from the
    variables the launchers set (MPICH and Intel MPI, Open MPI, PMIx): no MPI import."""
    sizes = [os.environ.get(v) for v in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")]
    if any(s is not None and s.isdigit() for s in sizes):
        return any(int(s) > 1 for s in sizes if s is not None and s.isdigit())
    return "PMIX_RANK" in os.environ


def join_if_launched():
    """Join the MPI job when mpiexec/srun started this process as one of several."""
    if launched_by_mpi():
        init()


def wrap(model):
    """``model`` in a DistributedDataParallel when this process is one rank of several
    (after :func:`join_if_launched`), else ``model`` itself."""
    if not (is_initialized() and get_world_size() > 1):
        return model
    return DistributedDataParallel(model)


def ddp_of(model):
    """The DistributedDataParallel that ``model`` is, or None."""
    return model if isinstance(model, DistributedDataParallel) else None


def unwrap(model):
    """The model inside a DistributedDataParallel (what checkpoints hold), else ``model``."""
    return model.module if isinstance(model, DistributedDataParallel) else model


def training_loader(dataset, batch_size, shuffle, seed, transform):
    """This rank's loader for one epoch: its shard of the epoch's order (``seed`` fixes the
    order, the same on every rank), ``batch_size`` samples per rank and step."""
    seed = 0 if seed is None else seed
    sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed)
    return DataLoader(
        dataset, batch_size, sampler=sampler, seed=seed + get_rank() + 1, transform=transform
    )


def evaluation_loader(dataset, batch_size):
    """This rank's contiguous slice of ``dataset`` (no sample twice, none left out); the
    whole of it on every rank when it has fewer samples than there are ranks (a duplicate
    changes no mean, and every rank must have outputs to gather)."""
    if len(dataset) < get_world_size():
        return DataLoader(dataset, batch_size)
    parts = np.array_split(np.arange(len(dataset)), get_world_size())
    return DataLoader(Subset(dataset, parts[get_rank()]), batch_size)


def seed_epoch(seed, epoch):
    """Seed zennet's generator (dropout, augmentation) for this rank and epoch."""
    manual_seed((int(seed or 0) * 1_000_003 + epoch) * 4099 + get_rank())


def mean_over_ranks(value):
    """The mean of a float over the ranks (the same on every rank)."""
    buffer = np.array([value], np.float64)
    g = group()
    wait(g.comm.Iallreduce(g.mpi.IN_PLACE, buffer, g.mpi.SUM), "all_reduce of the loss")
    return float(buffer[0]) / g.world_size


def gather_epoch(total, count, targets, outputs):
    """An epoch's (loss sum, sample count, targets, outputs) over all ranks: sums added,
    arrays concatenated in rank order (every rank gets them)."""
    sums = np.array([total, count], np.float64)
    g = group()
    wait(g.comm.Iallreduce(g.mpi.IN_PLACE, sums, g.mpi.SUM), "all_reduce of the epoch's loss")
    if targets:
        targets = [_gather_rows(np.concatenate(targets))]
        outputs = [_gather_rows(np.concatenate(outputs))]
    return float(sums[0]), int(sums[1]), targets, outputs


def _gather_rows(array):
    """Every rank's ``array`` (same trailing shape, any number of rows), concatenated."""
    g = group()
    rows = np.zeros(g.world_size, np.int64)
    wait(g.comm.Iallgather(np.array([len(array)], np.int64), rows), "all_gather of row counts")
    array = np.ascontiguousarray(array)
    per_row = int(np.prod(array.shape[1:]))
    counts = rows * per_row
    gathered = np.empty((int(rows.sum()),) + array.shape[1:], array.dtype)
    request = g.comm.Iallgatherv(array, [gathered, (counts, np.cumsum(counts) - counts)])
    wait(request, "all_gather of outputs")
    return gathered
