"""Devices and dtypes: every tensor knows its device, ops compute with their inputs' array
module, and Module.to really moves or casts.

No GPU is needed: a stand-in device ("tracked", tests/stand_in_device.py) keeps its arrays
as a NumPy subclass and computes with a wrapper of NumPy that returns that subclass. An op
that made an array with a module it imported (``numpy.zeros``) instead of its inputs'
module would hand a plain ndarray into the graph, and the walk below finds it.
"""

import numpy as np
import pytest

import zennet as zn
from tests import stand_in_device
from tests.stand_in_device import Tracked
from zennet import functional as F
from zennet import nn


@pytest.fixture
def tracked():
    device = stand_in_device.register()
    yield device
    stand_in_device.unregister()


def graph_arrays(root):
    """(where, array) for every array in the graph behind ``root``: the tensors' data and
    every array an op saved for its backward pass."""
    found, seen, stack = [], set(), [root]
    while stack:
        t = stack.pop()
        if id(t) in seen or not isinstance(t, zn.Tensor):
            continue
        seen.add(id(t))
        found.append(("tensor", t.data))
        fn = t.grad_fn
        if fn is None:
            continue
        for name, value in vars(fn).items():
            for v in value if isinstance(value, (tuple, list)) else [value]:
                if isinstance(v, np.ndarray):
                    found.append((f"{type(fn).__name__}.{name}", v))
        stack.extend(fn.parents)
    return found


def leaks(arrays):
    return sorted({where for where, a in arrays if type(a) is not Tracked})


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm2d(4)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(4 * 4 * 4, 16)
        self.drop = nn.Dropout(0.25)
        self.fc2 = nn.Linear(16, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.bn(self.conv(x))))
        return self.fc2(self.drop(F.gelu(self.fc1(x.flatten(1)))))


class SmallSequenceModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = nn.Embedding(11, 8)
        self.lstm = nn.LSTM(8, 8, batch_first=True)
        self.attn = nn.MultiheadAttention(8, 2, batch_first=True)
        self.norm = nn.LayerNorm(8)
        self.out = nn.Linear(8, 3)

    def forward(self, tokens):
        h, _ = self.lstm(self.embed(tokens))
        a, _ = self.attn(h, h, h, need_weights=False)
        return self.out(self.norm(h + a).mean(1))


@pytest.mark.parametrize(
    "make_model, make_input",
    [
        (SmallCNN, lambda rng: rng.standard_normal((5, 1, 8, 8)).astype(np.float32)),
        (SmallSequenceModel, lambda rng: rng.integers(0, 11, (5, 6))),
    ],
    ids=["cnn", "lstm-attention"],
)
def test_a_training_step_on_a_stand_in_device_leaks_no_numpy_array(
    tracked, rng, make_model, make_input
):
    model = make_model().to("tracked")
    optimizer = zn.optim.Adam(model.parameters(), lr=1e-3)
    x = zn.tensor(make_input(rng), device="tracked")
    y = zn.tensor(rng.integers(0, 3, 5), device="tracked")
    assert x.device == "tracked" and str(next(model.parameters()).device) == "tracked"
    loss = F.cross_entropy(model(x), y)
    arrays = graph_arrays(loss)
    assert len(arrays) > 30
    assert leaks(arrays) == []
    loss.backward()
    optimizer.step()
    grads = [p.grad.data for p in model.parameters()]
    state = [a for s in optimizer.state.values() for a in s.values() if hasattr(a, "ndim")]
    assert all(type(a) is Tracked for a in grads + state + [p.data for p in model.parameters()])
    assert all(type(b.data) is Tracked for b in model.buffers())


def test_an_op_on_two_devices_names_both(tracked):
    a, b = zn.ones(3, device="tracked"), zn.ones(3)
    with pytest.raises(RuntimeError, match="same device, got tracked and cpu"):
        a + b


def test_to_moves_between_devices_and_the_gradient_comes_back(tracked):
    x = zn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x.to("tracked")
    assert type(y.data) is Tracked and y.device == "tracked" and x.device == "cpu"
    (y * y).sum().backward()
    assert type(x.grad.data) is np.ndarray
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 4.0, 6.0])
    assert y.to("tracked") is y and y.cpu().device == "cpu"
    with pytest.raises(TypeError, match=r"\.cpu\(\)\.numpy\(\)"):
        y.numpy()


def test_module_double_makes_every_parameter_and_buffer_float64_and_trains_in_float64(rng):
    model = SmallCNN()
    assert model.double() is model
    params = list(model.parameters())
    state = model.state_dict()
    assert {str(state[k].dtype) for k in state if "num_batches" not in k} == {"float64"}
    assert state["bn.num_batches_tracked"].dtype == np.int64  # counters keep their dtype
    optimizer = zn.optim.Adam(params, lr=1e-3)
    x = zn.tensor(rng.standard_normal((5, 1, 8, 8)))  # float64 data
    for _ in range(2):
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, zn.tensor(rng.integers(0, 3, 5)))
        loss.backward()
        optimizer.step()
        assert logits.dtype == np.float64 and loss.dtype == np.float64
        assert all(p.grad.dtype == np.float64 for p in params)
    assert all(
        a.dtype == np.float64
        for s in optimizer.state.values()
        for a in s.values()
        if hasattr(a, "dtype")
    )
    assert all(p is q for p, q in zip(params, model.parameters()))  # moved in place
    model.to(zn.float32)
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float32)}


def test_trainer_fit_runs_in_float64_end_to_end(rng):
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2)).to(zn.float64)
    seen = []
    model[0].register_forward_hook(lambda m, inputs, out: seen.append(out.dtype))
    x = rng.standard_normal((32, 4))
    y = (x[:, 0] > 0).astype(np.int64)
    trainer = zn.Trainer(model, zn.optim.SGD(model.parameters(), lr=0.1))
    trainer.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert seen and set(seen) == {np.dtype(np.float64)}
    assert {p.dtype for p in model.parameters()} == {np.dtype(np.float64)}


@pytest.mark.skipif(zn.cuda.is_available(), reason="a GPU is present: 'cuda' is available")
@pytest.mark.parametrize("move", [lambda: zn.ones(2).to("cuda"), lambda: nn.Linear(2, 2).cuda()])
def test_cuda_without_cupy_fails_with_one_clear_line(move):
    with pytest.raises(RuntimeError, match="device 'cuda' is not available") as error:
        move()
    assert "\n" not in str(error.value)


def test_device_objects_compare_with_names_and_unknown_names_are_refused():
    assert zn.device("cpu") == "cpu" and zn.ones(1).device == zn.device("cpu")
    assert repr(zn.device("cpu")) == "device(type='cpu')"
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        zn.device("tpu")
    assert zn.ones(2, device="cpu").device == "cpu"
    assert zn.ones(2).to("float64").dtype == np.float64  # a dtype name is not a device


def test_zeros_written_is_zeros_on_the_modules_device():
    from zennet.backend import zeros_written

    for xp, kind in ((np, np.ndarray), (stand_in_device.TrackedNumpy(), Tracked)):
        out = zeros_written(xp, (3, 4), np.float32)
        assert type(out) is kind and out.dtype == np.float32 and out.shape == (3, 4)
        assert not out.any()
