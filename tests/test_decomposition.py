"""zn.linalg's decompositions (qr, svd, svdvals, eigh, eigvalsh, cholesky, pinv, lstsq,
matrix_rank, cond, the nuclear and spectral norms), scatter_reduce's reductions, unique
with dim, and fmax/fmin against PyTorch, forward and backward, in float32 and float64,
with a float64 gradient check (tests/helpers.py).

Singular vectors and eigenvectors are unique only up to sign, and NumPy's LAPACK
(OpenBLAS) and PyTorch's (MKL) may choose differently, so those are compared through
quantities that do not depend on the choice: |U|, U·Vh, the columns of Q times the sign
of R's diagonal, |eigenvectors|. float32 gets rtol 1e-4: the two LAPACKs' single-precision
algorithms differ by a few units of float32 times the condition number."""

import re

import numpy as np
import pytest
import torch

import zennet as zn
from tests.helpers import compare
from tests.op_inputs import randn

DTYPES = {"float32": (np.float32, 1e-4, 1e-5), "float64": (np.float64, 1e-9, 1e-10)}


def both(f, *arrays, dtype="float64", gradcheck=True):
    """compare f(zn, ...) with f(torch, ...) in ``dtype``; gradient-checked in float64."""
    kind, rtol, atol = DTYPES[dtype]
    arrays = [a.astype(kind) for a in arrays]
    return compare(
        lambda *xs: f(zn, *xs),
        *arrays,
        torch_fn=lambda *xs: f(torch, *xs),
        rtol=rtol,
        atol=atol,
        gradcheck=gradcheck and dtype == "float64",
    )


def _signs(m, r):
    return m.sign(m.diagonal(r, 0, -2, -1))  # fixes the sign of each Householder column


def _sym(x):
    return x + x.mT


def _spd(m, x):
    return x @ x.mT + 3 * m.eye(x.shape[-1], dtype=x.dtype)


