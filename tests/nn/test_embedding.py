import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from tests.nn.torch_parity import param_count, round_trip, same_as_torch
from zennet import nn


@pytest.mark.parametrize("train", [True, False])
@pytest.mark.parametrize("padding_idx", [None, 0, 3, -1])
@pytest.mark.parametrize("shape", [(7,), (2, 5)])
def test_embedding_matches_torch(rng, padding_idx, shape, train):
    ours = nn.Embedding(10, 4, padding_idx=padding_idx)
    theirs = torch.nn.Embedding(10, 4, padding_idx=padding_idx)
    ids = rng.integers(0, 10, shape)
    ids.flat[:3] = [3, 3, 9]  # repeated ids sum their gradients; 3 and 9 may be padding
    out = same_as_torch(ours, theirs, ids, train=train)
    assert out.shape == shape + (4,)
    assert param_count(ours) == 40
    assert repr(ours) == repr(theirs)
    round_trip(ours, nn.Embedding(10, 4, padding_idx=padding_idx), ids)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    layer = nn.Embedding(5, 3, padding_idx=2)
    np.testing.assert_array_equal(layer.weight.numpy()[2], 0)
    layer(zn.tensor(np.array([2, 2, 1]))).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy()[2], 0)
    np.testing.assert_array_equal(layer.weight.grad.numpy()[1], 1)


def test_embedding_default_init_is_standard_normal():
    weight = nn.Embedding(1000, 50).weight.numpy()
    assert weight.dtype == np.float32
    assert abs(weight.mean()) < 0.01 and abs(weight.std() - 1) < 0.01  # 50,000 draws


def test_embedding_op_gradcheck(rng):
    ids = np.array([[0, 2, 2], [1, 0, 4]])
    weight = zn.tensor(rng.standard_normal((5, 3)), requires_grad=True)
    # (padding_idx is left out on purpose: its row's zero gradient is not the derivative)
    assert zn.gradcheck(lambda w: F.embedding(ids, w), [weight])


def test_embedding_out_of_range_index_names_the_layer():
    layer = nn.Embedding(10, 3)
    with pytest.raises(
        ValueError,
        match=r"Embedding\(num_embeddings=10, embedding_dim=3\) got index 10, out of range for "
        r"10 embeddings \(valid indices are 0\.\.9\)",
    ):
        layer(zn.tensor(np.array([1, 10])))
    with pytest.raises(ValueError, match="got index -1, out of range"):
        layer(zn.tensor(np.array([-1, 2])))
    with pytest.raises(TypeError, match=r"indices must be integers, got dtype float32.*\.long\(\)"):
        layer(zn.zeros(3))


def test_embedding_bad_arguments():
    with pytest.raises(ValueError, match="Embedding: padding_idx 10 is out of range for 10"):
        nn.Embedding(10, 3, padding_idx=10)
    with pytest.raises(ValueError, match="Embedding: embedding_dim must be a positive int"):
        nn.Embedding(10, 0)


def test_from_pretrained_is_frozen_by_default(rng):
    vectors = rng.standard_normal((4, 2)).astype(np.float32)
    layer = nn.Embedding.from_pretrained(vectors)
    np.testing.assert_array_equal(layer(zn.tensor(np.array([3]))).numpy(), vectors[[3]])
    assert not layer.weight.requires_grad
    assert nn.Embedding.from_pretrained(vectors, freeze=False).weight.requires_grad
    with pytest.raises(ValueError, match="embeddings must be 2-D"):
        nn.Embedding.from_pretrained(vectors[0])
