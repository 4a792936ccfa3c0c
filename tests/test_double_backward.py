"""Second derivatives (``create_graph=True``) against PyTorch, in float64.

One helper runs a scalar function through zennet and PyTorch, takes the gradient with
create_graph=True, then differentiates <gradient, v> again: the first gradients and the
Hessian-vector products must agree. The cases after it are the uses people reach for
double backward for: a full Hessian, Hessian-vector products through an MLP, the WGAN-GP
gradient penalty, a third derivative.
"""

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import zennet as zn
import zennet.functional as F


def _library(m):
    return (zn, F) if m is zn else (torch, TF)


def _tensors(m, arrays):
    return [m.tensor(a, requires_grad=True) for a in arrays]


def _grad_then_hvp(m, fn, arrays, vs):
    """fn's gradient (create_graph=True) and the gradient of <gradient, v>: H·v."""
    lib, functional = _library(m)
    xs = _tensors(m, arrays)
    grads = lib.autograd.grad(fn(lib, functional, *xs), xs, create_graph=True)
    inner = sum((g * lib.tensor(v)).sum() for g, v in zip(grads, vs))
    hvps = lib.autograd.grad(inner, xs)
    return [g.detach().numpy() for g in grads], [h.numpy() for h in hvps]


def _matches_torch(fn, *arrays, rtol=1e-9, atol=1e-10):
    vs = [np.random.default_rng(1).normal(size=np.shape(a)) for a in arrays]
    ours, theirs = _grad_then_hvp(zn, fn, arrays, vs), _grad_then_hvp(torch, fn, arrays, vs)
    for got, want in zip(ours[0] + ours[1], theirs[0] + theirs[1]):
        np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


A = np.random.default_rng(0).normal(size=(3, 4))
B = np.random.default_rng(2).uniform(0.5, 2.0, size=(3, 4))  # positive: log, sqrt, pow
V4 = np.random.default_rng(3).normal(size=(4,))

CASES = {
    "add sub mul div": lambda m, F, a, b: ((a * b - a / b + a + 2 - b) ** 2).sum(),
    "pow": lambda m, F, a, b: (a**3 + b**a + 2**a + b**0.5).sum(),
    "exp log sqrt abs": lambda m, F, a, b: (a.exp() * b.log() + b.sqrt() * a.abs()).sum(),
    "neg broadcasting": lambda m, F, a, b: (-(a * b[0]) * (a + b[:, :1])).sum(),
    "trigonometry": lambda m, F, a, b: (
        a.sin() * a.cos() + (b / 2).tan() + a.sinh() * a.cosh()
    ).sum(),
    "tanh sigmoid": lambda m, F, a, b: (a.tanh() * b.sigmoid() * a).sum(),
    "relu leaky_relu": lambda m, F, a, b: (F.relu(a) * a * b + F.leaky_relu(a, 0.1) ** 2).sum(),
    "softplus silu": lambda m, F, a, b: (F.softplus(a) * F.silu(b * a)).sum(),
    "softmax log_softmax": lambda m, F, a, b: (F.softmax(a, 1) * F.log_softmax(a * b, 0)).sum(),
    "sum mean": lambda m, F, a, b: (a.sum(0) * b.mean(1, keepdim=True) * a.mean()).sum(),
    "var std logsumexp": lambda m, F, a, b: (a.var(1) * b.std(0)[:3] + a.logsumexp(1)).sum(),
    "reshape permute": lambda m, F, a, b: (a.reshape(4, 3).t() * b).permute(1, 0).exp().sum(),
    "expand getitem": lambda m, F, a, b: (a[1:, ::2].expand(2, 2, 2) * b[0, :2] ** 2).sum(),
    "cat stack pad": lambda m, F, a, b: (
        m.stack([a, b], 1).sin().sum() + (m.cat([a, b], -1) ** 3).sum() + F.pad(a * b, (1, 2)).sum()
    ),
    "where clamp maximum": lambda m, F, a, b: (
        m.where(a > 0, a * b, a**2) + a.clamp(-0.5, 0.5) * b + m.maximum(a, b - 1) ** 2
    ).sum(),
    "matmul": lambda m, F, a, b: (a @ b.t()).tanh().sum() + (a @ b.t() @ a).sin().sum(),
    "matmul vectors and batches": lambda m, F, a, b: (
        (a @ b[0]).sin().sum() + (b[1] @ a.t()).exp().sum() + (a.reshape(1, 3, 4) @ b.t()).sum()
    ),
    "linear": lambda m, F, a, b: F.linear(a.tanh(), b, b[0, :3]).sin().sum(),
    "cross_entropy": lambda m, F, a, b: F.cross_entropy(a * b, m.tensor([0, 3, 1])),
    "cross_entropy with probabilities": lambda m, F, a, b: F.cross_entropy(a, F.softmax(b, 1)),
    "mse_loss": lambda m, F, a, b: F.mse_loss(a.sin(), b),
}


@pytest.mark.parametrize("name", CASES)
def test_second_derivatives_match_pytorch(name):
    _matches_torch(CASES[name], A, B)


@pytest.mark.parametrize("name", ["pow", "trigonometry", "softmax log_softmax", "matmul"])
def test_grad_of_grad_passes_gradcheck(name):
    """The Hessian-vector product is the derivative of <gradient, v>: central differences of
    the gradient (itself computed with create_graph=True) agree with it."""
    fn, v = CASES[name], np.random.default_rng(1).normal(size=A.shape)

    def inner(a, b):
        grads = zn.autograd.grad(fn(zn, F, a, b), (a, b), create_graph=True)
        return (grads[0] * zn.tensor(v)).sum() + (grads[1] * grads[1]).sum()

    assert zn.gradcheck(inner, [zn.tensor(A, requires_grad=True), zn.tensor(B, requires_grad=True)])


