"""SparseAdam against torch.optim.SparseAdam: an Embedding(sparse=True) trained a few steps
(zennet's gradient is dense; torch's is sparse), and dense gradients with zero rows or
entries against torch's on the same gradient made sparse (float64 and float32)."""

import numpy as np
import pytest
import torch

import zennet as zn
from tests.optim.test_optimizers import check_round_trip
from zennet import nn, optim

BATCHES = [np.array([[1, 4, 4], [0, 7, 1]]), np.array([[2, 2, 9]]), np.array([[4, 0, 3, 3]])]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(
    "options", [dict(lr=0.1), dict(lr=0.05, betas=(0.5, 0.9), eps=1e-3, maximize=True)]
)
def test_embedding_training_matches_torch_sparse_adam(dtype, options):
    zn.manual_seed(0)
    ours = nn.Embedding(10, 3, sparse=True).to(dtype)
    theirs = torch.nn.Embedding(10, 3, sparse=True).to(torch.from_numpy(np.zeros(0, dtype)).dtype)
    with torch.no_grad():
        theirs.weight.copy_(torch.from_numpy(ours.weight.numpy().copy()))
    opt, ref = (
        optim.SparseAdam(ours.parameters(), **options),
        torch.optim.SparseAdam(theirs.parameters(), **options),
    )
    rtol = 1e-12 if dtype == np.float64 else 1e-5
    for step in range(9):
        ids = BATCHES[step % 3]
        weights = np.cos(np.arange(ids.size * 3) + step).reshape(*ids.shape, 3).astype(dtype)
        for lib, module, o in ((zn, ours, opt), (torch, theirs, ref)):
            o.zero_grad()
            (module(lib.tensor(ids)) * lib.tensor(weights)).sum().backward()
            o.step()
        np.testing.assert_allclose(
            ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=rtol, atol=rtol,
            err_msg=f"step {step}",
        )  # fmt: skip
    never_seen = [5, 6, 8]
    np.testing.assert_array_equal(opt.state[ours.weight]["exp_avg"][never_seen], 0)
    state, ref_state = opt.state_dict()["state"][0], ref.state_dict()["state"][0]
    assert sorted(state) == sorted(ref_state)
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(state[key], ref_state[key].numpy(), rtol=rtol, atol=rtol)
    assert state["step"] == int(ref_state["step"]) == 9


def test_dense_gradients_update_only_their_nonzero_rows_and_entries():
    """A 2-d parameter with zero rows and a 1-d one with zero entries, against torch's
    SparseAdam on the same gradients as sparse tensors (rows: to_sparse(1); entries:
    to_sparse()); steps with no gradient at all keep the step count, as PyTorch."""
    rng = np.random.default_rng(0)
    start = [rng.standard_normal((6, 3)), rng.standard_normal(5)]
    ours = [nn.Parameter(p.copy()) for p in start]
    theirs = [torch.tensor(p.copy(), requires_grad=True) for p in start]
    opt, ref = optim.SparseAdam(ours, lr=0.1), torch.optim.SparseAdam(theirs, lr=0.1)
    for step in range(8):
        g_rows = rng.standard_normal((6, 3)) * (rng.random((6, 1)) < 0.5)
        g_rows[0, 1] = 0.0  # a zero inside a touched row is still part of it
        g_entries = rng.standard_normal(5) * (rng.random(5) < 0.5)
        if step == 3:
            g_rows[...] = 0.0  # an empty sparse gradient: nothing moves, the step counts
        for p, g in zip(ours, (g_rows, g_entries)):
            p.grad = zn.tensor(g)
        theirs[0].grad = torch.tensor(g_rows).to_sparse(1)
        theirs[1].grad = torch.tensor(g_entries).to_sparse()
        opt.step()
        ref.step()
        for k, (a, b) in enumerate(zip(ours, theirs)):
            np.testing.assert_allclose(
                a.numpy(), b.detach().numpy(), rtol=1e-12, atol=1e-14, err_msg=f"{step} {k}"
            )
    assert opt.state[ours[0]]["step"] == ref.state[theirs[0]]["step"] == 8


def test_state_dict_round_trip_continues_identically():
    check_round_trip("SparseAdam", dict(lr=0.05))


def test_bad_arguments():
    p = [nn.Parameter(np.zeros(3))]
    with pytest.raises(ValueError, match="SparseAdam: lr must be > 0"):
        optim.SparseAdam(p, lr=0.0)
    with pytest.raises(ValueError, match=r"SparseAdam: betas\[1\] must be in \[0, 1\)"):
        optim.SparseAdam(p, betas=(0.9, 1.0))
    assert optim.get("sparse_adam", p).defaults == optim.SparseAdam(p).defaults
