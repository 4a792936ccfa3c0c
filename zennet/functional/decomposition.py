"""Matrix decompositions as PyTorch has them: ``zn.linalg.qr / svd / svdvals / eigh /
eigvalsh / cholesky / cholesky_ex / pinv / lstsq / matrix_rank`` (re-exported by
functional/linalg.py) and the older ``zn.qr / svd / cholesky / pinverse``. Real float32
and float64 matrices, batched over leading axes (..., m, n); the primitives and their
backward formulas are in ops/decomposition.py.

The factors come back as named tuples with PyTorch's field names, each factor a slice of
the op's one packed output (so that gradients of any of them flow back into the op)."""

from collections import namedtuple

import numpy as np

from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import matmul
from zennet.ops import decomposition as dec
from zennet.tensor import Tensor, tensor_method
from zennet.trace import traced

__all__ = ["cholesky", "pinverse", "qr", "svd"]  # zn.NAME (PyTorch's older functions)

QRResult = namedtuple("QRResult", ["Q", "R"])
SVDResult = namedtuple("SVDResult", ["U", "S", "Vh"])
SVDLegacy = namedtuple("SVDLegacy", ["U", "S", "V"])
EighResult = namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
CholeskyEx = namedtuple("CholeskyEx", ["L", "info"])
LstsqResult = namedtuple("LstsqResult", ["solution", "residuals", "rank", "singular_values"])

_DRIVERS = ("gels", "gelsy", "gelsd", "gelss")


def _matrices(op, a, square=False):
    """a as a tensor of real float matrices (..., m, n); a clear error otherwise."""
    a = as_tensor(a)
    kind = a.dtype.kind
    if kind == "c":
        raise NotImplementedError(f"{op}: complex input ({a.dtype}) is not supported.")
    if kind != "f" or a.dtype.itemsize < 4:
        raise TypeError(f"{op}: expected float32 or float64 matrices, got dtype {a.dtype}.")
    if a.ndim < 2:
        raise ValueError(f"{op}: expected a matrix or a batch of them (..., m, n), got {a.shape}.")
    if square and a.shape[-1] != a.shape[-2]:
        raise ValueError(f"{op}: expected square matrices (..., n, n), got shape {a.shape}.")
    return a


def _unpack(packed, batch, shapes):
    """The factors of a packed op output (ops/decomposition.py), each a differentiable slice."""
    out, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        out.append(packed[..., start : start + size].reshape(batch + tuple(shape)))
        start += size
    return out


def _empty(like, dtype=None):
    xp = module_of(like)
    return Tensor._from_op(xp.zeros((0,), dtype or like.dtype), None)


# ---------------------------------------------------------------- zn.linalg


def linalg_qr(A, mode="reduced"):
    """A = Q R: Q (..., m, k) orthonormal columns, R (..., k, n) upper triangular,
    k = min(m, n); mode='complete' gives Q (m, m) and R (m, n), mode='r' only R (Q empty)."""
    a = _matrices("linalg.qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}.")
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = m if mode == "complete" else min(m, n)
    packed = dec.QR.apply(a, mode=mode)
    if mode == "r":
        return QRResult(_empty(a), _unpack(packed, batch, [(k, n)])[0])
    return QRResult(*_unpack(packed, batch, [(m, k), (k, n)]))


def _svd(op, a, full_matrices, driver):
    a = _matrices(op, a)
    if driver is not None:
        raise NotImplementedError(
            f"{op}: driver={driver!r} is not supported (PyTorch's drivers are cuSOLVER's, "
            f"for CUDA inputs only); leave it out."
        )
    batch, (m, n) = a.shape[:-2], a.shape[-2:]
    k = min(m, n)
    shapes = [(m, m if full_matrices else k), (k,), (n if full_matrices else k, n)]
    return SVDResult(*_unpack(dec.SVD.apply(a, full_matrices=full_matrices), batch, shapes))


def linalg_svd(A, full_matrices=True, *, driver=None):
    """A = U diag(S) Vh, S descending: U (..., m, k), S (..., k), Vh (..., k, n) with
    k = min(m, n) (U (m, m) and Vh (n, n) when full_matrices). Signs of the singular
    vectors are LAPACK's and may differ from PyTorch's (it links another LAPACK)."""
    return _svd("linalg.svd", A, full_matrices, driver)


def svdvals(A, *, driver=None):
    """The singular values of A, descending: (..., min(m, n))."""
    return _svd("linalg.svdvals", A, False, driver).S


def linalg_eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix; only
    the UPLO ('L' or 'U') triangle of A is read."""
    a = _matrices("linalg.eigh", A, square=True)
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.eigh: UPLO must be 'L' or 'U', got {UPLO!r}.")
    batch, n = a.shape[:-2], a.shape[-1]
    return EighResult(*_unpack(dec.Eigh.apply(a, uplo=UPLO), batch, [(n,), (n, n)]))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of a symmetric matrix, ascending."""
    return linalg_eigh(A, UPLO).eigenvalues


def linalg_cholesky(A, *, upper=False):
    """L (lower) with A = L Lᵀ, or U = Lᵀ (upper=True), for symmetric positive-definite A."""
    return dec.Cholesky.apply(_matrices("linalg.cholesky", A, square=True), upper=upper)


def cholesky_ex(A, *, upper=False, check_errors=False):
    """(L, info): info = 0 for each factored matrix. A matrix that is not positive-definite
    (info > 0 in PyTorch, with a partial factor) is refused."""
    a = _matrices("linalg.cholesky_ex", A, square=True)
    try:
        low = linalg_cholesky(a, upper=upper)
    except ValueError as error:
        if check_errors:
            raise
        raise NotImplementedError(
            f"{error} linalg.cholesky_ex does not return the partial factor and info > 0 "
            f"of such a matrix."
        ) from None
    info = module_of(a).zeros(a.shape[:-2], np.int32)
    return CholeskyEx(low, Tensor._from_op(info, None))


