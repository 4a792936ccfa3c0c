"""zn.jit.trace: a forward pass recorded once and replayed on arrays must give the eager
model's outputs (to the bit, the same op forwards on the same arrays), follow later
parameter changes, trace again for new shapes, and refuse what it cannot replay."""

import time

import numpy as np
import pytest

import zennet as zn
from zennet import jit, nn
from zennet.nn import functional as F


def mlp():
    zn.manual_seed(0)
    return nn.Sequential(
        nn.Linear(12, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(), nn.Linear(16, 3)
    )


def eager(model, *inputs):
    with zn.no_grad():
        return model(*inputs)


def assert_same(got, expected):
    if isinstance(expected, dict):
        assert isinstance(got, dict) and list(got) == list(expected)
        got, expected = list(got.values()), list(expected.values())
    if not isinstance(expected, zn.Tensor):
        assert type(got) is type(expected)
    if not isinstance(expected, (tuple, list)):
        if not isinstance(expected, zn.Tensor):
            assert got == expected
            return
        assert got.shape == expected.shape and got.dtype == expected.dtype
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
        return
    assert len(got) == len(expected)
    for g, e in zip(got, expected):
        assert_same(g, e)


def test_a_traced_mlp_gives_the_eager_output_and_traces_again_for_a_new_shape():
    model = mlp().eval()
    x = zn.randn(1, 12)
    traced = jit.trace(model, x)
    assert isinstance(traced, nn.Module) and traced.module is model
    out = traced(x)
    assert not out.requires_grad and out.grad_fn is None
    assert_same(out, eager(model, x))
    assert len(traced._plans) == 1
    y = zn.randn(5, 12)
    assert_same(traced(y), eager(model, y))
    assert len(traced._plans) == 2
    for batch in range(2, 2 + jit.PLANS_KEPT):
        traced(zn.randn(batch, 12))
    assert len(traced._plans) == jit.PLANS_KEPT  # the oldest dropped


def test_the_replay_reads_the_parameters_as_they_are_now():
    model = mlp().eval()
    x = zn.randn(2, 12)
    traced = jit.trace(model, x)
    before = traced(x).numpy()
    model.train()
    opt = zn.optim.SGD(model.parameters(), lr=0.5)
    F.cross_entropy(model(x), zn.tensor([0, 2])).backward()
    opt.step()
    model.eval()
    assert_same(traced(x), eager(model, x))
    assert not np.array_equal(traced(x).numpy(), before)
    state = mlp().state_dict()  # other values, loaded in place
    model.load_state_dict(state)
    assert_same(traced(x), eager(model, x))


def conv_net():
    zn.manual_seed(1)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(4 * 4 * 4, 10),
    )


class LastStep(nn.Module):
    """An LSTM read at its last step (x[:, -1]: getitem, recorded whole), a detached
    value, a division, and a tuple out with a dict in it."""

    def __init__(self):
        super().__init__()
        zn.manual_seed(2)
        self.lstm = nn.LSTM(3, 5, batch_first=True)
        self.head = nn.Linear(5, 2)

    def forward(self, x, scale):
        out, (h, c) = self.lstm(x)
        last = out[:, -1].detach()
        return self.head(last) / scale, {"best": h.argmax(dim=-1), "steps": x.shape[1]}


class InPlace(nn.Module):
    """In-place changes of values made in the forward pass (the replay follows them)."""

    def __init__(self):
        super().__init__()
        zn.manual_seed(3)
        self.lin = nn.Linear(4, 4)

    def forward(self, x):
        h = self.lin(x)
        h.add_(1.0)
        h[:, 0] = -1.0
        h.mul_(x)
        g = self.lin(x)
        g.zero_()  # a constant now
        return h, g.detach() + h


