"""DistributedDataParallel: one model, N processes, each on its own part of every batch.

Every rank holds the same weights (rank 0's, broadcast at the start), runs forward and
backward on its own B samples, and then all ranks average their gradients, so each
takes the same optimizer step — that of one process on all N·B samples:

    dW = (1/N) · Σ_r dW_r,    dW_r = ∂L_r/∂W,   L_r = mean loss over rank r's B samples

zennet's engine has no gradient hooks yet, so the average is taken after ``backward``
returns, by an explicit call (PyTorch starts each bucket from a hook during backward)::

    ddp = DistributedDataParallel(model)
    loss = F.cross_entropy(ddp(xb), yb)
    optimizer.zero_grad()
    loss.backward()
    ddp.sync_gradients()        # the one line PyTorch does not need
    optimizer.step()

Trainer calls it itself. Forgetting it is caught: the next forward raises.

The gradients travel in buckets of about ``bucket_cap_mb`` MB (parameters packed last
layer first, the order backward produces them), one all-reduce per bucket, each started
as soon as it is packed so packing the next overlaps the transfer of the last. A
parameter without a gradient on some ranks counts as zero there; one without a gradient
on every rank keeps ``grad = None``, as in a single process.
"""

import contextlib

import numpy as np

from zennet.autograd import Function, is_grad_enabled
from zennet.distributed.collectives import broadcast
from zennet.distributed.group import group, init, wait
from zennet.nn.module import Module
from zennet.tensor import Tensor


class _Bucket:
    """Parameters whose gradients travel in one all-reduce: [grad₀ … grad_k, flag₀ … flag_k]
    in one flat array; flag_i = 1 where the rank has parameter i's gradient, summed too."""

    def __init__(self, params):
        self.params = params
        sizes = [p.data.size for p in params]
        self.bounds = np.cumsum([0] + sizes)  # param i is buffer[bounds[i]:bounds[i+1]]
        self.buffer = np.empty(self.bounds[-1] + len(params), params[0].data.dtype)

    def pack(self):
        flags = self.buffer[self.bounds[-1] :]
        for i, p in enumerate(self.params):
            part = self.buffer[self.bounds[i] : self.bounds[i + 1]]
            if p.grad is None:
                part[...], flags[i] = 0, 0
            else:
                part[...], flags[i] = p.grad.data.reshape(-1), 1
        return self.buffer

    def unpack(self, world_size):
        flags = self.buffer[self.bounds[-1] :]
        for i, p in enumerate(self.params):
            if flags[i] == 0:
                continue  # no rank had a gradient for it
            average = (self.buffer[self.bounds[i] : self.bounds[i + 1]] / world_size).reshape(
                p.data.shape
            )
            if p.grad is None:
                p.grad = Tensor(average)
            else:
                p.grad.data[...] = average


def _buckets(params, cap_bytes):
    """Parameters, last first, cut into runs of one dtype of at most ``cap_bytes`` each
    (a parameter larger than that gets a bucket to itself)."""
    buckets, current, size = [], [], 0
    for p in reversed(params):
        nbytes = p.data.nbytes
        if current and (size + nbytes > cap_bytes or p.data.dtype != current[0].data.dtype):
            buckets.append(_Bucket(current))
            current, size = [], 0
        current.append(p)
        size += nbytes
    if current:
        buckets.append(_Bucket(current))
    return buckets


class _BackwardSeen(Function):
    """y = x  |  dx = dy; tells the wrapper that a backward pass went through its output."""

    def forward(self, x, ddp=None):
        self.ddp = ddp
        return x

    def backward(self, dy):
        self.ddp._unsynced_backward = True
        return dy


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the MPI process group.

    ``ddp(x)`` runs ``module(x)``; ``ddp.module`` is the model; state-dict keys get the
    prefix ``module.`` as in PyTorch. ``broadcast_buffers`` copies rank 0's buffers (batch
    norm's running statistics) to every rank before each training forward, as PyTorch
    does; use :class:`SyncBatchNorm` for batch statistics over all ranks' samples.
    """

    def __init__(
        self,
        module,
        device_ids=None,
        output_device=None,
        broadcast_buffers=True,
        process_group=None,
        bucket_cap_mb=4.0,
        find_unused_parameters=False,
    ):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(
                f"DistributedDataParallel: expected a zennet.nn.Module, got "
                f"{type(module).__name__}."
            )
        if process_group is not None:
            raise NotImplementedError(
                "DistributedDataParallel: process_group is not supported; every rank of "
                "MPI_COMM_WORLD trains the one model."
            )
        if device_ids not in (None, []) or output_device is not None:
            raise NotImplementedError(
                "DistributedDataParallel: device_ids/output_device are for GPUs; zennet runs "
                "on the CPU, leave them out."
            )
        if not bucket_cap_mb > 0:
            raise ValueError(
                f"DistributedDataParallel: bucket_cap_mb must be > 0, got {bucket_cap_mb!r}."
            )
        init()
        self.module = module
        self.broadcast_buffers = broadcast_buffers
        self.bucket_cap_mb = float(bucket_cap_mb)
        self.find_unused_parameters = find_unused_parameters  # accepted: always handled
        self.require_backward_grad_sync = True
        self._unsynced_backward = False
        params = [p for p in module.parameters() if p.requires_grad]
        self._buckets = _buckets(params, int(self.bucket_cap_mb * 2**20))
        for t in list(module.parameters()) + list(module.buffers()):
            broadcast(t, src=0)

    def forward(self, *args, **kwargs):
        if self._unsynced_backward:
            raise RuntimeError(
                "DistributedDataParallel: a backward pass went through the last output but "
                "its gradients were never averaged across ranks. Call ddp.sync_gradients() "
                "after loss.backward() and before optimizer.step() (or wrap the steps that "
                "accumulate gradients in ddp.no_sync())."
            )
        if self.broadcast_buffers and self.training and group().world_size > 1:
            for b in self.module.buffers():
                broadcast(b, src=0)
        out = self.module(*args, **kwargs)
        if self.require_backward_grad_sync and is_grad_enabled():
            out = _mark(out, self)
        return out

    def sync_gradients(self):
        """Average every parameter's gradient over the ranks (call after ``backward``)."""
        g = group()
        self._unsynced_backward = False
        if g.world_size == 1:
            return
        requests = [
            g.comm.Iallreduce(g.mpi.IN_PLACE, bucket.pack(), g.mpi.SUM) for bucket in self._buckets
        ]
        for bucket, request in zip(self._buckets, requests):
            wait(request, "all_reduce of gradients")
            bucket.unpack(g.world_size)

    @contextlib.contextmanager
    def no_sync(self):
        """Gradient accumulation: backward passes inside add to the local gradients only;
        the first synchronized step after it averages the accumulated sums."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous

    def extra_repr(self):
        return f"buckets={len(self._buckets)}, bucket_cap_mb={self.bucket_cap_mb:g}"


def _mark(out, ddp):
    """``out`` with every tensor that requires grad passed through _BackwardSeen."""
    if isinstance(out, Tensor):
        return _BackwardSeen.apply(out, ddp=ddp) if out.requires_grad else out
    if isinstance(out, (tuple, list)):
        return type(out)(_mark(o, ddp) for o in out)
    return out