# name: (f(lib, x), shape); each f returns a quantity independent of the sign choices
DECOMPOSITIONS = {
    "qr_Q": (lambda m, x: (lambda q, r: q * _signs(m, r).unsqueeze(-2))(*m.linalg.qr(x)), (5, 3)),
    "qr_R": (lambda m, x: (lambda q, r: r * _signs(m, r).unsqueeze(-1))(*m.linalg.qr(x)), (5, 3)),
    "qr_wide_R": (
        lambda m, x: (lambda q, r: r * _signs(m, r).unsqueeze(-1))(*m.linalg.qr(x)),
        (3, 5),
    ),  # fmt: skip
    "qr_wide_complete_Q": (
        lambda m, x: (lambda q, r: q * _signs(m, r).unsqueeze(-2))(*m.linalg.qr(x, "complete")),
        (2, 3, 5),
    ),
    "qr_batched_QR": (lambda m, x: m.matmul(*m.linalg.qr(x)).sin(), (2, 4, 3)),
    "svd_S": (lambda m, x: m.linalg.svd(x, full_matrices=False).S, (5, 3)),
    "svd_abs_U": (lambda m, x: m.linalg.svd(x, full_matrices=False).U.abs(), (5, 3)),
    "svd_abs_Vh": (lambda m, x: m.linalg.svd(x, full_matrices=False).Vh.abs(), (3, 5)),
    "svd_U_Vh": (lambda m, x: (lambda u, s, vh: u @ vh)(*m.linalg.svd(x, False)), (2, 4, 3)),
    "svd_U_S_Vh": (
        lambda m, x: (lambda u, s, vh: (u * s.unsqueeze(-2)) @ vh)(*m.linalg.svd(x, False)).exp(),
        (2, 3, 4),
    ),  # fmt: skip
    "svd_full_matrices": (lambda m, x: m.linalg.svd(x).U[..., :3].abs(), (5, 3)),
    "svdvals": (lambda m, x: m.linalg.svdvals(x), (2, 3, 4)),
    "svd_legacy_abs_V": (lambda m, x: m.svd(x).V.abs(), (4, 3)),
    "eigh_values": (lambda m, x: m.linalg.eigh(_sym(x)).eigenvalues, (2, 4, 4)),
    "eigh_abs_vectors": (lambda m, x: m.linalg.eigh(_sym(x)).eigenvectors.abs(), (4, 4)),
    "eigh_upper": (lambda m, x: m.linalg.eigh(_sym(x), UPLO="U").eigenvectors.abs(), (4, 4)),
    "eigvalsh": (lambda m, x: m.linalg.eigvalsh(_sym(x)), (3, 3)),
    "cholesky": (lambda m, x: m.linalg.cholesky(_spd(m, x)), (2, 4, 4)),
    "cholesky_upper": (lambda m, x: m.linalg.cholesky(_spd(m, x), upper=True), (4, 4)),
    "pinv_tall": (lambda m, x: m.linalg.pinv(x), (5, 3)),
    "pinv_wide_batched": (lambda m, x: m.linalg.pinv(x), (2, 3, 5)),
    "pinv_hermitian": (lambda m, x: m.linalg.pinv(_spd(m, x), hermitian=True), (4, 4)),
    "pinverse": (lambda m, x: m.pinverse(x), (3, 4)),
    "lstsq_solution": (lambda m, x: m.linalg.lstsq(x, x[..., :2].cos()).solution, (2, 5, 3)),
    "lstsq_vector": (lambda m, x: m.linalg.lstsq(x, x[:, 0].exp()).solution, (5, 3)),
    "lstsq_underdetermined": (lambda m, x: m.linalg.lstsq(x, x[:, :1] * 2).solution, (3, 5)),
    "lstsq_residuals": (
        lambda m, x: m.linalg.lstsq(x, x[:, :2].cos(), driver="gelsd").residuals,
        (5, 3),
    ),
    "matrix_norm_nuc": (lambda m, x: m.linalg.matrix_norm(x, "nuc"), (2, 4, 3)),
    "matrix_norm_2": (lambda m, x: m.linalg.matrix_norm(x, 2, keepdim=True), (2, 4, 3)),
    "matrix_norm_minus_2": (lambda m, x: m.linalg.matrix_norm(x, -2, dim=(0, 2)), (4, 2, 3)),
    "norm_nuc": (lambda m, x: m.norm(x, "nuc"), (3, 4)),
    "cond": (lambda m, x: m.linalg.cond(x), (2, 4, 3)),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", DECOMPOSITIONS)
def test_decomposition_matches_pytorch(name, dtype, rng):
    f, shape = DECOMPOSITIONS[name]
    both(f, randn(rng, shape), dtype=dtype)


def test_named_tuples_have_pytorch_fields(rng):
    a = zn.tensor(randn(rng, (4, 3)).astype(np.float64))
    assert zn.linalg.qr(a)._fields == ("Q", "R")
    assert zn.linalg.svd(a)._fields == ("U", "S", "Vh")
    assert zn.svd(a)._fields == ("U", "S", "V")
    assert zn.linalg.eigh(a.mT @ a)._fields == ("eigenvalues", "eigenvectors")
    result = zn.linalg.lstsq(a, a)
    assert result._fields == ("solution", "residuals", "rank", "singular_values")


@pytest.mark.parametrize("driver", [None, "gels", "gelsy", "gelsd", "gelss"])
@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (2, 4, 4)])
def test_lstsq_outputs_follow_the_driver(rng, driver, shape):
    a, b = randn(rng, shape).astype(np.float64), randn(rng, shape[:-1] + (2,)).astype(np.float64)
    ours = zn.linalg.lstsq(zn.tensor(a), zn.tensor(b), driver=driver)
    theirs = torch.linalg.lstsq(torch.tensor(a), torch.tensor(b), driver=driver)
    for o, t in zip(ours, theirs):
        assert o.dtype == t.numpy().dtype and o.shape == tuple(t.shape)
        np.testing.assert_allclose(o.numpy(), t.numpy(), rtol=1e-9, atol=1e-10)


