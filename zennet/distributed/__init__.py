"""Data-parallel training over MPI: ``mpiexec -n 4 python train.py`` (optional extra ``mpi``).

    import zennet.distributed as dist
    dist.init()                                       # rank, world size from MPI
    model = dist.DistributedDataParallel(model)       # rank 0's weights everywhere
    sampler = dist.DistributedSampler(dataset)        # each rank its own shard
    ...loss.backward(); model.sync_gradients(); optimizer.step()

Importing this package does not import mpi4py; ``init()`` does (and starts MPI).
See docs/distributed.md.
"""

from zennet.distributed.collectives import ReduceOp, all_gather, all_reduce, barrier, broadcast
from zennet.distributed.ddp import DistributedDataParallel
from zennet.distributed.group import (
    get_local_rank,
    get_rank,
    get_world_size,
    init,
    is_initialized,
    is_main_process,
)
from zennet.distributed.sampler import DistributedSampler
from zennet.distributed.sync_batchnorm import SyncBatchNorm
