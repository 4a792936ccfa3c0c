"""Matrix products: the Z = W·A + b of every dense layer."""

import numpy as np

from zennet.autograd import Function, unbroadcast
from zennet.kernels import MIN_SPLIT, kernel, matmul
from zennet.ops.reduce import Sum
from zennet.ops.shape import Permute, Reshape
from zennet.tensor import sum_to_shape


class MatMul(Function):
    """y = a @ b   |   da = dy @ bᵀ,  db = aᵀ @ dy

    1-D operands and batch broadcasting follow NumPy."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return matmul(a, b)

    def backward(self, dy):
        xp = self.xp
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a  # (m, k): a vector is one row
        b2 = b[:, None] if b.ndim == 1 else b  # (k, n): a vector is one column
        if b.ndim == 1:  # first: a dot product's dy is 0-d
            dy = xp.expand_dims(dy, -1)
        if a.ndim == 1:
            dy = xp.expand_dims(dy, -2)
        da = db = None
        if self.needs_input_grad[0]:
            da = unbroadcast(matmul(dy, xp.swapaxes(b2, -1, -2)), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            db = unbroadcast(matmul(xp.swapaxes(a2, -1, -2), dy), b2.shape).reshape(b.shape)
        return da, db

    def backward_graph(self, dy, y):
        a, b = self.parents
        a2 = Reshape.apply(a, shape=(1,) + a.shape) if a.ndim == 1 else a  # (m, k)
        b2 = Reshape.apply(b, shape=b.shape + (1,)) if b.ndim == 1 else b  # (k, n)
        if b.ndim == 1:  # first: a dot product's dy is 0-d
            dy = Reshape.apply(dy, shape=dy.shape + (1,))
        if a.ndim == 1:
            dy = Reshape.apply(dy, shape=dy.shape[:-1] + (1,) + dy.shape[-1:])
        da = db = None
        if self.needs_input_grad[0]:
            da = sum_to_shape(MatMul.apply(dy, _swap_last(b2)), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            db = sum_to_shape(MatMul.apply(_swap_last(a2), dy), b2.shape).reshape(b.shape)
        return da, db


def column_sums(x):
    """Σ over the rows of x (m, n): on a large x by the compiled kernel when it runs (float64
    sums, cut across zennet's threads), else NumPy's sum."""
    large = x.size >= MIN_SPLIT and x.flags.c_contiguous
    run = kernel("column_sums", x) if large else None
    if run is None:
        return x.sum(axis=0)
    sums = np.zeros(x.shape[1])
    run(x, sums)
    return sums.astype(x.dtype)


class Linear(Function):
    """Z = A @ Wᵀ + b   |   dA = dZ @ W,  dW = dZᵀ @ A,  db = Σ_rows dZ

    A (..., in), W (out, in), b (out,) or None -> Z (..., out). This is the primer's
    Z = W·A + b with samples as rows; dW and db are summed over the batch (the loss's
    mean supplies the 1/m of dW = (1/m)·dZ·Aᵀ).
    """

    reaches_blas = False  # a 2-d matmul: kernels.matmul holds BLAS where it must

    def forward(self, a, w, b=None):
        self.a, self.w = a, w
        # every leading axis is a sample: one (m, in) GEMM, 15-25% faster than NumPy's
        # batched matmul over the leading axes of a 3-D input (docs/performance.md)
        rows = a if a.ndim == 2 else a.reshape(-1, a.shape[-1])  # (m, in)
        z = matmul(rows, w.T, bias=b)  # (m, out)
        return z if a.ndim == 2 else z.reshape(a.shape[:-1] + (w.shape[0],))  # (..., out)

    def backward(self, dz):
        a, w = self.a, self.w
        need_a, need_w, need_b = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        dz2 = dz.reshape(-1, dz.shape[-1])  # (m, out), every leading axis is a sample
        da = matmul(dz2, w).reshape(a.shape) if need_a else None  # (..., in)
        dw = matmul(dz2.T, a.reshape(-1, a.shape[-1])) if need_w else None  # (out, in)
        db = column_sums(dz2) if need_b else None  # (out,)
        return da, dw, db

    def backward_graph(self, dz, z):
        a, w = self.parents[:2]
        need_a, need_w, need_b = self.needs_input_grad + (False,) * (3 - len(self.needs_input_grad))
        dz2 = Reshape.apply(dz, shape=(-1, dz.shape[-1]))  # (m, out)
        a2 = Reshape.apply(a, shape=(-1, a.shape[-1]))  # (m, in)
        da = Reshape.apply(MatMul.apply(dz2, w), shape=a.shape) if need_a else None
        dw = MatMul.apply(_swap_last(dz2), a2) if need_w else None  # (out, in)
        db = Sum.apply(dz2, axis=0) if need_b else None  # (out,)
        return da, dw, db


def _swap_last(t):
    """A Tensor with its last two axes swapped (differentiable)."""
    axes = tuple(range(t.ndim - 2)) + (t.ndim - 1, t.ndim - 2)
    return Permute.apply(t, axes=axes)


def _mT(xp, a):
    return xp.swapaxes(a, -1, -2)


class Inv(Function):
    """Y = A⁻¹   |   dA = -Yᵀ dY Yᵀ"""

    def forward(self, a):
        self.y = self.xp.linalg.inv(a)
        return self.y

    def backward(self, dy):
        yt = _mT(self.xp, self.y)
        return -(yt @ dy @ yt)


class SlogDet(Function):
    """(sign, ln|det A|)   |   dA = d(ln|det|) · A⁻ᵀ (the sign has no gradient)"""

    def forward(self, a):
        xp = self.xp
        self.a = a
        sign, self.logabs = xp.linalg.slogdet(a)
        return xp.stack([sign, self.logabs])

    def backward(self, dy):
        xp = self.xp
        return dy[1][..., None, None] * _mT(xp, xp.linalg.inv(self.a))


class Det(Function):
    """y = det A   |   dA = dy · y · A⁻ᵀ"""

    def forward(self, a):
        self.a = a
        self.y = self.xp.linalg.det(a)
        return self.y

    def backward(self, dy):
        xp = self.xp
        return (dy * self.y)[..., None, None] * _mT(xp, xp.linalg.inv(self.a))


class Solve(Function):
    """X = A⁻¹ B   |   dB = A⁻ᵀ dX,  dA = -dB Xᵀ   (B (..., n, k), or (..., n) as a vector)"""

    def forward(self, a, b, vector=False):
        xp = self.xp
        self.a, self.vector = a, vector
        self.x = xp.linalg.solve(a, b[..., None] if vector else b)  # (..., n, k)
        return self.x[..., 0] if vector else self.x

    def backward(self, dx):
        xp = self.xp
        dx = dx[..., None] if self.vector else dx
        db = xp.linalg.solve(_mT(xp, self.a), dx)  # (..., n, k)
        da = -(db @ _mT(xp, self.x))
        return da, (db[..., 0] if self.vector else db)
