"""More of ``zn.linalg`` as composites of primitives: solve_triangular (and the older
``zn.triangular_solve``), diagonal, vander, tensorinv and tensorsolve (re-exported by
functional/linalg.py). Their gradients are those of the primitives they
are made of (ops/linalg.py's Solve and Inv, triu/tril, cumprod), which are PyTorch's."""

import math
from collections import namedtuple

from zennet.functional._util import as_tensor, module_of
from zennet.functional.arith import add, mul, sub
from zennet.functional.shape import cat
from zennet.functional.structure import cumprod, diag_embed, tril, triu
from zennet.functional.structure import diagonal as _diagonal
from zennet.ops import linalg as la
from zennet.tensor import Tensor

__all__ = ["triangular_solve"]  # zn.NAME (PyTorch's older function)

TriangularSolve = namedtuple("TriangularSolve", ["solution", "cloned_coefficient"])


def _triangle(a, upper, unitriangular):
    """The triangle of A that a triangular solver reads (ones on the diagonal if unit)."""
    t = triu(a) if upper else tril(a)
    if unitriangular:  # the diagonal is 1 and takes no gradient
        ones = module_of(a).ones(a.shape[:-1], a.dtype)
        t = add(sub(t, diag_embed(_diagonal(t, 0, -2, -1))), diag_embed(ones))
    return t


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with A X = B (or X A = B when left=False) for triangular A; only the upper or
    lower triangle of A is read. Its gradient for A lies in that triangle (PyTorch's)."""
    a, b = as_tensor(A), as_tensor(B)
    if a.ndim < 2 or a.shape[-1] != a.shape[-2] or b.ndim < 2:
        raise ValueError(
            f"linalg.solve_triangular: expected square A (..., n, n) and B (..., n, k), got "
            f"{a.shape} and {b.shape}."
        )
    t = _triangle(a, upper, unitriangular)
    if left:
        return la.Solve.apply(t, b, vector=False)
    return la.Solve.apply(t.mT, b.mT, vector=False).mT  # X A = B  <=>  Aᵀ Xᵀ = Bᵀ


def triangular_solve(b, A, upper=True, transpose=False, unitriangular=False):
    """torch.triangular_solve: (X with op(A) X = b, a copy of A), op(A) = Aᵀ if transpose."""
    a = as_tensor(A)
    t = _triangle(a, upper, unitriangular)
    solution = la.Solve.apply(t.mT if transpose else t, as_tensor(b), vector=False)
    return TriangularSolve(solution, mul(a, 1))


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonals of the matrices in the last two dimensions (a last dimension)."""
    return _diagonal(A, offset, dim1, dim2)


def vander(x, N=None):
    """The Vandermonde matrix (..., n, N): columns x⁰, x¹, ..., x^(N-1), as a running
    product (so its gradient at x = 0 is finite)."""
    x = as_tensor(x)
    x = x.reshape(1) if x.ndim == 0 else x  # a number is a 1-element vector, as in PyTorch
    n = x.shape[-1] if N is None else N
    ones = Tensor._from_op(module_of(x).ones(x.shape + (1,), x.dtype), None)  # (..., n, 1)
    if n <= 1:
        return ones[..., :n]
    columns = x.unsqueeze(-1).expand(*x.shape, n - 1)  # (..., n, N - 1)
    return cumprod(cat([ones, columns], -1), -1)


def tensorinv(A, ind=2):
    """The inverse of A seen as a map from its last dims to its first ``ind``:
    tensordot(tensorinv(A), A, ind) is the identity."""
    a = as_tensor(A)
    rows, columns = a.shape[:ind], a.shape[ind:]
    if math.prod(rows) != math.prod(columns):
        raise ValueError(
            f"linalg.tensorinv: the first {ind} dims {rows} and the rest {columns} of A must "
            f"have the same number of elements."
        )
    square = a.reshape(math.prod(rows), math.prod(columns))
    return la.Inv.apply(square).reshape(*columns, *rows)


def tensorsolve(A, B, dims=None):
    """X with tensordot(A, X, X.ndim) = B: A's dims after B's are X's shape."""
    a, b = as_tensor(A), as_tensor(B)
    if dims is not None:
        dims = [d % a.ndim for d in dims]
        a = a.permute(*[d for d in range(a.ndim) if d not in dims], *dims)
    shape = a.shape[b.ndim :]
    x = la.Solve.apply(a.reshape(b.numel(), math.prod(shape)), b.reshape(-1), vector=True)
    return x.reshape(shape)
