"""Matrix and vector products beyond matmul: mm, mv, bmm, dot, outer, inner, addmm and
friends, kron, tensordot. All are composites of matmul (ops/linalg.py), mul and add."""

import math
from collections import namedtuple

import numpy as np

from zennet.functional._util import as_tensor, module_of
from zennet.functional.arith import add, matmul, mul, sub, where
from zennet.functional.decomposition import (  # noqa: F401 (zn.linalg.NAME)
    cholesky_ex,
    eigvalsh,
    lstsq,
    matrix_rank,
    pinv,
    svdvals,
)
from zennet.functional.decomposition import linalg_cholesky as cholesky  # noqa: F401
from zennet.functional.decomposition import linalg_eigh as eigh  # noqa: F401
from zennet.functional.decomposition import linalg_qr as qr  # noqa: F401
from zennet.functional.decomposition import linalg_svd as svd  # noqa: F401
from zennet.functional.shape import cat
from zennet.functional.solvers import (  # noqa: F401 (zn.linalg.NAME)
    diagonal,
    solve_triangular,
    tensorinv,
    tensorsolve,
    vander,
)
from zennet.ops import linalg as la
from zennet.ops.einsum import Einsum, parse_equation
from zennet.tensor import Tensor, tensor_method

__all__ = [
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "dot", "einsum", "inner", "kron",
    "mm", "mv", "outer", "ger", "tensordot", "vdot", "cdist", "cross", "matrix_power", "det",
    "logdet", "slogdet", "inverse",
]  # fmt: skip


def _need(name, x, ndim):
    x = as_tensor(x)
    if x.ndim != ndim:
        raise ValueError(f"{name}: expected a {ndim}-D tensor, got shape {x.shape}.")
    return x


@tensor_method
def mm(a, b):
    """(n, k) @ (k, m) -> (n, m)."""
    return matmul(_need("mm", a, 2), _need("mm", b, 2))


@tensor_method
def mv(a, v):
    """(n, k) @ (k,) -> (n,)."""
    return matmul(_need("mv", a, 2), _need("mv", v, 1))


@tensor_method
def bmm(a, b):
    """(B, n, k) @ (B, k, m) -> (B, n, m), no broadcasting of B."""
    a, b = _need("bmm", a, 3), _need("bmm", b, 3)
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"bmm: batch sizes differ: {a.shape} and {b.shape}.")
    return matmul(a, b)


@tensor_method("dot", "vdot")
def dot(a, b):
    """Σ a_i b_i of two 1-D tensors (vdot: the same for real numbers)."""
    return matmul(_need("dot", a, 1), _need("dot", b, 1))


vdot = dot


@tensor_method("outer", "ger")
def outer(a, b):
    """a_i b_j: (n,) and (m,) -> (n, m)."""
    return mul(_need("outer", a, 1).reshape(-1, 1), _need("outer", b, 1).reshape(1, -1))


ger = outer


@tensor_method
def inner(a, b):
    """Σ over the last dimension of both: (..., k) and (..., k) -> a's and b's leading dims."""
    a, b = as_tensor(a), as_tensor(b)
    if a.ndim == 0 or b.ndim == 0:
        return mul(a, b)
    return tensordot(a, b, ([-1], [-1]))


def _scaled_sum(x, product, beta, alpha):
    """beta · x + alpha · product (beta = 0 ignores x, NaN included, as PyTorch)."""
    product = product if alpha == 1 else mul(product, alpha)
    if beta == 0:
        return product
    return add(x if beta == 1 else mul(x, beta), product)


@tensor_method
def addmm(x, a, b, beta=1, alpha=1):
    """beta · x + alpha · (a @ b)."""
    return _scaled_sum(x, mm(a, b), beta, alpha)


@tensor_method
def addmv(x, a, v, beta=1, alpha=1):
    return _scaled_sum(x, mv(a, v), beta, alpha)


@tensor_method
def addr(x, a, b, beta=1, alpha=1):
    return _scaled_sum(x, outer(a, b), beta, alpha)


@tensor_method
def baddbmm(x, a, b, beta=1, alpha=1):
    return _scaled_sum(x, bmm(a, b), beta, alpha)


@tensor_method
def addbmm(x, a, b, beta=1, alpha=1):
    """beta · x + alpha · Σ_b (a_b @ b_b)."""
    return _scaled_sum(x, bmm(a, b).sum(0), beta, alpha)


