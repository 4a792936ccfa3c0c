"""What each rank runs in the MPI tests: ``mpiexec -n 2 python -m tests.distributed.workers
SCENARIO OUT_DIR``. Rank r writes ``OUT_DIR/rank{r}.npz``; the tests compare the files with
the same training run in one process (``train(SCENARIO, distributed=False)``)."""

import contextlib
import os
import signal
import sys
import time

import numpy as np

import zennet as zn
import zennet.distributed as dist
import zennet.functional as F
from zennet import nn, optim
from zennet.data import DataLoader, TensorDataset

GLOBAL_BATCH, STEPS = 64, 20
SAMPLES = GLOBAL_BATCH * 10  # 10 steps per epoch, 2 epochs


BATCH_NORMS = {
    "syncbn": (dist.SyncBatchNorm, nn.BatchNorm1d),
    "localbn": (nn.BatchNorm1d, nn.BatchNorm1d),
}


def data():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(SAMPLES, 12))
    y = (x[:, :3].sum(axis=1) > 0).astype(np.int64) + (x[:, 3] > 1)
    return x, y


def model(batch_norm=None):
    """A float64 MLP (no dropout), the same weights on every call."""
    zn.manual_seed(0)
    layers = [nn.Linear(12, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 3)]
    if batch_norm is not None:
        layers.insert(1, batch_norm(32))
    net = nn.Sequential(*layers)
    for t in list(net.parameters()) + list(net.buffers()):
        if t.data.dtype == np.float32:
            t.data = t.data.astype(np.float64)
    return net


def optimizer(name, params):
    if name == "adam":
        return optim.Adam(params, lr=0.01)
    return optim.SGD(params, lr=0.1, momentum=0.9)


def train(scenario, distributed=True):
    """20 steps of the scenario; returns the model's state dict (NumPy arrays)."""
    world = dist.get_world_size() if distributed else 1
    rank = dist.get_rank() if distributed else 0
    norms = BATCH_NORMS.get(scenario)  # (with several ranks, in one process)
    net = model(None if norms is None else norms[0 if distributed else 1])
    wrapped = dist.DistributedDataParallel(net) if distributed else net
    opt = optimizer("adam" if scenario == "adam" else "sgd", wrapped.parameters())
    x, y = data()
    dataset = TensorDataset(x, y)
    sampler = dist.DistributedSampler(dataset, num_replicas=world, rank=rank, seed=3)
    loader = DataLoader(dataset, batch_size=GLOBAL_BATCH // world, sampler=sampler)
    step = 0
    for epoch in range(STEPS * GLOBAL_BATCH // SAMPLES):
        sampler.set_epoch(epoch)
        for xb, yb in loader:
            xb = xb.double()
            opt.zero_grad()
            if scenario == "accumulate":
                accumulate(wrapped, xb, yb, distributed)
            else:
                F.cross_entropy(wrapped(xb), yb).backward()
                if distributed:
                    wrapped.sync_gradients()
            opt.step()
            step += 1
            if scenario in ("kill", "hang") and rank == 1 and step == 3:
                if scenario == "kill":
                    os.kill(os.getpid(), signal.SIGKILL)
                time.sleep(600)
    return net.state_dict()


def accumulate(wrapped, xb, yb, distributed):
    """Two half-batches: the first under no_sync (local gradients only), the second synced."""
    half = len(xb) // 2
    for i, part in enumerate((slice(0, half), slice(half, None))):
        context = wrapped.no_sync() if distributed and i == 0 else contextlib.nullcontext()
        with context:
            (F.cross_entropy(wrapped(xb[part]), yb[part]) / 2).backward()
    if distributed:
        wrapped.sync_gradients()


def collectives():
    """Each collective on rank-dependent data; the results of this rank."""
    rank, world = dist.get_rank(), dist.get_world_size()
    summed = dist.all_reduce(zn.tensor(np.arange(4.0) + rank))
    mean = dist.all_reduce(np.arange(4.0) * (rank + 1), op="mean")
    largest = dist.all_reduce(np.array([rank, -rank], np.int64), op=dist.ReduceOp.MAX)
    sent = dist.broadcast(np.full(3, float(rank)), src=world - 1)
    gathered = dist.all_gather([zn.zeros(2) for _ in range(world)], zn.tensor([rank, 10.0 * rank]))
    dist.barrier()
    return {
        "sum": summed.numpy(),
        "mean": mean,
        "max": largest,
        "broadcast": sent,
        "gathered": np.stack([t.numpy() for t in gathered]),
        "local_rank": np.array(dist.get_local_rank()),
    }


def forgotten_sync():
    """backward and step without sync_gradients: the next forward says what is missing."""
    ddp = dist.DistributedDataParallel(model())
    x, y = (zn.tensor(a[:8]) for a in data())
    F.cross_entropy(ddp(x), y).backward()
    try:
        ddp(x)
    except RuntimeError as err:
        return {"error": np.array(str(err))}
    return {"error": np.array("no error")}


def trainer():
    """Trainer.fit and evaluate with a DistributedDataParallel model (101 evaluation
    samples: slices of 51 and 50)."""
    net = model()
    ddp = dist.DistributedDataParallel(net)
    fit = zn.Trainer(ddp, optim.SGD(ddp.parameters(), lr=0.1), metrics=["accuracy"])
    x, y = data()
    history = fit.fit(x, y, epochs=2, batch_size=16, validation_split=0.25, seed=0, verbose=0)
    evaluation = fit.evaluate(x[:101], y[:101])
    logs = {k: np.array(v) for k, v in history.history.items()}
    return {**net.state_dict(), **logs, **{f"eval_{k}": np.array(v) for k, v in evaluation.items()}}


def main(scenario, out_dir):
    dist.init()
    runs = {"collectives": collectives, "forgotten_sync": forgotten_sync, "trainer": trainer}
    result = runs[scenario]() if scenario in runs else train(scenario)
    np.savez(os.path.join(out_dir, f"rank{dist.get_rank()}.npz"), **result)


if __name__ == "__main__":
    main(*sys.argv[1:3])