@pytest.mark.parametrize(
    "build, inputs",
    [
        (conv_net, lambda: (zn.randn(3, 1, 8, 8),)),
        (LastStep, lambda: (zn.randn(2, 4, 3), zn.tensor(2.0))),
        (
            lambda: nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True),
            lambda: (zn.randn(2, 5, 8),),
        ),
        (lambda: nn.Embedding(7, 4), lambda: (zn.tensor([[1, 6, 0]]),)),
        (InPlace, lambda: (zn.randn(3, 4),)),
    ],
    ids=[
        "conv-bn-pool-dropout",
        "lstm-getitem-detach-tuple",
        "transformer-layer",
        "embedding",
        "in-place",
    ],
)
def test_models_of_many_layers_replay_as_run_eagerly(build, inputs):
    model = build().eval()
    example = inputs()
    traced = jit.trace(model, example)
    assert_same(traced(*example), eager(model, *example))
    other = inputs()  # other values, same shapes: the plan already made
    assert_same(traced(*other), eager(model, *other))
    assert len(traced._plans) == 1


def test_a_function_of_tensors_can_be_traced():
    w = zn.randn(4, 4)

    def f(a, b):
        return zn.tanh(a @ w + b), a.sum()

    a, b = zn.randn(3, 4), zn.randn(4)
    traced = jit.trace(f, (a, b))
    assert_same(traced(a, b), f(a, b))
    a2 = zn.randn(3, 4)
    assert_same(traced(a2, b), f(a2, b))


class ReadsValues(nn.Module):
    def forward(self, x):
        return zn.tensor(x.numpy() * 2)  # computed outside zennet's ops


class ChangesABuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("seen", zn.zeros(3))

    def forward(self, x):
        self.seen.add_(x.sum(dim=0))
        return x * 2


def test_what_a_replay_cannot_follow_is_refused_with_the_reason():
    x = zn.randn(2, 3)
    with pytest.raises(RuntimeError, match="outside the ops zennet records"):
        jit.trace(ReadsValues().eval(), x)
    with pytest.raises(NotImplementedError, match="parameter or buffer in place"):
        jit.trace(ChangesABuffer().eval(), x)
    with pytest.raises(ValueError, match=r"training mode.*model\.eval\(\)"):
        jit.trace(mlp(), zn.randn(1, 12))
    model = mlp().eval()
    traced = jit.trace(model, zn.randn(1, 12))
    with pytest.raises(TypeError, match="inputs must be Tensors"):
        traced(np.zeros((1, 12), np.float32))
    with pytest.raises(TypeError, match="example inputs must be Tensors"):
        jit.trace(model, [np.zeros((1, 12))])
    model.train()
    with pytest.raises(RuntimeError, match="training mode"):
        traced(zn.randn(1, 12))


def test_check_inputs_are_checked_and_the_check_can_be_left_out():
    model = ReadsValues().eval()
    x = zn.randn(2, 3)
    traced = jit.trace(model, x, check_trace=False)  # the example alone: values as recorded
    assert_same(traced(x), eager(model, x))
    positive = zn.ones(2, 3)
    jit.trace(Branches().eval(), positive)  # the rolled, halved example takes the same branch
    with pytest.raises(RuntimeError, match="a branch on a tensor's value"):
        jit.trace(Branches().eval(), positive, check_inputs=[(-positive,)])


class Branches(nn.Module):
    def forward(self, x):
        return x * 2 if x.sum().item() > 0 else x * 3


class Slow(nn.Module):
    """A layer whose forward pass waits a moment: recordings in threads overlap."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(12, 3)

    def forward(self, x):
        time.sleep(0.005)
        return self.lin(x)


def test_threads_may_call_a_traced_module_at_once_and_trace_new_shapes():
    from concurrent.futures import ThreadPoolExecutor

    model = Slow().eval()
    traced = jit.trace(model, zn.randn(1, 12))
    inputs = [zn.randn(2 + i % 6, 12) for i in range(24)]  # shapes new to the traced module
    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(traced, inputs))
    for x, out in zip(inputs, outs):
        assert_same(out, eager(model, x))
