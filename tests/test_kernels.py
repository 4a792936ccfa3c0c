"""The compiled kernels (zennet.kernels, optional numba) against the NumPy path they replace.

The rest of the suite runs the NumPy path (conftest.py switches the kernels off); here each
kernel runs, and must give what the NumPy path gives: the same values, the same gradients,
the same choice among tied maxima. The plain-Python kernels (their readable source) are
checked on small inputs too, so the formulas are tested where numba is missing.
"""

import numpy as np
import pytest

import zennet as zn
import zennet.functional as F
from zennet import backend, kernels, parallel
from zennet.ops.activation import KERNEL_FROM
from zennet.optim.adam import adam_update

numba = pytest.importorskip("numba")


@pytest.fixture
def compiled():
    previous = kernels.use_compiled_kernels(True)
    yield
    kernels.use_compiled_kernels(previous)


@pytest.fixture(autouse=True)
def im2col():
    """Convolutions on the im2col path, whose col2im kernel these tests check, whatever
    ZENNET_CONV says (tests/nn/test_winograd.py covers the Winograd path)."""
    previous = zn.use_conv_algorithm("im2col")
    yield
    zn.use_conv_algorithm(previous)


def _adam_states(rng, n, dtype):
    p, g = (rng.standard_normal(n).astype(dtype) for _ in range(2))
    m, v = rng.standard_normal(n).astype(dtype) * 0.1, rng.random(n).astype(dtype) * 0.01
    return [p, g, m, v]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("decay", [(0.0, False), (0.1, False), (0.1, True)])
def test_adam_kernel_equals_numpy(compiled, dtype, decay):
    rng = np.random.default_rng(0)
    weight_decay, decoupled = decay
    ours, numpys = _adam_states(rng, 1000, dtype), None
    numpys = [a.copy() for a in ours]
    options = dict(lr=1e-2, beta1=0.9, beta2=0.99, eps=1e-8, weight_decay=weight_decay)
    for step in range(1, 4):
        adam_update(*ours, step=step, decoupled_weight_decay=decoupled, **options)
        kernels.use_compiled_kernels(False)
        adam_update(*numpys, step=step, decoupled_weight_decay=decoupled, **options)
        kernels.use_compiled_kernels(True)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for a, b in zip(ours, numpys):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    assert not np.array_equal(ours[0], _adam_states(np.random.default_rng(0), 1000, dtype)[0])


@pytest.fixture
def ran(monkeypatch):
    """ran(module) -> the names of the kernels that module's code ran (found and called)."""
    calls = []

    def spying_on(module):
        def spy(name, *arrays):
            found = kernels.kernel(name, *arrays)
            if found is None:
                return None

            def call(*args):
                calls.append(name)
                return found(*args)

            return call

        monkeypatch.setattr(f"{module}.kernel", spy)
        return calls

    return spying_on


def test_adam_kernel_is_the_one_that_ran(compiled, ran):
    calls = ran("zennet.optim.adam")
    model = zn.nn.Linear(4, 3)
    optimizer = zn.optim.AdamW(model.parameters(), lr=0.1)
    model(zn.randn(5, 4)).sum().backward()
    optimizer.step()
    assert calls == ["adam", "adam"]  # the weight and the bias


def test_python_adam_kernel_is_the_formula():
    rng = np.random.default_rng(1)
    ours = _adam_states(rng, 50, np.float64)
    numpys = [a.copy() for a in ours]
    s = np.float64
    lr, b1, b2, eps, wd, t = 1e-2, 0.9, 0.99, 1e-8, 0.05, 3
    root = (1 - b2**t) ** 0.5
    kernels.adam(*ours, s(b1), s(1 - b1), s(b2), s(1 - b2), s(lr * root / (1 - b1**t)),
                 s(eps * root), s(wd), s(1))  # fmt: skip
    previous = kernels.use_compiled_kernels(False)
    adam_update(*numpys, step=t, lr=lr, beta1=b1, beta2=b2, eps=eps, weight_decay=wd)
    kernels.use_compiled_kernels(previous)
    for a, b in zip(ours, numpys):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def _pool_both_ways(x, channels_last, **kwargs):
    """Output and input gradient of max_pool2d with kernels on, then off."""
    results = []
    for on in (True, False):
        previous = kernels.use_compiled_kernels(on)
        data = (
            np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
            if channels_last
            else x
        )
        t = zn.tensor(data, requires_grad=True)
        y = F.max_pool2d(t, 2, **kwargs)
        dy = np.arange(y.numel(), dtype=x.dtype).reshape(y.shape) + 1
        y.backward(zn.tensor(dy))
        results.append((y.numpy().copy(), t.grad.numpy().copy()))
        kernels.use_compiled_kernels(previous)
    return results


