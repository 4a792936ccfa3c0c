"""Embedding's and EmbeddingBag's max_norm (rows renormalised in place at lookup),
scale_grad_by_freq and sparse=True against PyTorch, float32 and float64."""

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from zennet import nn

TOLERANCES = {np.float32: (1e-5, 1e-6), np.float64: (1e-12, 1e-14)}
IDS = np.array([[1, 4, 4, 0], [7, 1, 4, 9]])


def run_both(make, call, dtype, seed=0):
    """Build the zennet and torch modules (torch's weight copied from ours), look up IDS
    twice (the second lookup sees the renormalised table), back-propagate a fixed seed;
    returns [(output, weight after, weight grad)] for zennet and torch."""
    ours, theirs = make(nn), make(torch.nn)
    ours.to(dtype)
    theirs.to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.numpy().copy()))
    results = []
    for lib, module in ((zn, ours), (torch, theirs)):
        ids = lib.tensor(IDS)
        call(module, ids)
        out = call(module, ids)
        weights = np.cos(np.arange(out.numel())).reshape(tuple(out.shape)).astype(dtype)
        (out * lib.tensor(weights)).sum().backward()
        grad = module.weight.grad
        grad = grad.to_dense() if getattr(grad, "is_sparse", False) else grad  # sparse=True
        results.append((out.detach().numpy(), module.weight.detach().numpy().copy(), grad.numpy()))
    return results


def assert_same(results, dtype):
    rtol, atol = TOLERANCES[dtype]
    for ours, theirs, what in zip(*results, ("output", "weight", "grad")):
        np.testing.assert_allclose(ours, theirs, rtol=rtol, atol=atol, err_msg=what)


EMBEDDING_OPTIONS = [
    dict(max_norm=1.0),
    dict(max_norm=2.5, norm_type=1.0),
    dict(max_norm=0.5, norm_type=float("inf"), padding_idx=0),
    dict(scale_grad_by_freq=True),
    dict(scale_grad_by_freq=True, padding_idx=4, max_norm=1.5),
    dict(sparse=True),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", EMBEDDING_OPTIONS)
def test_embedding_options_match_torch(dtype, options):
    def make(lib):
        return lib.Embedding(10, 3, **options)

    assert_same(run_both(make, lambda m, ids: m(ids), dtype), dtype)
    assert repr(make(nn)) == repr(make(torch.nn))


def test_max_norm_changes_only_the_looked_up_rows_that_are_too_long():
    zn.manual_seed(0)
    layer = nn.Embedding(6, 4, max_norm=1.0)
    layer.weight.data[2] = 0.1  # short: left alone
    before = layer.weight.numpy().copy()
    layer(zn.tensor([2, 3, 3]))
    after = layer.weight.numpy()
    np.testing.assert_array_equal(after[[0, 1, 2, 4, 5]], before[[0, 1, 2, 4, 5]])
    assert np.linalg.norm(before[3]) > 1
    np.testing.assert_allclose(np.linalg.norm(after[3]), 1.0, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    "options",
    [
        dict(max_norm=1.0, mode="sum"),
        dict(max_norm=1.2, norm_type=3.0, mode="max"),
    ],
)
def test_embedding_bag_options_match_torch(dtype, options):
    def make(lib):
        return lib.EmbeddingBag(10, 3, **options)

    assert_same(run_both(make, lambda m, ids: m(ids), dtype), dtype)


class TorchBagOfEmbedding(torch.nn.Module):
    """The documented EmbeddingBag(scale_grad_by_freq=True): F.embedding's per-index counts,
    then the bag's sum or mean. PyTorch 2.13's CPU EmbeddingBag divides by the count of
    another index when counts differ (pytorch/pytorch#190063, fixed after 2.13)."""

    def __init__(self, mode, padding_idx):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(10, 3))
        self.mode, self.padding_idx = mode, padding_idx

    def forward(self, ids):
        rows = torch.nn.functional.embedding(ids, self.weight, scale_grad_by_freq=True)
        if self.padding_idx is not None:
            keep = (ids != self.padding_idx).unsqueeze(-1)
            rows = rows * keep
            return rows.sum(1) if self.mode == "sum" else rows.sum(1) / keep.sum(1)
        return rows.sum(1) if self.mode == "sum" else rows.mean(1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("mode, padding_idx", [("sum", None), ("mean", None), ("sum", 9)])
def test_embedding_bag_scale_grad_by_freq_with_mixed_counts(dtype, mode, padding_idx):
    def make(lib):
        if lib is nn:
            options = dict(mode=mode, padding_idx=padding_idx)
            return nn.EmbeddingBag(10, 3, scale_grad_by_freq=True, **options)
        return TorchBagOfEmbedding(mode, padding_idx)

    results = run_both(make, lambda m, ids: m(ids), dtype)
    assert_same(results, dtype)
    counts = np.bincount(IDS.reshape(-1), minlength=10)
    assert set(counts[counts > 0]) == {1, 2, 3}  # mixed counts, which PyTorch's CPU bag gets wrong


def test_functional_embedding_takes_pytorchs_arguments(rng):
    weight = rng.standard_normal((8, 3))
    ours_w, theirs_w = zn.tensor(weight.copy()), torch.tensor(weight.copy())
    ours = F.embedding(zn.tensor(IDS % 8), ours_w, None, 1.0, 2.0, False, False)
    theirs = torch.nn.functional.embedding(torch.tensor(IDS % 8), theirs_w, None, 1.0, 2.0)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours_w.numpy(), theirs_w.numpy(), rtol=1e-12)


def test_embedding_bag_refuses_scale_grad_by_freq_with_max():
    with pytest.raises(ValueError, match="scale_grad_by_freq needs mode 'sum' or 'mean'"):
        nn.EmbeddingBag(5, 2, mode="max", scale_grad_by_freq=True)(zn.tensor([[0, 1]]))