def tensordot(a, b, dims=2):
    """Σ over a's last ``dims`` dimensions and b's first ones (or the listed pairs)."""
    a, b = as_tensor(a), as_tensor(b)
    if isinstance(dims, int):
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    dims_a = [d % a.ndim for d in dims_a]
    dims_b = [d % b.ndim for d in dims_b]
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    if [a.shape[d] for d in dims_a] != [b.shape[d] for d in dims_b]:
        raise NotImplementedError(
            f"tensordot: contracted dimensions of sizes {[a.shape[d] for d in dims_a]} and "
            f"{[b.shape[d] for d in dims_b]} differ; broadcasting size-1 dims is not supported."
        )
    k = 1
    for d in dims_a:
        k *= a.shape[d]
    left = a.permute(*free_a, *dims_a).reshape(-1, k)  # (free_a, k)
    right = b.permute(*dims_b, *free_b).reshape(k, -1)  # (k, free_b)
    shape = tuple(a.shape[d] for d in free_a) + tuple(b.shape[d] for d in free_b)
    return matmul(left, right).reshape(shape)


@tensor_method
def kron(a, b):
    """The Kronecker product: every a_ij scaling a copy of b."""
    a, b = as_tensor(a), as_tensor(b)
    n = max(a.ndim, b.ndim)
    a = a.reshape((1,) * (n - a.ndim) + a.shape)
    b = b.reshape((1,) * (n - b.ndim) + b.shape)
    inter_a, inter_b = [], []
    for sa, sb in zip(a.shape, b.shape):
        inter_a += [sa, 1]
        inter_b += [1, sb]
    out = mul(a.reshape(inter_a), b.reshape(inter_b))
    return out.reshape(tuple(sa * sb for sa, sb in zip(a.shape, b.shape)))