@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("size", [(6, 8), (7, 9)])  # odd sizes leave a row and a column out
def test_max_pool_kernel_equals_numpy_with_ties(compiled, channels_last, size):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3, *size)).astype(np.float32)
    x = np.maximum(x, 0)  # after a ReLU: many windows of equal zeros
    x[0, 0, :2, :2] = 1.5  # a window of four equal maxima
    (y1, dx1), (y0, dx0) = _pool_both_ways(x, channels_last)
    np.testing.assert_array_equal(y1, y0)
    np.testing.assert_array_equal(dx1, dx0)
    assert dx1[0, 0, 0, 0] == 1 and dx1[0, 0, :2, :2].sum() == 1  # the first of the ties


def test_max_pool_kernel_is_used_and_matches_torch(compiled, ran):
    torch = pytest.importorskip("torch")
    calls = ran("zennet.ops.pool")
    x = np.random.default_rng(2).standard_normal((4, 5, 10, 12))
    t = zn.tensor(x, requires_grad=True)
    F.max_pool2d(t, 2).sum().backward()
    assert calls == ["max_pool_2x2", "max_pool_2x2_backward"]
    tt = torch.tensor(x, requires_grad=True)
    torch.nn.functional.max_pool2d(tt, 2).sum().backward()
    np.testing.assert_array_equal(t.grad.numpy(), tt.grad.numpy())


def test_python_pool_kernels_small():
    x = np.array(
        [[[[1.0], [3.0], [2.0]], [[3.0], [0.0], [5.0]], [[9.0], [9.0], [9.0]]]]
    )  # (1,3,3,1)
    y, code = np.empty((1, 1, 1, 1)), np.empty((1, 1, 1, 1), np.uint8)
    kernels.max_pool_2x2(x, y, code)
    assert y[0, 0, 0, 0] == 3.0 and code[0, 0, 0, 0] == 1  # 3 at (0, 1) before 3 at (1, 0)
    dx = np.full(x.shape, np.nan)
    kernels.max_pool_2x2_backward(np.full((1, 1, 1, 1), 7.0), code, dx)
    assert dx[0, :, :, 0].tolist() == [[0, 7, 0], [0, 0, 0], [0, 0, 0]]


def test_switching_on_without_numba_names_the_extra(monkeypatch):
    monkeypatch.setattr(kernels, "compiled_kernels_available", lambda: False)
    with pytest.raises(ImportError, match=r"zennet\[fast\]"):
        kernels.use_compiled_kernels(True)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 48, 64)])  # NumPy's ufuncs; kernels
@pytest.mark.parametrize("channels_last", [False, True])
def test_relu_kernels_equal_numpy(compiled, ran, channels_last, shape):
    calls = ran("zennet.ops.activation")
    x = np.random.default_rng(3).standard_normal(shape).astype(np.float32)
    x[0, 0, 0, :2] = 0  # relu'(0) = 0
    if channels_last:
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    dy = np.empty_like(x)  # the same layout as x, so the kernel runs
    dy[...] = np.random.default_rng(4).standard_normal(x.shape)
    x[1, 2, 3, 4] = np.nan
    t = zn.tensor(x, requires_grad=True)
    y = t.relu()
    y.backward(zn.tensor(dy))
    np.testing.assert_array_equal(y.numpy(), np.maximum(x, 0))  # NaN where x is NaN
    assert y.numpy().strides == t.numpy().strides  # the input's layout, as np.maximum's
    np.testing.assert_array_equal(t.grad.numpy(), dy * (np.maximum(x, 0) > 0))
    assert calls == (["relu", "relu_backward"] if x.size >= KERNEL_FROM else [])


def test_python_relu_kernels():
    y, dx = np.full(4, 9.0), np.full(4, np.nan)
    kernels.relu(np.array([-1.0, 1.0, np.nan, 0.0]), y)
    assert np.array_equal(y, [0, 1, np.nan, 0], equal_nan=True)
    kernels.relu_backward(np.array([0.0, 1.0, 0.0, 2.0]), np.array([5.0, 6.0, 7.0, 8.0]), dx)
    assert dx.tolist() == [0, 6, 0, 8]