def test_rank_of_a_rank_deficient_matrix(rng):
    a = randn(rng, (5, 3)).astype(np.float64)
    a[:, 2] = a[:, 0] + a[:, 1]
    for kwargs in ({}, {"hermitian": True}, {"atol": 1e-3}, {"rtol": 0.5}):
        x = a @ a.T if kwargs.get("hermitian") else a
        ours = zn.linalg.matrix_rank(zn.tensor(x), **kwargs)
        theirs = torch.linalg.matrix_rank(torch.tensor(x), **kwargs)
        assert ours.dtype == np.int64 and int(ours) == int(theirs), kwargs
    ours, theirs = zn.linalg.pinv(zn.tensor(a)), torch.linalg.pinv(torch.tensor(a))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9, atol=1e-10)


def test_svdvals_gradient_is_finite_at_repeated_values():
    """Only S flowing back: gA = U diag(gS) Vh, with no 1/(S_j² - S_k²) term to blow up."""
    a = zn.tensor(np.eye(3), requires_grad=True)
    zn.linalg.svdvals(a).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.eye(3), atol=1e-12)


def test_cholesky_ex_and_empty_and_batched_shapes():
    spd = zn.tensor(np.eye(3) * 2)
    low, info = zn.linalg.cholesky_ex(spd)
    np.testing.assert_allclose(low.numpy(), np.eye(3) * np.sqrt(2))
    assert info.dtype == np.int32 and int(info) == 0
    u, s, vh = zn.linalg.svd(zn.zeros(2, 0, 3, dtype=zn.float64))
    assert (u.shape, s.shape, vh.shape) == ((2, 0, 0), (2, 0), (2, 3, 3))
    u, s, v = zn.svd(zn.ones(5, 3), compute_uv=False)
    assert (u.shape, s.shape, v.shape) == ((5, 5), (3,), (3, 3)) and not u.numpy().any()
    q, r = zn.linalg.qr(zn.zeros(0, 3, 3))
    assert q.shape == r.shape == (0, 3, 3)


def test_refusals_name_the_argument(rng):
    a = zn.tensor(randn(rng, (4, 3)).astype(np.float64), requires_grad=True)
    q, r = zn.linalg.qr(a, mode="complete")
    with pytest.raises(NotImplementedError, match=r"mode='complete' with more rows .*4 > 3"):
        (q.sum() + r.sum()).backward()
    with pytest.raises(NotImplementedError, match="mode='r' has no gradient"):
        zn.linalg.qr(a, mode="r").R.sum().backward()
    with pytest.raises(NotImplementedError, match="driver='gesvdj' is not supported"):
        zn.linalg.svd(a, driver="gesvdj")
    with pytest.raises(NotImplementedError, match="complex input"):
        zn.linalg.eigh(zn.tensor(np.eye(2, dtype=np.complex128)))
    with pytest.raises(ValueError, match=r"linalg.cholesky: the input of shape \(2, 2\) is not"):
        zn.linalg.cholesky(zn.tensor(-np.eye(2)))
    with pytest.raises(ValueError, match=r"linalg.eigh: expected square matrices.*\(4, 3\)"):
        zn.linalg.eigh(a)
    with pytest.raises(TypeError, match="float32 or float64 matrices, got dtype int64"):
        zn.linalg.svd(zn.tensor(np.ones((2, 2), np.int64)))
    with pytest.raises(ValueError, match="driver must be one of"):
        zn.linalg.lstsq(a, a, driver="gelsx")


