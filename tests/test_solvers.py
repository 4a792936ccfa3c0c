"""zn.linalg.solve_triangular (and zn.triangular_solve), inv_ex, solve_ex, diagonal,
vander, tensorinv and tensorsolve against PyTorch in float32 and float64, forward and
backward, with a float64 gradient check (tests/test_decomposition.py's ``both``)."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.op_inputs import randn
from tests.test_decomposition import DTYPES, both


def _well(m, x):
    """x with a dominant diagonal: a well-conditioned triangle and matrix."""
    return x + 4 * m.eye(x.shape[-1], dtype=x.dtype)


SOLVERS = {
    "upper": (
        lambda m, x: m.linalg.solve_triangular(_well(m, x), x[..., :2], upper=True),
        (2, 4, 4),
    ),  # fmt: skip
    "lower_right": (
        lambda m, x: m.linalg.solve_triangular(_well(m, x), x[:2], upper=False, left=False),
        (4, 4),
    ),
    "unitriangular": (
        lambda m, x: m.linalg.solve_triangular(x, x[:, :3].exp(), upper=False, unitriangular=True),
        (4, 4),
    ),
    "triangular_solve_transpose": (
        lambda m, x: m.triangular_solve(x[:, :2], _well(m, x), transpose=True).solution,
        (4, 4),
    ),
    "inv_ex": (lambda m, x: m.linalg.inv_ex(_well(m, x)).inverse, (2, 3, 3)),
    "solve_ex": (lambda m, x: m.linalg.solve_ex(_well(m, x), x[..., 0]).result, (3, 3)),
    "diagonal": (lambda m, x: m.linalg.diagonal(x, offset=1), (2, 3, 4)),
    "vander": (lambda m, x: m.linalg.vander(x, N=4), (2, 3)),
    "tensorinv": (
        lambda m, x: m.linalg.tensorinv(_well(m, x).reshape(2, 3, 6), ind=2),
        (6, 6),
    ),
    "tensorsolve": (
        lambda m, x: m.linalg.tensorsolve(_well(m, x).reshape(6, 2, 3), x[:, 0]),
        (6, 6),
    ),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", SOLVERS)
def test_solver_matches_pytorch(name, dtype, rng):
    f, shape = SOLVERS[name]
    both(f, randn(rng, shape), dtype=dtype)


def test_only_the_triangle_is_read(rng):
    a = randn(rng, (3, 3)).astype(np.float64) + 4 * np.eye(3)
    b = randn(rng, (3, 2)).astype(np.float64)
    full = zn.linalg.solve_triangular(zn.tensor(a), zn.tensor(b), upper=True)
    upper = zn.linalg.solve_triangular(zn.tensor(np.triu(a)), zn.tensor(b), upper=True)
    np.testing.assert_allclose(full.numpy(), upper.numpy(), rtol=1e-12)


def test_vander_gradient_is_finite_at_zero():
    x = zn.tensor(np.array([0.0, 2.0]), requires_grad=True)
    zn.linalg.vander(x).sum().backward()
    expected = torch.tensor([0.0, 2.0], requires_grad=True)
    torch.linalg.vander(expected).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), expected.grad.numpy())


def test_singular_matrices_are_refused_by_the_ex_functions():
    singular = zn.tensor(np.ones((2, 2)))
    with pytest.raises(NotImplementedError, match="linalg.inv_ex: a singular matrix"):
        zn.linalg.inv_ex(singular)
    with pytest.raises(NotImplementedError, match="linalg.solve_ex: a singular matrix"):
        zn.linalg.solve_ex(singular, zn.tensor(np.ones(2)))
    info = zn.linalg.inv_ex(zn.tensor(np.eye(2))).info
    assert info.dtype == np.int32 and int(info) == 0