def test_dense_flat_only_for_one_dense_layout():
    a = np.zeros((2, 3, 4), np.float32)
    last = np.zeros((2, 4, 3), np.float32).transpose(0, 2, 1)  # dense, another order
    assert kernels.dense_flat(a, np.ones_like(a))[0].shape == (24,)
    assert kernels.dense_flat(last, np.empty_like(last)) is not None
    assert kernels.dense_flat(a, last) is None  # different strides
    assert kernels.dense_flat(a[:, :2]) is None  # a gap in memory


def test_a_cnn_trains_the_same_with_and_without_kernels():
    """Conv, ReLU, 2x2 max pooling and AdamW: three steps with the kernels and without."""
    x = np.random.default_rng(5).standard_normal((8, 1, 12, 12)).astype(np.float32)
    y = np.arange(8) % 3
    weights = []
    for on in (True, False):
        previous = kernels.use_compiled_kernels(on)
        zn.manual_seed(0)
        model = zn.nn.Sequential(
            zn.nn.Conv2d(1, 4, 3), zn.nn.ReLU(), zn.nn.MaxPool2d(2), zn.nn.Conv2d(4, 6, 3),
            zn.nn.ReLU(), zn.nn.MaxPool2d(2), zn.nn.Flatten(), zn.nn.Linear(6, 3),
        )  # fmt: skip
        optimizer = zn.optim.AdamW(model.parameters(), lr=1e-2)
        for _ in range(3):
            optimizer.zero_grad()
            F.cross_entropy(model(zn.tensor(x)), zn.tensor(y)).backward()
            optimizer.step()
        weights.append([p.numpy().copy() for p in model.parameters()])
        kernels.use_compiled_kernels(previous)
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _batch_norm_both_ways(x, dy, training, affine, view=lambda t: t):
    """Output, dx, dγ, dβ and the running statistics of BatchNorm2d on ``view(x)``, kernels
    on then off."""
    results = []
    for on in (True, False):
        previous = kernels.use_compiled_kernels(on)
        zn.manual_seed(0)
        layer = zn.nn.BatchNorm2d(x.shape[1], affine=affine)
        if affine:
            layer.weight.data[...] = np.linspace(0.5, 2, x.shape[1])
            layer.bias.data[...] = np.linspace(-1, 1, x.shape[1])
        layer.train(training)
        t = zn.tensor(x, requires_grad=True)
        layer(view(t)).backward(zn.tensor(dy))
        grads = [p.grad.numpy().copy() for p in layer.parameters()]
        stats = [layer.running_mean.numpy().copy(), layer.running_var.numpy().copy()]
        results.append([t.grad.numpy().copy(), *grads, *stats, layer(view(t)).numpy().copy()])
        kernels.use_compiled_kernels(previous)
    return results


@pytest.mark.parametrize("layout", ["nchw", "channels_last", "strided"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_kernels_equal_numpy(compiled, ran, layout, training, affine):
    calls = ran("zennet.ops.norm")
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 3, 5, 6)) * 3 + 10  # a mean far from 0
    dy = rng.standard_normal(x.shape)
    if layout == "channels_last":
        x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    view = lambda t: t  # noqa: E731
    if layout == "strided":  # every other column: gaps in memory, so the NumPy path
        x, view = np.concatenate([x, x], axis=3), lambda t: t[..., ::2]
    ours, numpys = _batch_norm_both_ways(x, dy, training, affine, view)
    for a, b in zip(ours, numpys):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    expected = [] if layout == "strided" else ["channel_affine"] * 2 + ["channel_sums"] * 2
    assert sorted(set(calls)) == sorted(set(expected))


def test_batch_norm_kernels_float32_match_torch(compiled):
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(7).standard_normal((8, 4, 6, 6)).astype(np.float32) + 5
    x = np.ascontiguousarray(x.transpose(0, 2, 3, 1)).transpose(0, 3, 1, 2)
    t, tt = zn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    ours, theirs = zn.nn.BatchNorm2d(4), torch.nn.BatchNorm2d(4)
    (ours(t) * zn.tensor(np.arange(4.0, dtype=np.float32)).reshape(1, 4, 1, 1)).sum().backward()
    (theirs(tt) * torch.arange(4.0).reshape(1, 4, 1, 1)).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), tt.grad.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-3)
    np.testing.assert_allclose(ours.running_var.numpy(), theirs.running_var.numpy(), rtol=1e-5)


