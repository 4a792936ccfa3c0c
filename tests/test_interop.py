"""PyTorch weights into zennet models: from_torch and load_torch_state, from memory and from
safetensors/npz files, give the predictions of the PyTorch model (rtol 1e-4)."""

from collections import OrderedDict

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

import zennet as zn
from zennet import nn
from zennet.interop import from_torch, load_torch_state

RTOL, ATOL = 1e-4, 1e-5


def mlp_pair():
    ours = nn.Sequential(nn.Linear(6, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
    theirs = torch.nn.Sequential(
        torch.nn.Linear(6, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(), torch.nn.Linear(8, 3)
    )
    return ours, theirs, (5, 6)


def lstm_pair():
    kwargs = dict(num_layers=2, batch_first=True, bidirectional=True)
    return nn.LSTM(4, 5, **kwargs), torch.nn.LSTM(4, 5, **kwargs), (3, 7, 4)


def transformer_pair():
    kwargs = dict(dim_feedforward=16, dropout=0.1, batch_first=True)
    ours = nn.TransformerEncoderLayer(8, 2, **kwargs)
    return ours, torch.nn.TransformerEncoderLayer(8, 2, **kwargs), (2, 5, 8)


def cnn_pair():
    def layers(nn):
        return [
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 6, 3, stride=2, groups=2), nn.AdaptiveAvgPool2d(1), nn.Flatten(),
            nn.Linear(6, 3),
        ]  # fmt: skip

    return nn.Sequential(*layers(nn)), torch.nn.Sequential(*layers(torch.nn)), (3, 1, 8, 8)


PAIRS = {"mlp": mlp_pair, "cnn": cnn_pair, "lstm": lstm_pair, "transformer": transformer_pair}


def trained_a_little(theirs, shape):
    """Move BatchNorm's running statistics away from 0 and 1, then evaluate."""
    torch.manual_seed(0)
    with torch.no_grad():
        theirs.train()
        theirs(torch.randn(*shape) * 2 + 1)
    return theirs.eval()


def flat(out):
    """The arrays in a (possibly nested) tuple of outputs."""
    if isinstance(out, (tuple, list)):
        return [a for o in out for a in flat(o)]
    return [out.detach().numpy() if isinstance(out, torch.Tensor) else np.asarray(out.data)]


def assert_same_predictions(ours, theirs, x):
    ours.eval()
    with torch.no_grad():
        expected = flat(theirs(torch.from_numpy(x)))
    with zn.no_grad():
        got = flat(ours(zn.tensor(x)))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        np.testing.assert_allclose(a, b, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("source", ["safetensors", "npz", "module", "state_dict"])
@pytest.mark.parametrize("name", list(PAIRS))
def test_torch_weights_give_torch_predictions(tmp_path, rng, name, source):
    ours, theirs, shape = PAIRS[name]()
    theirs = trained_a_little(theirs, shape)
    if source == "safetensors":
        path = tmp_path / "model.safetensors"
        save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, str(path))
        weights = path
    elif source == "npz":
        weights = tmp_path / "model.npz"
        np.savez(weights, **{k: v.numpy() for k, v in theirs.state_dict().items()})
    else:
        weights = theirs if source == "module" else theirs.state_dict()
    missing, unexpected = load_torch_state(ours, weights)
    assert missing == [] and unexpected == []
    assert_same_predictions(ours, theirs, rng.standard_normal(shape).astype(np.float32))


def test_from_torch_gives_numpy_copies_with_torch_keys():
    theirs = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    state = from_torch(theirs)
    assert isinstance(state, OrderedDict)
    assert list(state) == list(theirs.state_dict())
    assert all(isinstance(v, np.ndarray) for v in state.values())
    assert state["1.num_batches_tracked"].dtype == np.int64
    state["0.weight"][...] = 7  # a copy: the torch model is untouched
    assert not torch.all(theirs[0].weight == 7)


def test_from_torch_takes_tensors_needing_grad_bfloat16_and_arrays():
    state = {
        "w": torch.ones(2, 2, requires_grad=True),
        "h": torch.ones(3, dtype=torch.bfloat16),
        "a": np.zeros(2),
        "t": zn.ones(2),
    }
    out = from_torch(state)
    assert out["w"].dtype == np.float32 and out["h"].dtype == np.float32
    np.testing.assert_array_equal(out["h"], np.ones(3))
    assert out["a"].dtype == np.float64 and out["t"].shape == (2,)


def test_from_torch_refuses_other_things():
    with pytest.raises(TypeError, match="expected a torch.nn.Module or a state dict.*list"):
        from_torch([1, 2])
    with pytest.raises(TypeError, match="'name'.*expected a tensor or array of numbers"):
        from_torch({"name": "text"})


def test_dtypes_are_converted_to_the_model_dtypes():
    ours, theirs, shape = mlp_pair()
    theirs = trained_a_little(theirs, shape).double()
    load_torch_state(ours, theirs)
    assert all(p.dtype == np.float32 for p in ours.parameters())
    assert ours[1].num_batches_tracked.dtype == np.int64
    assert_same_predictions(ours, theirs.float(), np.ones(shape, np.float32))


def test_missing_num_batches_tracked_is_fine_and_old_shapes_are_fixed():
    ours, theirs, shape = mlp_pair()
    state = from_torch(trained_a_little(theirs, shape))
    del state["1.num_batches_tracked"]
    assert load_torch_state(ours, state) == ([], [])
    state["1.num_batches_tracked"] = np.array([9])  # stored as shape (1,) by old versions
    load_torch_state(ours, state)
    assert ours[1].num_batches_tracked.shape == () and int(ours[1].num_batches_tracked.item()) == 9


def test_a_counter_the_model_does_not_keep_is_dropped():
    ours = nn.Sequential(nn.BatchNorm1d(3, track_running_stats=False))
    theirs = torch.nn.Sequential(torch.nn.BatchNorm1d(3))
    missing, unexpected = load_torch_state(ours, theirs, strict=False)
    assert "0.num_batches_tracked" not in unexpected
    assert unexpected == ["0.running_mean", "0.running_var"]


def test_data_parallel_prefix_is_dropped():
    ours, theirs, shape = mlp_pair()
    state = {"module." + k: v for k, v in trained_a_little(theirs, shape).state_dict().items()}
    load_torch_state(ours, state)
    assert_same_predictions(ours, theirs, np.ones(shape, np.float32))


def test_wrong_architecture_gets_every_problem_at_once():
    ours = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 4))
    theirs = torch.nn.Sequential(torch.nn.Linear(6, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3))
    theirs.add_module("3", torch.nn.Linear(3, 1))
    with pytest.raises(ValueError, match=r"2.weight: file has \(3, 8\), model has \(4, 8\)") as e:
        load_torch_state(ours, theirs)
    assert "unexpected keys: ['3.weight', '3.bias']" in str(e.value)
    missing, unexpected = load_torch_state(
        nn.Sequential(nn.Linear(6, 8), nn.Linear(8, 2)), {"0.weight": torch.ones(8, 6)}, False
    )
    assert missing == ["0.bias", "1.weight", "1.bias"] and unexpected == []


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".bin"])
def test_pickle_files_are_refused_with_the_fix(tmp_path, suffix):
    path = tmp_path / f"model{suffix}"
    path.write_bytes(b"\x80\x04anything")
    with pytest.raises(ValueError, match="pickle file.*safetensors.torch import save_file"):
        load_torch_state(nn.Linear(2, 2), path)
