"""Module methods of PyTorch's surface: apply, hooks, get_submodule/get_parameter,
named_modules(remove_duplicate=), ParameterList/ParameterDict, type."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.nn.torch_parity import load_into_torch
from zennet import nn


def _mlp(lib):
    return lib.nn.Sequential(lib.nn.Linear(4, 3), lib.nn.Tanh(), lib.nn.Linear(3, 2))


def test_apply_visits_children_first_then_self():
    model = _mlp(zn)
    seen = []
    assert model.apply(lambda m: seen.append(type(m).__name__)) is model
    assert seen == ["Linear", "Tanh", "Linear", "Sequential"]


def test_apply_initialises_weights():
    model = _mlp(zn)

    def init(m):
        if isinstance(m, nn.Linear):
            nn.init.constant_(m.weight, 0.5)

    model.apply(init)
    assert np.all(model[0].weight.numpy() == 0.5) and np.all(model[2].weight.numpy() == 0.5)


def test_get_submodule_and_parameter():
    model = nn.Sequential(nn.Sequential(nn.Linear(2, 2)), nn.BatchNorm1d(2))
    assert model.get_submodule("0.0") is model[0][0]
    assert model.get_submodule("") is model
    assert model.get_parameter("0.0.weight") is model[0][0].weight
    assert model.get_buffer("1.running_mean") is model[1].running_mean
    with pytest.raises(AttributeError, match="has no sub-module 'x'"):
        model.get_submodule("0.x")
    with pytest.raises(AttributeError, match="has no parameter 'nope'"):
        model.get_parameter("0.0.nope")


def test_named_modules_remove_duplicate():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, shared)
    assert [n for n, _ in model.named_modules()] == ["", "0"]
    assert [n for n, _ in model.named_modules(remove_duplicate=False)] == ["", "0", "1"]
    theirs_shared = torch.nn.Linear(2, 2)
    theirs = torch.nn.Sequential(theirs_shared, theirs_shared)
    assert [n for n, _ in theirs.named_modules()] == ["", "0"]
    assert list(model.state_dict()) == list(theirs.state_dict())
    assert len(list(model.parameters())) == 2
    assert len(list(model.named_parameters(remove_duplicate=False))) == 4


def test_forward_pre_hook_replaces_arguments_and_can_be_removed():
    layer = nn.Linear(3, 3)
    handle = layer.register_forward_pre_hook(lambda m, args: args[0] * 0)
    out = layer(zn.ones(2, 3))
    np.testing.assert_allclose(out.numpy(), np.broadcast_to(layer.bias.numpy(), (2, 3)))
    handle.remove()
    assert not np.allclose(layer(zn.ones(2, 3)).numpy(), out.numpy())


def test_hooks_with_kwargs_and_prepend():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    m, calls = Scale(), []
    m.register_forward_pre_hook(lambda mod, a, kw: (a, {"factor": 3.0}), with_kwargs=True)
    m.register_forward_hook(lambda mod, a, kw, out: calls.append(kw) or out + 1, with_kwargs=True)
    m.register_forward_hook(lambda mod, a, out: calls.append("first"), prepend=True)
    out = m(zn.ones(2))
    np.testing.assert_allclose(out.numpy(), [4.0, 4.0])
    assert calls == ["first", {"factor": 3.0}]


@pytest.mark.parametrize("wants_input_grad", [True, False])
def test_full_backward_hook_sees_the_same_gradients_as_torch(wants_input_grad):
    ours, theirs = _mlp(zn), _mlp(torch)
    load_into_torch(ours, theirs)
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    seen = {}
    for name, model, lib in (("ours", ours, zn), ("theirs", theirs, torch)):
        record = []
        model[2].register_full_backward_hook(
            lambda m, gi, go, record=record: record.append((gi, go))
        )
        xt = lib.tensor(x, requires_grad=wants_input_grad)
        model(xt).sum().backward()
        seen[name] = record
    assert len(seen["ours"]) == len(seen["theirs"]) == 1
    (gi, go), (gi_ref, go_ref) = seen["ours"][0], seen["theirs"][0]
    assert len(gi) == len(gi_ref) and len(go) == len(go_ref)
    np.testing.assert_allclose(go[0].numpy(), go_ref[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(gi[0].numpy(), gi_ref[0].numpy(), rtol=1e-5, atol=1e-7)


def test_full_backward_hook_on_first_layer_without_input_grad_gets_none():
    ours = _mlp(zn)
    record = []
    ours[0].register_full_backward_hook(lambda m, gi, go: record.append(gi))
    ours(zn.ones(2, 4)).sum().backward()
    assert record == [(None,)]


def test_full_backward_hook_replaces_grad_input():
    layer = nn.Tanh()
    layer.register_full_backward_hook(lambda m, gi, go: (gi[0] * 0 + 7,))
    x = zn.ones(3, requires_grad=True)
    layer(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [7.0, 7.0, 7.0])


def test_parameter_list_matches_torch_state_dict():
    class Ours(nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = nn.ParameterList([nn.Parameter(zn.randn(2, 2)) for _ in range(3)])
            self.extra = nn.ParameterDict({"a": nn.Parameter(zn.zeros(2)), "b": zn.ones(1)})

        def forward(self, x):
            for w in self.ws:
                x = x @ w
            return x + self.extra["a"] + self.extra["b"]

    class Theirs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.ws = torch.nn.ParameterList([torch.randn(2, 2) for _ in range(3)])
            self.extra = torch.nn.ParameterDict({"a": torch.zeros(2), "b": torch.ones(1)})

        def forward(self, x):
            for w in self.ws:
                x = x @ w
            return x + self.extra["a"] + self.extra["b"]

    ours, theirs = Ours(), Theirs()
    load_into_torch(ours, theirs)
    x = np.ones((3, 2), np.float32)
    np.testing.assert_allclose(
        ours(zn.tensor(x)).numpy(), theirs(torch.tensor(x)).detach().numpy(), rtol=1e-6
    )
    assert isinstance(ours.extra["b"], nn.Parameter) and len(ours.ws) == 3
    assert ours.ws[-1] is ours.ws[2] and "a" in ours.extra


def test_type_casts_parameters():
    model = _mlp(zn).type(zn.float64)
    assert all(p.dtype == np.float64 for p in model.parameters())