def test_python_channel_kernels_small():
    x = np.arange(12.0).reshape(2, 3, 2)  # (A, C, B)
    s1, s2 = np.zeros(3), np.zeros(3)
    kernels.channel_sums(x, x, np.ones(3), s1, s2)
    np.testing.assert_allclose(s1, x.sum(axis=(0, 2)))
    np.testing.assert_allclose(s2, (x * (x - 1)).sum(axis=(0, 2)))
    out = np.empty_like(x)
    p, q, r = np.array([1.0, 2, 3]), np.array([0.5, 0, -1]), np.array([7.0, 8, 9])
    kernels.channel_affine(x, x, p, q, r, out)
    np.testing.assert_allclose(out, x * (p + q)[None, :, None] + r[None, :, None])


@pytest.mark.parametrize(
    "options", [dict(padding=1), dict(stride=2, padding=2), dict(dilation=2), dict(groups=2)]
)
def test_conv_by_compiled_im2col_and_col2im_equals_numpy(compiled, ran, options):
    """The output and every gradient of a conv with bias, with the compiled im2col (forward,
    and the ones column that adds the bias) and col2im (dx) against the NumPy path."""
    calls = ran("zennet.ops.conv")
    rng = np.random.default_rng(8)
    x, w, b = (
        rng.standard_normal((2, 4, 9, 8)),
        rng.standard_normal((6, 4 // options.get("groups", 1), 3, 3)),
        rng.standard_normal(6),
    )
    results = []
    for on in (True, False):
        previous = kernels.use_compiled_kernels(on)
        t, tw, tb = (zn.tensor(a, requires_grad=True) for a in (x, w, b))
        y = F.conv2d(t, tw, tb, **options)
        y.backward(zn.tensor(np.cos(np.arange(y.numel())).reshape(y.shape)))
        results.append([a.numpy().copy() for a in (y, t.grad, tw.grad, tb.grad)])
        kernels.use_compiled_kernels(previous)
    for ours, numpys in zip(*results):
        np.testing.assert_allclose(ours, numpys, rtol=1e-12, atol=1e-12)
    assert calls == ([] if options.get("groups") else ["windows_2d", "windows_2d"])


def test_conv_transpose_by_compiled_col2im_matches_torch(compiled, ran):
    torch = pytest.importorskip("torch")
    calls = ran("zennet.ops.conv")
    rng = np.random.default_rng(9)
    x, w = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((3, 4, 3, 3))
    ours = F.conv_transpose2d(zn.tensor(x), zn.tensor(w), stride=2, padding=1).numpy()
    theirs = torch.nn.functional.conv_transpose2d(
        torch.tensor(x), torch.tensor(w), stride=2, padding=1
    )
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10, atol=1e-10)
    assert calls == ["windows_2d"]


@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("shape, normalized", [((3, 5, 8), (8,)), ((4, 3, 6), (3, 6))])
def test_layer_norm_kernels_equal_numpy(compiled, ran, affine, shape, normalized):
    calls = ran("zennet.ops.norm")
    rng = np.random.default_rng(10)
    x, dy = rng.standard_normal(shape) * 2 + 3, rng.standard_normal(shape)
    gamma, beta = rng.standard_normal(normalized), rng.standard_normal(normalized)
    results = []
    for on in (True, False):
        previous = kernels.use_compiled_kernels(on)
        zn.manual_seed(0)
        layer = zn.nn.LayerNorm(normalized, elementwise_affine=affine).double()
        if affine:
            layer.weight.data[...], layer.bias.data[...] = gamma, beta
        t = zn.tensor(x, requires_grad=True)
        y = layer(t)
        y.backward(zn.tensor(dy))
        results.append([y.numpy(), t.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()])
        kernels.use_compiled_kernels(previous)
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    assert calls == ["layer_norm", "layer_norm_backward"]


def test_layer_norm_kernels_switched_off_before_backward(compiled):
    x = np.random.default_rng(11).standard_normal((2, 3, 4))
    t = zn.tensor(x, requires_grad=True)
    y = F.layer_norm(t, (4,))  # the compiled forward
    kernels.use_compiled_kernels(False)
    y.backward(zn.tensor(np.ones_like(x)))  # the NumPy backward, from what the kernel kept
    expected_t = zn.tensor(x, requires_grad=True)
    F.layer_norm(expected_t, (4,)).backward(zn.tensor(np.ones_like(x)))
    np.testing.assert_allclose(t.grad.numpy(), expected_t.grad.numpy(), atol=1e-12)


def test_empty_batches_take_the_kernels_paths(compiled):
    layers = (zn.nn.MaxPool2d(2), zn.nn.BatchNorm2d(3).eval(), zn.nn.LayerNorm(6))
    convs = (zn.nn.Conv2d(3, 4, 3), zn.nn.ConvTranspose2d(3, 4, 3))  # im2col, col2im
    for layer in layers + convs:
        x = zn.tensor(np.zeros((0, 3, 6, 6), np.float32), requires_grad=True)
        y = layer(x)
        y.sum().backward()
        assert x.grad.shape == x.shape


def test_set_num_threads_refuses_fewer_than_one():
    with pytest.raises(ValueError, match="set_num_threads"):
        zn.set_num_threads(0)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_recurrent_cell_kernels_train_as_the_numpy_path(compiled, ran, monkeypatch, dtype, cell):
    """A two-layer bidirectional LSTM or GRU on padded sequences (the kernel on every step,
    the padding masked), its output, final states and every gradient against the NumPy path.
    The step loop's kernels: float32 would otherwise run as whole sequences (tested below)."""
    from zennet.ops import recurrent

    monkeypatch.setattr(getattr(recurrent, cell), "whole_sequence", False)
    calls = ran("zennet.ops.recurrent")
    rng = np.random.default_rng(5)
    x, h0, c0 = (rng.standard_normal(s).astype(dtype) for s in ((6, 3, 5), (4, 3, 7), (4, 3, 7)))
    results = []
    for on in (True, False):
        previous = kernels.use_compiled_kernels(on)
        zn.manual_seed(0)
        layer = getattr(zn.nn, cell)(5, 7, num_layers=2, bidirectional=True).to(dtype)
        inputs = [zn.tensor(a, requires_grad=True) for a in (x, h0, c0)]
        packed = zn.nn.utils.rnn.pack_padded_sequence(inputs[0], [6, 4, 2], enforce_sorted=False)
        out, states = layer(packed, tuple(inputs[1:]) if cell == "LSTM" else inputs[1])
        out = zn.nn.utils.rnn.pad_packed_sequence(out)[0]
        h, c = states if cell == "LSTM" else (states, states)
        ((out * out).sum() + (h * c).sum() + c.sum()).backward()
        grads = [t.grad for t in inputs if t.grad is not None]
        tensors = [out, h, c] + grads + [p.grad for p in layer.parameters()]
        results.append([t.numpy().copy() for t in tensors])
        kernels.use_compiled_kernels(previous)
    assert calls.count(f"{cell.lower()}_cell_backward") == 2 * 2 * 6  # layers, directions, steps
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_python_lstm_cell_kernel_is_the_formula():
    rng = np.random.default_rng(6)
    i, f, g, o, tanh_c, c_prev, dh, dc = rng.uniform(-1, 1, (8, 2, 3))
    da, dc_prev = np.full((2, 4, 3), np.nan), np.full((2, 3), np.nan)
    kernels.lstm_cell_backward(i, f, g, o, tanh_c, c_prev, dh, dc, da, dc_prev)
    dcc = dc + dh * o * (1 - tanh_c**2)
    expected = [dcc * g * i * (1 - i), dcc * c_prev * f * (1 - f), dcc * i * (1 - g**2)]
    expected.append(dh * tanh_c * o * (1 - o))
    np.testing.assert_allclose(da.transpose(1, 0, 2), expected, rtol=1e-14)
    np.testing.assert_allclose(dc_prev, dcc * f, rtol=1e-14)


def test_python_gru_cell_kernel_is_the_formula():
    rng = np.random.default_rng(7)
    r, z, n, b_n, h_prev, dh = rng.uniform(-1, 1, (6, 2, 3))
    da, db = np.full((2, 3, 3), np.nan), np.full((2, 3, 3), np.nan)
    kernels.gru_cell_backward(r, z, n, b_n, h_prev, dh, da, db)
    da_n = dh * (1 - z) * (1 - n**2)
    da_z = dh * (h_prev - n) * z * (1 - z)
    da_r = da_n * b_n * r * (1 - r)
    np.testing.assert_allclose(da.transpose(1, 0, 2), [da_r, da_z, da_n], rtol=1e-14)
    np.testing.assert_allclose(db.transpose(1, 0, 2), [da_r, da_z, da_n * r], rtol=1e-14)


def lstm_results(on, dtype, bidirectional, lengths=None, cell="LSTM", bias=True):
    """A two-layer LSTM's (or GRU's) output, final states and every gradient, kernels on
    or off."""
    previous = kernels.use_compiled_kernels(on)
    try:
        zn.manual_seed(0)
        make = getattr(zn.nn, cell)
        layer = make(5, 7, num_layers=2, bidirectional=bidirectional, bias=bias).to(dtype)
        rng = np.random.default_rng(8)
        states = (2 * (1 + bidirectional), 5, 7)
        x, h0, c0 = (rng.standard_normal(s).astype(dtype) for s in ((6, 5, 5), states, states))
        inputs = [zn.tensor(a, requires_grad=True) for a in (x, h0, c0)]
        inputs = inputs if cell == "LSTM" else inputs[:2]
        given = inputs[0]
        if lengths is not None:
            given = zn.nn.utils.rnn.pack_padded_sequence(given, lengths, enforce_sorted=False)
        out, final = layer(given, tuple(inputs[1:]) if cell == "LSTM" else inputs[1])
        h, c = final if cell == "LSTM" else (final, final * 2)
        if lengths is not None:
            out = zn.nn.utils.rnn.pad_packed_sequence(out)[0]
        ((out * out).sum() + (h * c).sum() + c.sum()).backward()
        tensors = [out, h, c] + [t.grad for t in inputs] + [p.grad for p in layer.parameters()]
        return [t.numpy().copy() for t in tensors]
    finally:
        kernels.use_compiled_kernels(previous)


@pytest.fixture
def whole_sequences(monkeypatch):
    """The names of the BLAS kernels run (kernels.by_rows), each call recorded."""
    calls, by_rows = [], kernels.by_rows

    def spy(name, rows, *args):
        calls.append(name)
        return by_rows(name, rows, *args)

    monkeypatch.setattr(kernels, "by_rows", spy)
    return calls


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_lstm_sequence_kernels_train_as_the_numpy_path(
    whole_sequences, monkeypatch, bidirectional, threads
):
    """The whole sequence as one compiled call, forward and backward: whole on one thread,
    and with three, cut into parts of the batch (5 samples: 1, 2 and 2) run at once."""
    monkeypatch.setitem(backend._THREADS, "n", threads)
    monkeypatch.setitem(parallel._STATE, "enabled", True)
    monkeypatch.setitem(kernels._STATE, "threads_spin", True)  # as test_parallel's
    counts, parts = [], kernels.parts
    monkeypatch.setattr(kernels, "parts", lambda *args: counts.append(parts(*args)) or counts[-1])
    got = lstm_results(True, np.float32, bidirectional)
    runs = 2 * (1 + bidirectional)  # layers × directions
    assert whole_sequences == ["lstm_sequence"] * runs + ["lstm_sequence_backward"] * runs
    assert threads in counts and set(counts) <= {1, threads}
    for a, b in zip(got, lstm_results(False, np.float32, bidirectional)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_gru_sequence_kernels_train_as_the_numpy_path(
    whole_sequences, monkeypatch, bidirectional, threads, bias
):
    """As the LSTM's: the GRU's whole sequence as one compiled call each way, with and
    without biases (b_hh stays inside the step: r multiplies it)."""
    monkeypatch.setitem(backend._THREADS, "n", threads)
    monkeypatch.setitem(parallel._STATE, "enabled", True)
    monkeypatch.setitem(kernels._STATE, "threads_spin", True)
    counts, parts = [], kernels.parts
    monkeypatch.setattr(kernels, "parts", lambda *args: counts.append(parts(*args)) or counts[-1])
    got = lstm_results(True, np.float32, bidirectional, cell="GRU", bias=bias)
    runs = 2 * (1 + bidirectional)
    assert whole_sequences == ["gru_sequence"] * runs + ["gru_sequence_backward"] * runs
    assert threads in counts and set(counts) <= {1, threads}
    expected = lstm_results(False, np.float32, bidirectional, cell="GRU", bias=bias)
    assert len(got) == len(expected) == 3 + 2 + (8 if bias else 4) * (1 + bidirectional)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_sequence_kernels_train_padded_sequences_as_the_numpy_path(
    whole_sequences, monkeypatch, cell, threads
):
    """Padding in the kernels: a sample's states stay past its length (running in
    reverse, it starts at its own last step), the gradients pass through the padding."""
    monkeypatch.setitem(backend._THREADS, "n", threads)
    monkeypatch.setitem(parallel._STATE, "enabled", True)
    monkeypatch.setitem(kernels._STATE, "threads_spin", True)
    lengths = [6, 4, 2, 6, 1]
    got = lstm_results(True, np.float32, True, lengths=lengths, cell=cell)
    name = cell.lower() + "_sequence"
    assert whole_sequences == [name] * 4 + [name + "_backward"] * 4
    for a, b in zip(got, lstm_results(False, np.float32, True, lengths=lengths, cell=cell)):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cell", ["LSTM", "GRU"])
def test_sequence_kernels_leave_float64_to_the_steps(whole_sequences, cell):
    lstm_results(True, np.float64, True, cell=cell)
    assert whole_sequences == []


def test_tanh32_is_within_4e_7_of_tanh():
    x = np.concatenate([np.linspace(-10, 10, 4001), [0.0, -0.0, 1e-30, 7.9, 7.91, 50, -50]])
    got = np.array([kernels.tanh32(np.float32(v)) for v in x])
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.tanh(x), rtol=0, atol=4e-7)
    assert np.isnan(kernels.tanh32(np.float32("nan")))
    assert kernels.tanh32(np.float32("inf")) == 1 and kernels.tanh32(np.float32("-inf")) == -1


def _label_loss_both_ways(x, y, **options):
    """(loss, dx) of F.cross_entropy on labels with the kernels on, then off."""
    results = []
    for on in (True, False):
        previous = kernels.use_compiled_kernels(on)
        zx = zn.tensor(x, requires_grad=True)
        loss = F.cross_entropy(zx, zn.tensor(y), **options)
        loss.backward()
        kernels.use_compiled_kernels(previous)
        results.append((loss.numpy(), zx.grad.numpy()))
    return results


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(128, 10), (7, 1), (33, 1000)])
def test_label_cross_entropy_kernels_equal_numpy(compiled, ran, dtype, shape):
    rng = np.random.default_rng(0)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    y = rng.integers(0, shape[1], shape[0]).astype(np.int32)
    y[[0, 5]] = 7 if shape[1] > 7 else 0
    y[[2, 3]] = -1  # ignored
    calls = ran("zennet.ops.loss")
    (loss, dx), (loss_np, dx_np) = _label_loss_both_ways(x, y, ignore_index=-1)
    assert calls == ["label_shift", "label_nll", "label_nll_backward"]
    assert loss.dtype == dtype and dx.dtype == dtype
    tol = 1e-6 if dtype == np.float32 else 1e-14  # the loss is summed in float64
    np.testing.assert_allclose(loss, loss_np, rtol=tol, atol=tol)
    np.testing.assert_array_equal(dx, dx_np)  # the gradient rounds as NumPy's: training too
    assert not dx[2:4].any() and (shape[1] == 1 or np.all(dx[1] != 0))  # one class: all 0


