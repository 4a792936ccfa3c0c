"""SyncBatchNorm: batch norm whose batch statistics are those of every rank's samples.

With N ranks of B samples each, plain batch norm normalises each rank's B samples by
their own mean and variance (PyTorch's default under DDP). SyncBatchNorm uses the
statistics of all N·B samples, so N processes compute what one process would on the
whole batch. Each rank sends its count n_r, mean μ_r and M2_r = Σ (x − μ_r)² per channel
(one all-gather) and all combine them (Chan et al.'s parallel variance):

    n = Σ n_r,   μ = Σ n_r·μ_r / n,   σ² = Σ (M2_r + n_r·(μ_r − μ)²) / n

Backward needs two global sums per channel (one all-reduce), then BatchNorm's formula
with M = n (ops/norm.py)::

    dx = a·dy + b + c·x̂,   a = γ·inv_std,   b = −a·Σ_all dy / n,   c = −a·Σ_all dy·x̂ / n

dγ and dβ stay local sums; DistributedDataParallel averages them with the other gradients.
"""

import numpy as np

from zennet.distributed.group import group, is_initialized, wait
from zennet.functional.nn import _update_running
from zennet.nn.norm import _BatchNorm
from zennet.ops import norm


def _global_stats(x):
    """Mean and biased variance (C,) over all ranks' samples, and the total count."""
    g = group()
    count = x.size // x.shape[1]
    mean = norm.channel_sum(x) / count
    centered = x - mean.reshape((1, -1) + (1,) * (x.ndim - 2))
    local = np.concatenate([[count], mean, norm.channel_dot(centered, centered)])
    gathered = np.empty((g.world_size, local.size), np.float64)  # (ranks, 1 + 2C)
    wait(g.comm.Iallgather(local.astype(np.float64), gathered), "SyncBatchNorm statistics")
    counts, means, m2 = (
        gathered[:, :1],
        gathered[:, 1 : 1 + x.shape[1]],
        gathered[:, 1 + x.shape[1] :],
    )
    total = counts.sum()
    if total < 2:
        raise ValueError(
            f"SyncBatchNorm: expected more than 1 value per channel over all ranks, got "
            f"{int(total)}. Use larger batches, or call model.eval()."
        )
    mu = (counts * means).sum(axis=0) / total
    var = (m2 + counts * (means - mu) ** 2).sum(axis=0) / total
    return mu.astype(x.dtype), var.astype(x.dtype), int(total)


class SyncBatchNormOp(norm.BatchNorm):
    """BatchNorm (ops/norm.py) with statistics, and their gradients, over every rank."""

    compiled = False  # its backward reads x̂, which the compiled forward does not keep

    def forward(self, x, weight=None, bias=None, mean=None, var=None, eps=1e-5, count=None):
        self.count = count
        return super().forward(x, weight, bias, mean=mean, var=var, eps=eps, batch_stats=True)

    def backward(self, dy):
        g = group()
        c = dy.shape[1]
        sums = np.concatenate([norm.channel_sum(dy), norm.channel_dot(dy, self.xhat)])  # (2C,)
        local_db, local_dw = sums[:c].copy(), sums[c:].copy()
        wait(g.comm.Iallreduce(g.mpi.IN_PLACE, sums, g.mpi.SUM), "SyncBatchNorm gradients")
        need_w, need_b = norm._wanted(self)
        dw, db = (local_dw if need_w else None), (local_db if need_b else None)
        if not self.needs_input_grad[0]:
            return None, dw, db
        a = self.inv_std  # a = γ · inv_std, shaped to broadcast over (N, C, *)
        if self.weight is not None:
            a = self.weight.reshape(a.shape) * a
        dx = self.xhat * (-a * sums[c:].reshape(a.shape) / self.count)  # c · x̂
        dx += -a * sums[:c].reshape(a.shape) / self.count  # + b
        dx += dy * a
        return dx, dw, db


class SyncBatchNorm(_BatchNorm):
    """Batch norm over (N, C, *) with the statistics of all ranks' batches when training
    in a process group of more than one; otherwise exactly BatchNorm1d/2d.

    ``SyncBatchNorm.convert_sync_batchnorm(model)`` swaps every BatchNorm of a model for
    one (weights and running statistics kept), as in PyTorch.
    """

    expected_ndims, layout = (2, 3, 4, 5), "(batch, {c}, *)"

    def forward(self, x):
        if not (self.training and is_initialized() and group().world_size > 1):
            return super().forward(x)
        x = self._check_input(x)
        mean, var, count = _global_stats(x.data)
        if self.track_running_stats:
            self.num_batches_tracked.data += 1
            factor = self.momentum
            if factor is None:
                factor = 1.0 / float(self.num_batches_tracked.data)
            _update_running(self.running_mean, self.running_var, mean, var, factor, count)
        return SyncBatchNormOp.apply(
            x, self.weight, self.bias, mean=mean, var=var, eps=self.eps, count=count
        )

    @classmethod
    def convert_sync_batchnorm(cls, module):
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm sharing its
        parameters and buffers (a BatchNorm passed in itself comes back converted)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, cls):
            sync = cls(
                module.num_features, module.eps, module.momentum, module.affine,
                module.track_running_stats, bias=module.bias is not None,
            )  # fmt: skip
            for name in ("weight", "bias"):
                setattr(sync, name, getattr(module, name))
            for name, buffer in module._buffers.items():
                sync.register_buffer(name, buffer)
            sync.train(module.training)
            return sync
        for name, child in list(module._modules.items()):
            if child is not None:
                module._modules[name] = cls.convert_sync_batchnorm(child)
        return module
