"""Every zennet.nn class that PyTorch also has takes PyTorch's constructor arguments, in
PyTorch's positional order; layers with parameters take dtype= and reset_parameters()."""

import inspect

import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn

DEPRECATED = {"Hardtanh": {"min_value", "max_value"}}  # PyTorch's deprecated aliases


def _shared_classes():
    for name in sorted(dir(nn)):
        ours, theirs = getattr(nn, name), getattr(torch.nn, name, None)
        if inspect.isclass(ours) and inspect.isclass(theirs) and issubclass(ours, nn.Module):
            yield name


def _positional(parameters):
    return [k for k, p in parameters.items() if p.kind == p.POSITIONAL_OR_KEYWORD and k != "self"]


@pytest.mark.parametrize("name", list(_shared_classes()))
def test_constructor_takes_pytorchs_arguments(name):
    ours = inspect.signature(getattr(nn, name).__init__).parameters
    theirs = inspect.signature(getattr(torch.nn, name).__init__).parameters
    if any(p.kind == p.VAR_KEYWORD for p in ours.values()):
        pytest.skip(f"{name} takes **kwargs")
    skip = DEPRECATED.get(name, set()) | {"self", "args", "kwargs"}
    missing = [k for k in theirs if k not in ours and k not in skip]
    assert not missing, f"{name} lacks {missing}"
    want = [k for k in _positional(theirs) if k not in skip]
    assert _positional(ours)[: len(want)] == want


LAYERS = [
    ("Linear", (3, 4)),
    ("Bilinear", (3, 2, 4)),
    ("Conv1d", (2, 3, 3)),
    ("Conv2d", (2, 3, 3)),
    ("ConvTranspose2d", (2, 3, 3)),
    ("Embedding", (5, 3)),
    ("EmbeddingBag", (5, 3)),
    ("BatchNorm1d", (3,)),
    ("LayerNorm", (3,)),
    ("GroupNorm", (1, 3)),
    ("InstanceNorm2d", (3,)),
    ("RMSNorm", (3,)),
    ("PReLU", (3,)),
    ("RNN", (3, 4)),
    ("LSTM", (3, 4)),
    ("GRU", (3, 4)),
    ("LSTMCell", (3, 4)),
    ("GRUCell", (3, 4)),
    ("RNNCell", (3, 4)),
]


@pytest.mark.parametrize("name, args", LAYERS)
def test_dtype_and_reset_parameters(name, args):
    kwargs = {"affine": True} if name == "InstanceNorm2d" else {}
    layer = getattr(nn, name)(*args, dtype=zn.float64, **kwargs)
    params = list(layer.parameters())
    assert params and all(p.dtype == np.float64 for p in params)
    before = [p.numpy().copy() for p in params]
    for p in params:
        p.data[...] = 7.0
    layer.reset_parameters()
    after = [p.numpy() for p in params]
    assert all(not np.all(a == 7.0) for a in after)  # every parameter re-initialised
    assert [a.shape for a in after] == [b.shape for b in before]