def test_label_cross_entropy_kernels_all_ignored_give_nan_as_numpy(compiled):
    x, y = np.zeros((3, 4), np.float32), np.full(3, -100)
    (loss, dx), (loss_np, dx_np) = _label_loss_both_ways(x, y)
    assert np.isnan(loss) and np.isnan(loss_np)
    np.testing.assert_array_equal(dx, dx_np)


def test_python_label_cross_entropy_kernels_are_the_formula():
    x = np.array([[1.0, 3.0, -2.0], [0.5, 0.5, 9.0]])
    y, shifted, dx = np.array([1, -100]), np.empty((2, 3)), np.empty((2, 3))
    picked = np.empty(2)
    kernels.label_shift(x, y, -100, shifted, picked)
    assert shifted.tolist() == [[-2.0, 0.0, -5.0], [-8.5, -8.5, 0.0]] and picked.tolist() == [0, 0]
    e = np.exp(shifted)
    total = e.sum(axis=1)
    loss, count = kernels.label_nll(total, y, -100, picked)
    p = e[0] / total[0]
    assert count == 1 and loss == pytest.approx(-np.log(p[1]))
    kernels.label_nll_backward(e, total, y, -100, 0.5, dx)
    np.testing.assert_allclose(dx[0], 0.5 * (p - [0, 1, 0]))
    assert dx[1].tolist() == [0, 0, 0]
