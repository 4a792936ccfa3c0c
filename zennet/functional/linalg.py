"""Matrix and vector products beyond matmul: mm, mv, bmm, dot, outer, inner, addmm and
friends, kron, tensordot. All are composites of matmul (ops/linalg.py), mul and add."""

from zennet.functional._util import as_tensor
from zennet.functional.arith import add, matmul, mul
from zennet.tensor import tensor_method

__all__ = [
    "addbmm", "addmm", "addmv", "addr", "baddbmm", "bmm", "dot", "inner", "kron", "mm", "mv",
    "outer", "ger", "tensordot", "vdot",
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
