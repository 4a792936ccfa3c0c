"""``F.ctc_loss``: the CTC loss with PyTorch's signature and reductions (the recursion and
its gradient are the primitive in ops/ctc.py)."""

from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.arith import div, mean, sum
from zennet.functional.loss import check_reduction
from zennet.ops.ctc import CTCLoss


def _lengths(xp, name, value, n):
    """``input_lengths`` / ``target_lengths`` (a Tensor, array, list or int) as int64 (N,)."""
    lengths = xp.asarray(array_of(value)).astype("int64").reshape(-1)
    if lengths.shape != (n,):
        if lengths.size == 1:
            return xp.full((n,), int(lengths[0]))
        raise ValueError(f"ctc_loss: {name} has {lengths.size} entries for a batch of {n}.")
    return lengths


def _padded_targets(xp, targets, target_lengths, n):
    """Targets as (N, S) padded; 1-D targets are the concatenation PyTorch also accepts."""
    targets = xp.asarray(array_of(targets)).astype("int64")
    if targets.ndim == 2:
        return targets
    if targets.ndim != 1 or targets.size != int(target_lengths.sum()):
        raise ValueError(
            f"ctc_loss: targets of shape {targets.shape}; expected (N, S) padded, or 1-D of "
            f"length sum(target_lengths) = {int(target_lengths.sum())}."
        )
    out = xp.zeros((n, max(int(target_lengths.max(initial=0)), 1)), dtype="int64")
    start = 0
    for i, length in enumerate(target_lengths.tolist()):
        out[i, :length] = targets[start : start + length]
        start += length
    return out


def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):  # fmt: skip
    """Connectionist temporal classification loss: ``-log p(target | input)`` summed over
    every alignment (Graves et al., 2006; formulas in ``zennet.ops.ctc``).

    ``log_probs`` (T, N, C) or (T, C): log-softmax outputs, time first; ``targets`` (N, S)
    padded class indices (never ``blank``) or 1-D concatenated; ``input_lengths`` and
    ``target_lengths`` (N,). ``reduction``: "mean" divides each loss by its target length
    and averages over the batch (as PyTorch), "sum" adds, "none" gives (N,).
    ``zero_infinity`` sets infinite losses (inputs too short to align) and their gradients
    to zero.

    >>> loss = F.ctc_loss(logits.log_softmax(2), targets, input_lengths, target_lengths)
    """
    check_reduction("ctc_loss", reduction)
    log_probs = as_tensor(log_probs)
    if log_probs.ndim not in (2, 3):
        raise ValueError(
            f"ctc_loss: log_probs of shape {log_probs.shape}; expected (T, N, C) or (T, C), "
            "time first. Permute a batch-first (N, T, C) with .permute(1, 0, 2)."
        )
    unbatched = log_probs.ndim == 2
    if unbatched:
        log_probs = log_probs.unsqueeze(1)
    xp = module_of(log_probs)
    t_max, n, classes = log_probs.shape
    input_lengths = _lengths(xp, "input_lengths", input_lengths, n)
    target_lengths = _lengths(xp, "target_lengths", target_lengths, n)
    targets = array_of(targets)
    if unbatched and getattr(targets, "ndim", 1) == 1:
        targets = xp.asarray(targets).reshape(1, -1)
    targets = _padded_targets(xp, targets, target_lengths, n)
    if (input_lengths > t_max).any() or (input_lengths < 1).any():
        raise ValueError(
            f"ctc_loss: input_lengths must lie in [1, T={t_max}], got {input_lengths}."
        )
    if (target_lengths > targets.shape[1]).any() or (target_lengths < 0).any():
        raise ValueError(
            f"ctc_loss: target_lengths {target_lengths} do not fit targets of shape "
            f"{targets.shape}."
        )
    used = xp.arange(targets.shape[1])[None, :] < target_lengths[:, None]
    if ((targets < 0) | (targets >= classes) | (targets == blank))[used].any():
        raise ValueError(
            f"ctc_loss: targets must be class indices in [0, {classes}) other than the blank "
            f"({blank}); got values {sorted(set(targets[used].tolist()))}."
        )
    targets = xp.where(used, targets, 0 if blank != 0 else 1 % classes)
    loss = CTCLoss.apply(log_probs, targets, input_lengths, target_lengths, blank=blank,
                         zero_infinity=zero_infinity)  # fmt: skip
    if reduction == "mean":
        divisor = xp.maximum(target_lengths, 1).astype(loss.dtype)
        return mean(div(loss, divisor))
    if reduction == "sum":
        return sum(loss)
    return loss[0] if unbatched else loss