def _tolerances(a, atol, rtol):
    """PyTorch's rule: rtol = eps·max(m, n) unless atol > 0 is given (then 0)."""
    xp = module_of(a)
    given = atol is not None and bool(xp.any(xp.asarray(array_of(atol)) > 0))
    if rtol is None:
        rtol = 0.0 if given else np.finfo(a.dtype).eps * max(a.shape[-2:])
    atol = 0.0 if atol is None else atol
    return tuple(xp.asarray(array_of(t), dtype=a.dtype) for t in (atol, rtol))


def pinv(A, rcond=None, hermitian=False, *, atol=None, rtol=None):
    """The Moore-Penrose pseudo-inverse (..., n, m); singular values (|eigenvalues| when
    hermitian) at most max(atol, rtol·σ_max) are treated as zero. ``rcond`` is rtol."""
    a = _matrices("linalg.pinv", A, square=hermitian)
    if rcond is not None:
        if rtol is not None:
            raise ValueError("linalg.pinv: give rcond or rtol, not both (rcond is rtol).")
        rtol = rcond
    atol, rtol = _tolerances(a, atol, rtol)
    return dec.Pinv.apply(a, atol=atol, rtol=rtol, hermitian=hermitian)


@traced("matrix_rank")  # computed outside the graph: zn.onnx.export refuses it
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    """The number of singular values (|eigenvalues| when hermitian) above
    max(atol, rtol·σ_max), int64; no gradient."""
    a = _matrices("linalg.matrix_rank", A, square=hermitian).detach()
    atol, rtol = _tolerances(a, atol, rtol)
    xp = module_of(a)
    if hermitian:
        s = xp.abs(xp.linalg.eigh(a.data)[0])
    else:
        s = xp.linalg.svd(a.data, compute_uv=False)
    big = s.max(axis=-1, initial=0)
    rank = (s > xp.maximum(atol, rtol * big)[..., None]).sum(axis=-1)
    return Tensor._from_op(xp.asarray(rank, dtype=np.int64), None)


def lstsq(A, B, rcond=None, *, driver=None):
    """The least-squares solution X of A X ≈ B, as (solution, residuals, rank,
    singular_values) with PyTorch's rules for which are computed (by driver, default
    'gelsy'). X = A⁺ B with the same rank cutoff rcond·σ_max (eps·max(m, n) by default),
    which is the minimum-norm solution every driver but 'gels' returns (and 'gels' too for
    full-rank A); residuals ‖A X - B‖² per column when m > n, the driver is not 'gelsy'
    and every A has full rank. Its gradients are PyTorch's: X's through A⁺ (pinv's
    backward), the residuals' with X held fixed (X minimises them)."""
    a = _matrices("linalg.lstsq", A)
    b = as_tensor(B)
    if driver not in (None, *_DRIVERS):
        raise ValueError(f"linalg.lstsq: driver must be one of {_DRIVERS}, got {driver!r}.")
    if b.dtype != a.dtype:
        raise TypeError(f"linalg.lstsq: A is {a.dtype} but B is {b.dtype}; they must match.")
    driver = driver or "gelsy"
    m, n = a.shape[-2:]
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape == a.shape[:-1])
    b2 = b.unsqueeze(-1) if vector else b  # (..., m, k)
    if b2.shape[-2] != m:
        raise ValueError(
            f"linalg.lstsq: A {a.shape} has {m} rows but B {b.shape} has {b2.shape[-2]}."
        )
    rtol = np.finfo(a.dtype).eps * max(m, n) if rcond is None or rcond < 0 else rcond
    x = matmul(pinv(a, rtol=rtol), b2)  # (..., n, k)
    rank = _empty(a, np.int64) if driver == "gels" else matrix_rank(a, rtol=rtol)
    full = driver == "gels" or bool((rank.data == n).all())
    residuals = _empty(a)
    if m > n and driver != "gelsy" and full:
        residuals = ((a @ x.detach() - b2) ** 2).sum(-2)  # (..., k)
    values = svdvals(a).detach() if driver in ("gelsd", "gelss") else _empty(a)
    return LstsqResult(x.squeeze(-1) if vector else x, residuals, rank, values)


# ---------------------------------------------------------------- PyTorch's older names


@tensor_method
def qr(input, some=True):
    """torch.qr: linalg.qr with mode 'reduced' (some=True) or 'complete'."""
    return linalg_qr(input, "reduced" if some else "complete")


@tensor_method
def svd(input, some=True, compute_uv=True):
    """torch.svd: (U, S, V) with V = Vhᵀ; compute_uv=False gives S and zero U (m, m) and
    V (n, n)."""
    if not compute_uv:
        a = _matrices("svd", input)
        m, n = a.shape[-2:]
        zeros = module_of(a).zeros
        return SVDLegacy(
            Tensor._from_op(zeros(a.shape[:-2] + (m, m), a.dtype), None),
            svdvals(a),
            Tensor._from_op(zeros(a.shape[:-2] + (n, n), a.dtype), None),
        )
    u, s, vh = linalg_svd(input, full_matrices=not some)
    return SVDLegacy(u, s, vh.mT)


@tensor_method
def cholesky(input, upper=False):
    """torch.cholesky: linalg.cholesky."""
    return linalg_cholesky(input, upper=upper)


@tensor_method
def pinverse(input, rcond=1e-15):
    """torch.pinverse: linalg.pinv with rtol = rcond."""
    return pinv(input, rtol=rcond)