def test_a_model_with_a_decomposition_is_refused_by_onnx_export(tmp_path, rng):
    pytest.importorskip("onnx")

    class Whitened(zn.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = zn.nn.Linear(4, 4)

        def forward(self, x):
            return zn.linalg.svdvals(self.fc(x).reshape(-1, 2, 2)).sum(-1)

    with pytest.raises(ValueError, match="cannot be exported") as error:
        zn.onnx.export(Whitened(), randn(rng, (3, 4)), tmp_path / "m.onnx")
    assert re.search(
        r"SVD at .*test_decomposition.py:\d+ in forward: no ONNX equivalent", str(error.value)
    )
    assert list(tmp_path.iterdir()) == []

    class Ranked(Whitened):
        def forward(self, x):
            return self.fc(x) * zn.linalg.matrix_rank(self.fc(x))

    with pytest.raises(ValueError, match=r"matrix_rank at .*: computed outside the graph"):
        zn.onnx.export(Ranked(), randn(rng, (3, 4)), tmp_path / "m.onnx")


# ---------------------------------------------------------------- indexing and ordering

INDEX = np.array([[0, 1, 0, 3], [2, 2, 0, 1], [3, 3, 3, 3]])


def _scatter(reduce, include_self):
    return lambda m, x: x[:, :4].scatter_reduce(
        1, m.tensor(INDEX), x[:, 2:] * 2, reduce, include_self=include_self
    )


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
def test_scatter_reduce_matches_pytorch(rng, reduce, include_self):
    both(_scatter(reduce, include_self), randn(rng, (3, 6)))
    both(_scatter(reduce, include_self), randn(rng, (3, 6)), dtype="float32")


@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_prod_passes_gradients_through_zeros(include_self):
    """Single zeros at a position (self's or src's) and two zeros meeting at one."""
    x = np.array(
        [
            [0.0, 2.0, 3.0, 0.5, 1.5, -1.0],
            [1.0, 0.0, 2.0, 0.0, 0.0, 4.0],
            [2.0, 1.0, 0.0, 3.0, 0.0, 0.5],
        ]
    )
    both(_scatter("prod", include_self), x.astype(np.float64))


def test_scatter_reduce_amax_splits_ties_evenly():
    # row 0: position 0 gets self 2 and src 2, 2 (a three-way tie), position 1 self 4 and
    # src 4; no gradient check at a tie (the function has a kink there)
    x = np.array([[2.0, 4.0, 1.0, 2.0, 1.0, 0.5]] * 3)
    out = both(_scatter("amax", True), x, gradcheck=False)
    np.testing.assert_array_equal(out.numpy()[0], [2.0, 4.0, 1.0, 2.0])


def test_scatter_reduce_in_place_and_bad_reduce(rng):
    x = zn.tensor(randn(rng, (3, 4)))
    expected = x.scatter_reduce(1, zn.tensor(INDEX), x * 3, "amin")
    x.scatter_reduce_(1, zn.tensor(INDEX), x * 3, "amin")
    np.testing.assert_array_equal(x.numpy(), expected.numpy())
    with pytest.raises(ValueError, match="reduce must be one of"):
        x.scatter_reduce(1, zn.tensor(INDEX), x, "max")


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_with_dim_matches_pytorch(dim):
    x = np.array([[1, 2, 1, 2], [3, 4, 3, 0], [1, 2, 1, 2]])
    ours = zn.unique(zn.tensor(x), return_inverse=True, return_counts=True, dim=dim)
    theirs = torch.unique(torch.tensor(x), return_inverse=True, return_counts=True, dim=dim)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())
        assert o.dtype == t.numpy().dtype
    ours = zn.unique_consecutive(zn.tensor(x), return_counts=True, dim=dim)
    theirs = torch.unique_consecutive(torch.tensor(x), return_counts=True, dim=dim)
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("name", ["fmax", "fmin"])
def test_fmax_fmin_ignore_nan_and_match_pytorch(name, rng):
    both(lambda m, x: getattr(m, name)(x[0], x[1]), randn(rng, (2, 5)))
    both(lambda m, x: getattr(x[0], name)(x[1]), randn(rng, (2, 5)), dtype="float32")
    a = np.array([1.0, np.nan, 3.0, np.nan, 2.0])
    b = np.array([2.0, 1.0, np.nan, np.nan, 2.0])
    ours = [zn.tensor(v, requires_grad=True) for v in (a, b)]
    theirs = [torch.tensor(v, requires_grad=True) for v in (a, b)]
    getattr(zn, name)(*ours).sum().backward()
    out = getattr(torch, name)(*theirs)
    out.sum().backward()
    np.testing.assert_array_equal(getattr(zn, name)(*ours).detach().numpy(), out.detach().numpy())
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.grad.numpy(), t.grad.numpy())
