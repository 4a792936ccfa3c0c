import numpy as np
import pytest
import torch

import zennet as zn
from zennet import nn


def _mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(12, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3)
    )


def _torch_mlp():
    t = torch.nn
    return t.Sequential(t.Flatten(), t.Linear(12, 8), t.BatchNorm1d(8), t.ReLU(), t.Linear(8, 3))


def test_state_dict_keys_equal_torch():
    state = _mlp().state_dict()
    reference = _torch_mlp().state_dict()
    assert list(state) == list(reference)
    assert all(state[k].shape == tuple(v.shape) for k, v in reference.items())


def test_load_state_dict_from_torch_gives_torch_outputs(rng):
    ours, theirs = _mlp().eval(), _torch_mlp().eval()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = rng.standard_normal((4, 3, 4)).astype(np.float32)
    expected = theirs(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(ours(zn.tensor(x)).numpy(), expected, rtol=1e-5, atol=1e-6)


def test_load_state_dict_lists_every_problem_in_one_error():
    state = _mlp().state_dict()
    del state["1.bias"]
    state["9.weight"] = np.zeros(3)
    state["4.weight"] = np.zeros((3, 7))
    with pytest.raises(ValueError) as err:
        _mlp().load_state_dict(state)
    message = str(err.value)
    assert message.startswith("Sequential.load_state_dict")
    assert "missing keys: ['1.bias']" in message
    assert "unexpected keys: ['9.weight']" in message
    assert "4.weight: file has (3, 7), model has (3, 8)" in message


def test_load_state_dict_not_strict_reports_and_loads_the_rest():
    source, target = _mlp(), _mlp()
    state = source.state_dict()
    del state["1.bias"]
    state["extra"] = np.zeros(1)
    missing, unexpected = target.load_state_dict(state, strict=False)
    assert missing == ["1.bias"] and unexpected == ["extra"]
    np.testing.assert_array_equal(target[4].weight.numpy(), source[4].weight.numpy())
    with pytest.raises(ValueError, match="shape mismatches: 4.weight"):
        target.load_state_dict({"4.weight": np.zeros((2, 2))}, strict=False)


def test_load_state_dict_copies_and_keeps_dtype():
    model = _mlp()
    state = {k: v.astype(np.float64) for k, v in model.state_dict().items()}
    state["1.weight"][:] = 1
    model.load_state_dict(state)
    assert model[1].weight.dtype == np.float32 and (model[1].weight.numpy() == 1).all()
    state["1.weight"][:] = 2  # no aliasing of the caller's arrays
    assert (model[1].weight.numpy() == 1).all()


def test_requires_grad_false_freezes(rng):
    model = _mlp()
    model[1].requires_grad_(False)
    model(zn.tensor(rng.standard_normal((4, 12)).astype(np.float32))).sum().backward()
    assert model[1].weight.grad is None and model[1].bias.grad is None
    assert model[4].weight.grad is not None and model[2].weight.grad is not None
    model.requires_grad_()
    assert all(p.requires_grad for p in model.parameters())


def test_repr_of_a_model_is_pytorchs():
    assert repr(_mlp()) == repr(_torch_mlp())
    nested = nn.Sequential(nn.Sequential(nn.Linear(2, 2), nn.GELU()), nn.LayerNorm(2))
    reference = torch.nn.Sequential(
        torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.GELU()), torch.nn.LayerNorm(2)
    )
    assert repr(nested) == repr(reference)


def test_repr_of_a_module_with_extra_repr_and_children():
    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

        def extra_repr(self):
            return "scale=2"

    assert repr(Block()) == (
        "Block(\n  scale=2\n  (fc): Linear(in_features=2, out_features=2, bias=True)\n)"
    )


def test_forward_hook_sees_output_and_can_be_removed():
    layer, seen = nn.Linear(3, 2), []
    handle = layer.register_forward_hook(lambda m, inputs, out: seen.append((m, out.shape)))
    layer(zn.zeros(4, 3))
    assert seen == [(layer, (4, 2))]
    handle.remove()
    layer(zn.zeros(4, 3))
    assert len(seen) == 1
    with layer.register_forward_hook(lambda m, inputs, out: out * 0):  # a result replaces
        assert not layer(zn.ones(1, 3)).numpy().any()
    assert layer(zn.ones(1, 3)).numpy().any()


def test_summary_table_totals_and_shapes():
    model = nn.Sequential(
        nn.Unflatten(1, (1, 4, 4)),
        nn.Flatten(),
        nn.Linear(16, 8),
        nn.BatchNorm1d(8),
        nn.ReLU(),
        nn.Dropout(0.5),
        nn.Linear(8, 3),
    )
    model[2].requires_grad_(False)
    text = model.summary((16,), print_fn=None)
    total = sum(p.numel() for p in model.parameters())
    assert total == 16 * 8 + 8 + 16 + 8 * 3 + 3
    assert f"Total params: {total:,}" in text
    assert f"Trainable params: {total - 136:,}" in text
    assert "Non-trainable params: 136" in text
    lines = text.splitlines()
    assert lines[0] == 'Model: "Sequential"'
    row = next(line for line in lines if line.startswith("0 (Unflatten)"))
    assert "(None, 1, 4, 4)" in row
    row = next(line for line in lines if line.startswith("2 (Linear)"))
    assert "(None, 8)" in row and row.endswith("136")
    rows = [line for line in lines if line[:1].isdigit()]
    assert len(rows) == 7
    assert sum(int(r.split()[-1].replace(",", "")) for r in rows) == total


def test_summary_prints_restores_mode_and_leaves_no_state(capsys):
    model = _mlp().train()
    text = model.summary((3, 4))
    assert capsys.readouterr().out.strip() == text.strip()
    assert all(m.training for m in model.modules())
    assert int(model[2].num_batches_tracked.data) == 0
    assert not any(m._forward_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())


def test_summary_of_nested_and_integer_input_models():
    model = nn.Sequential(nn.Embedding(20, 4), nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 2)))
    text = model.summary((5,), dtype="int64", print_fn=None)
    assert "1.0 (LayerNorm)" in text and "1.1 (Linear)" in text and "(None, 5, 2)" in text
    assert "Total params: 98" in text
    assert "(model) (Linear)" in nn.Linear(3, 2).summary(3, print_fn=None)
