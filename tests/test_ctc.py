"""CTC loss: values and gradients against torch.nn.functional.ctc_loss, and a float64
gradient check of the primitive itself.

PyTorch's gradient with respect to log_probs folds a log-softmax in (see zennet.ops.ctc), so
the PyTorch comparisons differentiate through F.log_softmax of random logits, where the
two agree; zennet returns PyTorch's gradient too, so the gradient check also goes through
F.log_softmax (the gradient of the composite is the true one).
"""

import numpy as np
import pytest
import torch

import zennet as zn
import zennet.functional as F
from zennet import nn

TARGETS = np.array([[1, 2, 2, 0], [3, 0, 0, 0], [5, 4, 3, 2], [1, 1, 1, 0], [0, 0, 0, 0]])
TARGET_LENGTHS = np.array([3, 1, 4, 3, 0])  # a repeat (2, 2), a single label, an empty target
INPUT_LENGTHS = np.array([12, 10, 9, 12, 5])


def both(logits, targets, input_lengths, target_lengths, dtype=np.float64, **kw):
    """(zennet loss, logits grad), (torch loss, logits grad) for the same arguments."""
    x = logits.astype(dtype)
    ours = zn.tensor(x, requires_grad=True)
    loss = F.ctc_loss(F.log_softmax(ours, -1), targets, input_lengths, target_lengths, **kw)
    theirs = torch.tensor(x, requires_grad=True)
    ref = torch.nn.functional.ctc_loss(
        theirs.log_softmax(-1), torch.tensor(targets), torch.tensor(input_lengths),
        torch.tensor(target_lengths), **kw,
    )  # fmt: skip
    seed = np.cos(np.arange(loss.numel())).reshape(loss.shape) + 1.5
    loss.backward(zn.tensor(seed.astype(dtype)))
    ref.backward(torch.tensor(seed.astype(dtype)))
    return (loss.numpy(), ours.grad.numpy()), (ref.detach().numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
def test_matches_torch(rng, reduction):
    logits = rng.standard_normal((12, 5, 6))
    (l, g), (lr, gr) = both(logits, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS, reduction=reduction)
    np.testing.assert_allclose(l, lr, rtol=1e-10)
    np.testing.assert_allclose(g, gr, rtol=1e-8, atol=1e-12)


def test_matches_torch_float32_long_sequence(rng):
    logits = 3 * rng.standard_normal((80, 3, 11))
    targets = rng.integers(1, 11, (3, 7))
    (l, g), (lr, gr) = both(
        logits, targets, np.array([80, 64, 33]), np.array([7, 5, 2]), np.float32
    )
    assert l.dtype == np.float32
    np.testing.assert_allclose(l, lr, rtol=1e-5)
    np.testing.assert_allclose(g, gr, rtol=1e-4, atol=1e-6)


def test_concatenated_targets_blank_and_unbatched(rng):
    logits = rng.standard_normal((12, 5, 6))
    flat = np.concatenate([t[:n] for t, n in zip(TARGETS, TARGET_LENGTHS)])
    (l, g), (lr, gr) = both(logits, flat, INPUT_LENGTHS, TARGET_LENGTHS, reduction="sum")
    np.testing.assert_allclose(l, lr, rtol=1e-10)
    np.testing.assert_allclose(g, gr, rtol=1e-8, atol=1e-12)
    shifted = np.where(TARGETS == 5, 0, TARGETS)  # labels 0..4 with blank=5
    (l, g), (lr, gr) = both(logits, shifted, INPUT_LENGTHS, TARGET_LENGTHS, blank=5)
    np.testing.assert_allclose(l, lr, rtol=1e-10)
    np.testing.assert_allclose(g, gr, rtol=1e-8, atol=1e-12)
    (l, g), (lr, gr) = both(logits[:, 0], TARGETS[0, :3], 12, 3, reduction="none")
    assert l.shape == ()
    np.testing.assert_allclose(l, lr, rtol=1e-10)
    np.testing.assert_allclose(g, gr, rtol=1e-8, atol=1e-12)


def test_impossible_alignment_and_zero_infinity(rng):
    logits = rng.standard_normal((3, 2, 4))
    targets, lengths = np.array([[1, 1, 1], [1, 2, 3]]), np.array([3, 3])  # 1,1,1 needs 5 frames
    (l, _), (lr, _) = both(logits, targets, np.array([3, 3]), lengths, reduction="none")
    assert np.isinf(l[0]) and np.isinf(lr[0])
    np.testing.assert_allclose(l[1], lr[1], rtol=1e-10)
    (l, g), (lr, gr) = both(
        logits, targets, np.array([3, 3]), lengths, reduction="sum", zero_infinity=True
    )
    np.testing.assert_allclose(l, lr, rtol=1e-10)
    np.testing.assert_allclose(g, gr, rtol=1e-8, atol=1e-12)
    assert np.all(g[:, 0] == 0)


def test_gradcheck_float64(rng):
    x = zn.tensor(rng.standard_normal((10, 5, 6)), requires_grad=True)

    def fn(logits):
        log_probs = F.log_softmax(logits, -1)
        return F.ctc_loss(log_probs, TARGETS, [10, 10, 9, 8, 5], TARGET_LENGTHS, reduction="sum")

    assert zn.gradcheck(fn, [x])


def test_module(rng):
    logits = rng.standard_normal((12, 5, 6))
    log_probs = F.log_softmax(zn.tensor(logits), -1)
    loss = nn.CTCLoss(reduction="sum")(log_probs, TARGETS, INPUT_LENGTHS, TARGET_LENGTHS)
    ref = torch.nn.CTCLoss(reduction="sum")(
        torch.tensor(logits).log_softmax(-1), torch.tensor(TARGETS),
        torch.tensor(INPUT_LENGTHS), torch.tensor(TARGET_LENGTHS),
    )  # fmt: skip
    np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-10)
    assert "blank=0" in repr(nn.CTCLoss())


def test_errors(rng):
    lp = F.log_softmax(zn.tensor(rng.standard_normal((6, 2, 4))), -1)
    with pytest.raises(ValueError, match=r"expected \(T, N, C\).*permute"):
        F.ctc_loss(lp[0, 0], [[1]], [1], [1])
    with pytest.raises(ValueError, match="other than the blank"):
        F.ctc_loss(lp, [[0, 1], [1, 2]], [6, 6], [2, 2])
    with pytest.raises(ValueError, match="input_lengths must lie"):
        F.ctc_loss(lp, [[1, 2], [1, 2]], [7, 6], [2, 2])
    with pytest.raises(ValueError, match="reduction"):
        F.ctc_loss(lp, [[1, 2], [1, 2]], [6, 6], [2, 2], reduction="avg")
    with pytest.raises(ValueError, match="sum\\(target_lengths\\)"):
        F.ctc_loss(lp, [1, 2, 3], [6, 6], [2, 2])