def einsum(equation, *operands):
    """Einstein summation, as torch.einsum: ``einsum("bij,bjk->bik", a, b)``; the operands
    may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    operands = [as_tensor(x) for x in operands]
    inputs, output = parse_equation(equation, [x.ndim for x in operands])
    return Einsum.apply(*operands, inputs=inputs, output=output)


# ---------------------------------------------------------------- zn.linalg


def vector_norm(x, ord=2, dim=None, keepdim=False, dtype=None):
    """(Σ |x|^ord)^(1/ord) over dim (all elements by default); ord may be inf, -inf or 0."""
    x = as_tensor(x) if dtype is None else as_tensor(x).to(dtype)
    a = x.abs()
    if ord == math.inf:
        return a.amax(dim, keepdim)
    if ord == -math.inf:
        return a.amin(dim, keepdim)
    if ord == 0:
        return (a != 0).to(x.dtype).sum(dim, keepdim)
    if ord == 1:
        return a.sum(dim, keepdim)
    if ord == 2:  # √(Σ x²): its gradient x / ‖x‖, and 0 at x = 0 as PyTorch
        return _pow_at_zero(mul(x, x).sum(dim, keepdim), 0.5)
    return _pow_at_zero(_pow_at_zero(a, ord).sum(dim, keepdim), 1.0 / ord)


def _pow_at_zero(t, exponent):
    """t ** exponent with value and gradient 0 where t = 0 (PyTorch's subgradient there)."""
    zero = t == 0  # a traced comparison: zn.onnx.export follows it
    if not zero.any():
        return t**exponent
    return where(zero, 0, where(zero, 1, t) ** exponent)


def matrix_norm(x, ord="fro", dim=(-2, -1), keepdim=False, dtype=None):
    """The Frobenius norm, or ord = 1 / -1 / inf / -inf (largest/smallest column or row sum)."""
    x = as_tensor(x) if dtype is None else as_tensor(x).to(dtype)
    d0, d1 = dim
    if ord == "fro":
        return vector_norm(x, 2, dim, keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        along, across = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = x.abs().sum(along, keepdim=True)
        out = sums.amax(across, keepdim=True) if ord > 0 else sums.amin(across, keepdim=True)
        return out if keepdim else out.squeeze(tuple(sorted({d0 % x.ndim, d1 % x.ndim})))
    if ord in ("nuc", 2, -2):  # from the singular values: their sum, largest or smallest
        d0, d1 = sorted((d0 % x.ndim, d1 % x.ndim))
        s = svdvals(x.movedim((d0, d1), (-2, -1)))  # (..., k)
        out = s.sum(-1) if ord == "nuc" else s.amax(-1) if ord == 2 else s.amin(-1)
        return out.unsqueeze(d0).unsqueeze(d1) if keepdim else out
    raise ValueError(
        f"matrix_norm: ord={ord!r} is not a matrix norm; use 'fro', 'nuc', 1, -1, 2, -2, "
        f"inf or -inf."
    )


def cond(A, p=None):
    """The condition number: σ_max / σ_min (p = None or 2), σ_min / σ_max (p = -2), or
    ‖A‖_p·‖A⁻¹‖_p for the other matrix norms (square A)."""
    if p in (None, 2, -2):
        s = svdvals(A)
        big, small = s[..., 0], s[..., -1]
        return big / small if p != -2 else small / big
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


def norm(x, ord=None, dim=None, keepdim=False, dtype=None):
    """zn.linalg.norm: a vector norm for 1-D (or one dim), a matrix norm for 2-D (or two)."""
    x = as_tensor(x)
    if isinstance(dim, int):
        dim = (dim,)
    if ord is None:
        return vector_norm(x, 2, dim, keepdim, dtype=dtype)
    if (dim is not None and len(dim) == 2) or (dim is None and x.ndim == 2):
        return matrix_norm(x, ord, dim or (-2, -1), keepdim, dtype=dtype)
    return vector_norm(x, ord, dim, keepdim, dtype=dtype)


def inv(a):
    """A⁻¹ of a square matrix (or a batch of them)."""
    return la.Inv.apply(_square("inv", a))


def det(a):
    return la.Det.apply(_square("det", a))


def slogdet(a):
    """(sign, ln|det A|)."""
    both = la.SlogDet.apply(_square("slogdet", a))
    return SignLogAbsDet(both[0].detach(), both[1])


def logdet(a):
    """ln det A (NaN for a negative determinant)."""
    sign, logabs = slogdet(a)
    return where(sign.data < 0, math.nan, where(sign.data == 0, -math.inf, logabs))


def solve(a, b, left=True):
    """X with A X = B; B may be a vector (..., n) or matrices (..., n, k)."""
    if not left:
        raise NotImplementedError("solve: left=False is not supported; transpose instead.")
    a, b = _square("solve", a), as_tensor(b)
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    return la.Solve.apply(a, b, vector=vector)


def inv_ex(A, *, check_errors=False):
    """(A⁻¹, info) with info = 0; a singular A is refused (PyTorch: info > 0, no inverse)."""
    return InvEx(_nonsingular("inv_ex", lambda: inv(A)), _info(A))


def solve_ex(A, B, *, left=True, check_errors=False):
    """(X, info) with A X = B and info = 0; a singular A is refused."""
    return SolveEx(_nonsingular("solve_ex", lambda: solve(A, B, left=left)), _info(A))


def _info(a):
    return Tensor._from_op(module_of(a).zeros(as_tensor(a).shape[:-2], np.int32), None)


def _nonsingular(op, compute):
    try:
        return compute()
    except np.linalg.LinAlgError:
        raise NotImplementedError(
            f"linalg.{op}: a singular matrix (info > 0 in PyTorch, with no usable result) "
            f"is not supported; check it with linalg.matrix_rank first."
        ) from None


def matrix_power(a, n):
    """A^n by repeated products (n < 0 inverts first)."""
    a = _square("matrix_power", a)
    if n < 0:
        a, n = inv(a), -n
    result = None
    for _ in range(n):
        result = a if result is None else matmul(result, a)
    if result is None:
        return a.new_zeros(a.shape) + module_of(a).eye(a.shape[-1], dtype=a.dtype)
    return result * 1 if result is a else result


def multi_dot(tensors):
    """A @ B @ C ... of a list (a 1-D first or last one is a row or column vector)."""
    out = tensors[0]
    for t in tensors[1:]:
        out = matmul(out, t)
    return out


def cross(a, b, dim=-1):
    """The cross product of 3-vectors along dim."""
    a, b = as_tensor(a), as_tensor(b)
    if dim is None:
        dim = next(i for i, n in enumerate(a.shape) if n == 3)
    parts_a = [a.select(dim, i).unsqueeze(dim) for i in range(3)]
    parts_b = [b.select(dim, i).unsqueeze(dim) for i in range(3)]
    return cat(
        [
            sub(
                mul(parts_a[(i + 1) % 3], parts_b[(i + 2) % 3]),
                mul(parts_a[(i + 2) % 3], parts_b[(i + 1) % 3]),
            )
            for i in range(3)
        ],
        dim,
    )


def vecdot(a, b, dim=-1):
    return mul(a, b).sum(dim)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M)."""
    diff = sub(as_tensor(x1).unsqueeze(-2), as_tensor(x2).unsqueeze(-3))  # (..., P, R, M)
    return vector_norm(diff, p, (-1,))


SignLogAbsDet = namedtuple("SignLogAbsDet", ["sign", "logabsdet"])
InvEx = namedtuple("InvEx", ["inverse", "info"])
SolveEx = namedtuple("SolveEx", ["result", "info"])
inverse = inv


def _square(op, a):
    a = as_tensor(a)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: expected square matrices (..., n, n), got shape {a.shape}.")
    return a