def test_full_hessian_from_rows_of_grad_of_grad():
    x0 = np.array([0.3, -1.2, 2.0, 0.7])

    def f(x):
        return (x.sin() * x**3).sum() + x[0] * x[1] * x[3] + (x * x).sum().log()

    x = zn.tensor(x0, requires_grad=True)
    (g,) = zn.autograd.grad(f(x), x, create_graph=True)
    rows = [zn.autograd.grad(g[i], x)[0].numpy() for i in range(4)]
    want = torch.autograd.functional.hessian(f, torch.tensor(x0)).numpy()
    np.testing.assert_allclose(np.stack(rows), want, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.stack(rows), np.stack(rows).T, rtol=1e-10)  # symmetric


def _mlp(m, F, x, w1, b1, w2, b2):
    return F.linear(F.linear(x, w1, b1).tanh(), w2, b2)


def test_hessian_vector_products_through_a_tanh_mlp():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 2))
    params = [rng.normal(size=s) for s in [(4, 3), (4,), (2, 4), (2,)]]

    def loss(m, F, *p):
        return F.mse_loss(_mlp(m, F, m.tensor(x), *p), m.tensor(y))

    _matches_torch(loss, *params)


def _gradient_penalty(m, x, *params):
    """WGAN-GP: (‖∇_x D(x)‖ - 1)², averaged over the batch; D is a tanh MLP."""
    lib, functional = _library(m)
    w1, b1, w2, b2 = params
    d = functional.linear(functional.linear(x, w1, b1).tanh(), w2, b2)
    (gx,) = lib.autograd.grad(d.sum(), x, create_graph=True)
    return (((gx * gx).sum(1).sqrt() - 1) ** 2).mean()


def test_wgan_gradient_penalty_and_its_parameter_gradients():
    rng = np.random.default_rng(5)
    x0 = rng.normal(size=(6, 3))
    params0 = [rng.normal(size=s) for s in [(8, 3), (8,), (1, 8), (1,)]]
    results = {}
    for m in (zn, torch):
        x, params = m.tensor(x0, requires_grad=True), _tensors(m, params0)
        penalty = _gradient_penalty(m, x, *params)
        penalty.backward()
        assert params[3].grad is None  # the output bias does not move ∇_x D
        results[m] = [penalty.item()] + [p.grad.numpy() for p in params[:3] + [x]]
    for got, want in zip(results[zn], results[torch]):
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert np.abs(results[zn][1]).sum() > 0  # the penalty reaches the first layer's weight


def test_third_derivative_of_sin():
    x0 = np.linspace(-3, 3, 7)
    x = zn.tensor(x0, requires_grad=True)
    (d1,) = zn.autograd.grad(x.sin().sum(), x, create_graph=True)
    (d2,) = zn.autograd.grad(d1.sum(), x, create_graph=True)
    (d3,) = zn.autograd.grad(d2.sum(), x)
    np.testing.assert_allclose(d1.detach().numpy(), np.cos(x0), rtol=1e-12)
    np.testing.assert_allclose(d2.detach().numpy(), -np.sin(x0), atol=1e-12)
    np.testing.assert_allclose(d3.numpy(), -np.cos(x0), atol=1e-12)


def test_backward_with_create_graph_leaves_a_grad_with_a_graph():
    results = {}
    for m in (zn, torch):
        x = m.tensor([0.5, -1.0, 2.0], dtype=m.float64, requires_grad=True)
        (x**3).sum().backward(create_graph=True)  # x.grad = 3x², with a graph
        assert x.grad.requires_grad and x.grad.grad_fn is not None
        first = x.grad.detach().numpy().copy()
        (x.grad * x).sum().backward()  # d(3x³)/dx = 9x², accumulated onto 3x²
        results[m] = first, x.grad.detach().numpy()
    for got, want in zip(results[zn], results[torch]):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_create_graph_keeps_the_graph_and_accumulates_out_of_place():
    x = zn.tensor([1.0, 2.0], dtype=zn.float64, requires_grad=True)
    y = (x**2).sum()
    y.backward(create_graph=True)
    first = x.grad
    y.backward(create_graph=True)  # the graph was kept: no retain_graph needed
    np.testing.assert_allclose(first.detach().numpy(), [2.0, 4.0])  # not changed in place
    np.testing.assert_allclose(x.grad.detach().numpy(), [4.0, 8.0])
    assert x.grad.grad_fn is not None


def test_gradient_of_a_linear_function_has_no_graph():
    x = zn.tensor([1.0, 2.0], dtype=zn.float64, requires_grad=True)
    (g,) = zn.autograd.grad((x * 3).sum(), x, create_graph=True)
    np.testing.assert_allclose(g.numpy(), [3.0, 3.0])
    assert not g.requires_grad  # as PyTorch: 3 does not depend on x


def test_an_op_without_backward_graph_is_named():
    x = zn.tensor(np.ones((1, 1, 4, 4)), requires_grad=True)
    w = zn.tensor(np.ones((1, 1, 3, 3)), requires_grad=True)
    out = F.conv2d(x, w).sum()
    with pytest.raises(NotImplementedError, match=r"create_graph=True: \w+ has no differentiable"):
        zn.autograd.grad(out, x, create_graph=True)
    with pytest.raises(NotImplementedError, match="Ops that have one: .*MatMul"):
        out.backward(create_graph=True)
    assert x.grad is None and w.grad is None  # refused before any .grad changed
