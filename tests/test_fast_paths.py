"""The semantics that the per-op fast paths (docs/performance.md) must keep: grad-mode
switches, Function.apply's input handling, and Module's attribute mirror."""

import numpy as np
import pytest

import zennet as zn
from zennet import nn
from zennet.nn.module import Parameter


def test_no_grad_decorator_restores_the_mode_after_recursion():
    @zn.no_grad()
    def depth(n):
        assert not zn.is_grad_enabled()
        return depth(n - 1) if n else 0

    depth(3)
    assert zn.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError), zn.no_grad():
        raise KeyError
    assert zn.is_grad_enabled()
    with zn.no_grad(), zn.enable_grad():
        assert zn.is_grad_enabled()


def test_apply_mixes_tensors_arrays_and_numpy_scalars():
    x = zn.tensor(np.array([1.0, 2.0], dtype=np.float32), requires_grad=True)
    y = x * np.float64(3.0) + np.array([1.0, 1.0], dtype=np.float32)
    assert y.dtype == np.float32 and y.requires_grad
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])
    with zn.no_grad():
        assert not (x * 2).requires_grad


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = Parameter(np.ones(2, dtype=np.float32))
        self.child = nn.Linear(2, 2)


def test_reassigned_parameter_is_what_attribute_and_parameters_see():
    net = Net()
    new = Parameter(np.zeros(2, dtype=np.float32))
    net.weight = new
    assert net.weight is new
    assert next(iter(net.parameters())) is new


def test_parameter_replaced_by_plain_value_leaves_the_table():
    net = Net()
    net.weight = 3
    assert net.weight == 3
    assert "weight" not in dict(net.named_parameters())


def test_deleted_parameter_and_module_are_gone_everywhere():
    net = Net()
    del net.weight
    del net.child
    assert not hasattr(net, "weight") and not hasattr(net, "child")
    assert list(net.parameters()) == []


def test_register_buffer_and_none_parameter():
    net = Net()
    net.register_buffer("running", zn.zeros(2))
    net.child.bias = None
    assert net.running is net._buffers["running"]
    assert net.child.bias is None and "child.bias" not in net.state_dict()


def test_sequential_setitem_and_delitem_keep_attributes_in_step():
    seq = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    replacement = nn.Tanh()
    seq[1] = replacement
    assert getattr(seq, "1") is replacement and seq[1] is replacement
    del seq[0]
    assert not hasattr(seq, "0") and len(seq) == 1


def test_module_list_setitem():
    modules = nn.ModuleList([nn.ReLU(), nn.ReLU()])
    replacement = nn.Tanh()
    modules[0] = replacement
    assert getattr(modules, "0") is replacement and modules[0] is replacement


def test_a_key_named_like_a_method_does_not_shadow_it():
    layers = nn.ModuleDict({"values": nn.ReLU(), "forward": nn.Tanh()})
    assert callable(layers.values) and list(layers.values())[0] is layers["values"]
    assert isinstance(layers["forward"], nn.Tanh)


def test_a_sub_module_swapped_in_the_table_is_what_the_attribute_gives():
    net = Net()  # nn.transfer.replace_head swaps heads this way
    head = nn.Linear(2, 5)
    net._modules["child"] = head
    assert net.child is head


def test_optional_parts_load_on_first_use():
    import subprocess
    import sys

    code = (
        "import sys, zennet as zn; "
        "heavy = ('zennet.explain', 'zennet.onnx', 'zennet.pretrained', 'zennet.data.datasets'); "
        "print(sorted(m for m in heavy if m in sys.modules)); "
        "print(callable(zn.explain.saliency), callable(zn.datasets.load_digits), 'onnx' in dir(zn))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split("\n")[:2] == ["[]", "True True True"]
    with pytest.raises(AttributeError, match="no attribute 'nonexistent'"):
        zn.nonexistent  # noqa: B018
