"""nn.utils: packed sequences through RNN/LSTM/GRU against PyTorch (outputs, final states,
gradients), pad_sequence, parameters_to_vector / vector_to_parameters; zennet.utils.data."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.nn.torch_parity import load_into_torch
from zennet import nn
from zennet.nn.utils import parameters_to_vector, rnn, vector_to_parameters

LENGTHS = [5, 3, 4]


@pytest.mark.parametrize("name", ["RNN", "LSTM", "GRU"])
@pytest.mark.parametrize("batch_first", [False, True])
def test_packed_sequences_match_torch(rng, name, batch_first):
    ours = getattr(nn, name)(3, 4, num_layers=2, bidirectional=True, batch_first=batch_first)
    theirs = getattr(torch.nn, name)(
        3, 4, num_layers=2, bidirectional=True, batch_first=batch_first
    )
    ours, theirs = ours.double(), theirs.double()
    load_into_torch(ours, theirs)
    sequences = [rng.standard_normal((n, 3)) for n in LENGTHS]
    results = []
    for lib, module, utils in ((zn, ours, rnn), (torch, theirs, torch.nn.utils.rnn)):
        xs = [lib.tensor(s, requires_grad=True) for s in sequences]
        padded = utils.pad_sequence(xs, batch_first=batch_first)
        packed = utils.pack_padded_sequence(padded, LENGTHS, batch_first, enforce_sorted=False)
        out, state = module(packed)
        out, lengths = utils.pad_packed_sequence(out, batch_first=batch_first)
        h = state[0] if name == "LSTM" else state
        (out.sum() + (h * h).sum()).backward()
        results.append((out, h, lengths, xs, packed))
    (out, h, lengths, xs, packed), (ref, h_ref, lengths_ref, xrs, packed_ref) = results
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h.numpy(), h_ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(lengths.numpy(), lengths_ref.numpy())
    np.testing.assert_array_equal(packed.batch_sizes, packed_ref.batch_sizes.numpy())
    np.testing.assert_allclose(packed.data.detach().numpy(), packed_ref.data.detach().numpy())
    for x, xr in zip(xs, xrs):
        np.testing.assert_allclose(x.grad.numpy(), xr.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (n, p), (_, r) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_allclose(p.grad.numpy(), r.grad.numpy(), rtol=1e-9, atol=1e-12, err_msg=n)


def test_pad_sequence_options_match_torch(rng):
    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    for kwargs in (dict(), dict(batch_first=True, padding_value=-1.0)):
        ours = rnn.pad_sequence([zn.tensor(s) for s in seqs], **kwargs).numpy()
        theirs = torch.nn.utils.rnn.pad_sequence([torch.tensor(s) for s in seqs], **kwargs)
        np.testing.assert_array_equal(ours, theirs.numpy())


def test_pack_padded_sequence_refuses_unsorted_lengths_when_asked():
    with pytest.raises(ValueError, match="lengths must be sorted in decreasing order"):
        rnn.pack_padded_sequence(zn.zeros(4, 3, 2), [2, 4, 1])


def test_parameters_to_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = parameters_to_vector(model.parameters())
    assert vec.shape == (11,)
    vector_to_parameters(vec * 2, model.parameters())
    np.testing.assert_allclose(parameters_to_vector(model.parameters()).numpy(), vec.numpy() * 2)
    with pytest.raises(ValueError, match="the vector has 3 elements, the parameters 11"):
        vector_to_parameters(zn.zeros(3), model.parameters())


def test_utils_data_is_the_data_package():
    import zennet.data
    import zennet.utils.data as data

    assert (
        data.DataLoader is zennet.data.DataLoader
        and data.TensorDataset is zennet.data.TensorDataset
    )
    loader = data.DataLoader(data.TensorDataset(np.arange(6.0), np.arange(6)), batch_size=4)
    assert [len(y) for _, y in loader] == [4, 2]
