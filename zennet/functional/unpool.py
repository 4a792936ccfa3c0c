"""Where the maxima of a max pool came from, and back: the indices of
F.max_pool1d/2d/3d(return_indices=True) and F.max_unpool1d/2d/3d, which puts each value at its
index of a zero map (the scatter below is the one private op it needs)."""

import itertools

import numpy as np

from zennet.autograd import Function
from zennet.functional._util import as_tensor, module_of
from zennet.functional.conv import ntuple
from zennet.functional.shape import reshape


def max_indices(x, kernel, stride, padding, dilation, out):
    """For each window of the max pool, the flat index (over the spatial dims) of its
    first maximum: (N, C, *out) int64. Padding never wins (it is -inf)."""
    data = x.numpy()  # indices are bookkeeping, found on the host
    spatial = data.shape[2:]
    flat = data.reshape(data.shape[:2] + (-1,))
    candidates = []  # for each kernel offset: the flat position it reads, or -1 outside
    for offset in itertools.product(*(range(k) for k in kernel)):
        coords = np.meshgrid(
            *(
                np.arange(o) * s - p + a * d
                for o, s, p, a, d in zip(out, stride, padding, offset, dilation)
            ),
            indexing="ij",
        )
        inside = np.all([(c >= 0) & (c < n) for c, n in zip(coords, spatial)], axis=0)
        position = np.ravel_multi_index(
            [np.clip(c, 0, n - 1) for c, n in zip(coords, spatial)], spatial
        )
        candidates.append(np.where(inside, position, -1))
    candidates = np.stack(candidates, -1).reshape(-1, len(candidates))  # (cells, K)
    values = np.where(candidates >= 0, flat[..., np.clip(candidates, 0, None)], -np.inf)
    best = values.argmax(-1)  # (N, C, cells): the first maximum, as PyTorch
    index = np.take_along_axis(candidates[None, None], best[..., None], -1)[..., 0]
    return x.device.put(index.reshape(data.shape[:2] + tuple(out)).astype(np.int64))


class _Scatter(Function):
    """y = zeros(N, C, size) with y[n, c, i[n, c, j]] = v[n, c, j]   |   dv = dy[n, c, i]"""

    def forward(self, v, index, size):
        self.index = index
        y = self.xp.zeros(v.shape[:2] + (size,), dtype=v.dtype)
        self.xp.put_along_axis(y, index, v, axis=-1)
        return y

    def backward(self, dy):
        return self.xp.take_along_axis(dy, self.index, axis=-1)


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    x = as_tensor(input)
    kernel = ntuple(op, "kernel_size", kernel_size, nd, minimum=1)
    stride = kernel if stride is None else ntuple(op, "stride", stride, nd, minimum=1)
    padding = ntuple(op, "padding", padding, nd)
    default = tuple(
        (n - 1) * s - 2 * p + k for n, s, p, k in zip(x.shape[-nd:], stride, padding, kernel)
    )
    sizes = default if output_size is None else tuple(output_size)[-nd:]
    for d, (size, n, s) in enumerate(zip(sizes, default, stride)):
        if not n - s < size < n + s:  # PyTorch's rule
            raise ValueError(
                f"{op}: output_size {tuple(output_size)} is invalid: dim {d} must be between "
                f"{n - s} and {n + s} (exclusive) for input of shape {x.shape}."
            )
    batched = x.ndim == nd + 2
    lead = x.shape[:2] if batched else (1, x.shape[0])
    index = (
        module_of(x).asarray(np.asarray(getattr(indices, "data", indices))).reshape(lead + (-1,))
    )
    v = reshape(x, lead + (-1,))
    total = int(np.prod(sizes))
    if index.size and (index.min() < 0 or index.max() >= total):
        raise ValueError(f"{op}: an index is out of range for output size {sizes}.")
    y = _Scatter.apply(v, index=index, size=total)
    return reshape(y, (x.shape[:2] if batched else x.shape[:1]) + sizes)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool1d: each value at its index, zeros elsewhere."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool2d: each value at its index of an (H, W) map, zeros elsewhere."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The inverse of max_pool3d: each value at its index of a (D, H, W) map, zeros elsewhere."""
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding, output_size)
