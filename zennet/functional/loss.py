"""Losses: how far a prediction is from its target, as PyTorch computes them.

Every loss takes ``reduction``: "mean" (the default), "sum" or "none" (one loss per
element or sample). Cross-entropies on logits and on probabilities are fused primitives
in ops/loss.py, for their numerics; the rest are composed from primitives here.
Unlike PyTorch (which broadcasts with a warning), a target whose shape differs from the
input's is an error: broadcasting (N, 1) against (N,) silently gives an (N, N) loss.
"""

import warnings

import numpy as np

from zennet.backend import is_floating
from zennet.functional._util import array_of, as_tensor, check_numbers, module_of, shape_of
from zennet.functional.arith import abs, cast, exp, log, mean, mul, neg, sub, sum, where
from zennet.ops import loss as ops
from zennet.tensor import Tensor

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(op, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        listed = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{op}: reduction must be one of {listed}, got {reduction!r}.")


def legacy_reduction(size_average, reduce, reduction):
    """PyTorch's deprecated ``size_average`` and ``reduce`` as a ``reduction``, with its
    warning (torch.nn._reduction.legacy_get_string): when either is given (None counts as
    True), reduce=False gives 'none', else size_average=False gives 'sum', else 'mean';
    when neither is given, ``reduction`` is kept."""
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    mapped = "none" if not reduce else "mean" if size_average else "sum"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{mapped}' "
        "instead.",
        UserWarning,
        stacklevel=3,
    )
    return mapped


def _reduce(loss, reduction):
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return sum(loss)
    return loss


def _check_same_shape(op, input, target):
    si, st = shape_of(input), shape_of(target)
    if si != st:
        raise ValueError(
            f"{op}: input has shape {si} but target has shape {st}; they must match "
            f"(broadcasting them would compare every prediction with every target). "
            f"Reshape one of them, e.g. target.reshape{si} or input.squeeze()."
        )


def _as_dtype_of(x, like):
    """``x`` (a Tensor keeps its graph) in the floating dtype of ``like``."""
    dtype = as_tensor(like).dtype
    if isinstance(x, Tensor):
        return cast(x, dtype)
    return module_of(like).asarray(x, dtype=dtype)


def _check_weight(op, name, weight, shape):
    """``weight`` must broadcast to the input's ``shape`` without enlarging it."""
    if weight is None:
        return
    try:
        fits = np.broadcast_shapes(shape_of(weight), shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {shape_of(weight)} does not broadcast to the input's "
            f"shape {tuple(shape)}."
        )


# ----------------------------------------------------------------- regression


def _difference(op, input, target, reduction):
    check_reduction(op, reduction)
    _check_same_shape(op, input, target)
    return sub(input, target)


def _weighted(op, loss, weight, reduction, by_weight=True):
    """loss · weight (one weight per element, PyTorch 2.13's ``weight=``) reduced: "mean"
    divides by Σ weight (mse, l1) or by the element count (huber), as PyTorch."""
    if weight is None:
        return _reduce(loss, reduction)
    weight = as_tensor(weight)
    if shape_of(weight) != shape_of(loss):
        raise ValueError(
            f"{op}: weights and input must have the same size, got {shape_of(weight)} and "
            f"{shape_of(loss)}."
        )
    loss = mul(loss, weight)
    if reduction == "mean" and by_weight:
        return sum(loss) / sum(weight)
    return _reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean squared error: l = (input - target)² (times ``weight``)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    diff = _difference("mse_loss", input, target, reduction)
    return _weighted("mse_loss", mul(diff, diff), weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Mean absolute error: l = |input - target|  (gradient sign(d), 0 at d = 0)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    diff = _difference("l1_loss", input, target, reduction)
    return _weighted("l1_loss", abs(diff), weight, reduction)


def _huber(diff, delta):
    """½ d² where |d| < delta, else delta (|d| - ½ delta): quadratic near 0, linear beyond."""
    size = abs(diff)
    return where(size.data < delta, 0.5 * mul(diff, diff), delta * (size - 0.5 * delta))


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """Huber loss: l = ½ d² if |d| < delta else delta (|d| - ½ delta), d = input - target."""
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    diff = _difference("huber_loss", input, target, reduction)
    return _weighted("huber_loss", _huber(diff, delta), weight, reduction, by_weight=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Smooth L1: l = ½ d² / beta if |d| < beta else |d| - ½ beta (= huber / beta; L1 at beta 0)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}.")
    diff = _difference("smooth_l1_loss", input, target, reduction)
    loss = abs(diff) if beta == 0 else _huber(diff, beta) / beta
    return _reduce(loss, reduction)


# ------------------------------------------------------------ binary targets


def binary_cross_entropy(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """l = -weight (y log p + (1 - y) log(1 - p)) for probabilities p; each log is clamped
    to >= -100 as in PyTorch. Prefer binary_cross_entropy_with_logits on logits."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("binary_cross_entropy", reduction)
    _check_same_shape("binary_cross_entropy", input, target)
    _check_weight("binary_cross_entropy", "weight", weight, shape_of(input))
    p = array_of(input)
    if not ((p >= 0) & (p <= 1)).all():
        raise ValueError(
            f"binary_cross_entropy: input must hold probabilities in [0, 1], got values from "
            f"{float(np.nanmin(p)):.4g} to {float(np.nanmax(p)):.4g} (or NaN). Pass logits to "
            f"binary_cross_entropy_with_logits instead (it is also more stable)."
        )
    loss = ops.BinaryCrossEntropy.apply(input, _as_dtype_of(target, input))
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(
    input,
    target,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
    pos_weight=None,
):
    """l = weight ((1 - y) x - L log σ(x)), L = 1 + (pos_weight - 1) y, for logits x.

    Stable for any logit: without pos_weight, l = max(x, 0) - x y + log(1 + e^-|x|).
    ``pos_weight`` (broadcast along the last dimension, one per class) scales the loss of
    positive targets, trading recall for precision.
    """
    op = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    _check_same_shape(op, input, target)
    _check_weight(op, "weight", weight, shape_of(input))
    _check_weight(op, "pos_weight", pos_weight, shape_of(input))
    inputs = (input, _as_dtype_of(target, input))
    if pos_weight is not None:
        inputs += (pos_weight,)
    loss = ops.BinaryCrossEntropyWithLogits.apply(*inputs)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction)


# ------------------------------------------------------------- class targets


def _class_weight(op, weight, shape, dtype):
    """The class weights as an array that broadcasts along dim 1 of ``shape``."""
    w = module_of(weight).asarray(array_of(weight), dtype=dtype)
    if w.shape != (shape[1],):
        raise ValueError(
            f"{op}: weight must hold one value per class, shape ({shape[1]},), got shape {w.shape}."
        )
    return w.reshape((-1,) + (1,) * (len(shape) - 2))


def _check_labels(op, target, shape, ignore_index):
    """Integer labels of shape (N, d1, ...) for an input (N, C, d1, ...), each in 0..C-1."""
    t = module_of(target).asarray(array_of(target))
    wanted = shape[:1] + shape[2:]
    if not np.issubdtype(t.dtype, np.integer) or t.shape != wanted:
        probabilities = (
            f", or class probabilities of shape {shape}" if op == "cross_entropy" else ""
        )
        raise ValueError(
            f"{op}: for an input of shape {shape} the target must be class indices, an "
            f"integer tensor of shape {wanted}{probabilities}; got dtype {t.dtype} and "
            f"shape {t.shape}. Integer labels stored as floats need target.long()."
        )
    classes = shape[1]
    if t.size == 0 or (t.min() >= 0 and t.max() < classes):  # two passes, in the usual case
        return t
    bad = (t != ignore_index) & ((t < 0) | (t >= classes))
    if bad.any():
        raise ValueError(
            f"{op}: target contains label {t[bad].flat[0]} but input has {classes} classes "
            f"(valid labels 0..{classes - 1})"
        )
    return t


def _label_coefficients(op, target, shape, dtype, weight, ignore_index, label_smoothing):
    """The target coefficients ``a`` of loss = -Σ_c a_c log p_c, and the 'mean' divisor.

    For label y of a kept sample (y != ignore_index), with class weights w (1 without):
        a_c = (1 - ε) w_y [c = y] + (ε / C) w_c,     ε = label_smoothing
    and the divisor is Σ over kept samples of w_y (their count without weights), exactly
    PyTorch's normalisation for weight, ignore_index and label_smoothing together.
    """
    t = _check_labels(op, target, shape, ignore_index)
    xp = module_of(t)
    classes = xp.arange(shape[1]).reshape((-1,) + (1,) * (len(shape) - 2))  # along dim 1
    kept = xp.expand_dims(t != ignore_index, 1)  # (N, 1, d1, ...)
    onehot = (xp.expand_dims(t, 1) == classes) & kept  # (N, C, d1, ...)
    if weight is None:
        a = onehot.astype(dtype)
        divisor = int(kept.sum())
    else:
        w = _class_weight(op, weight, shape, dtype)
        a = onehot * w
        divisor = float(a.sum())
        w = w * kept
    if label_smoothing:
        a *= 1 - label_smoothing
        a += (label_smoothing / shape[1]) * (kept if weight is None else w)
    return a, divisor


def _unbatched(fn, input, target, reduction, **options):
    """PyTorch's unbatched form: input (C,) with one label (or one distribution)."""
    target = as_tensor(target).reshape(1, *shape_of(target))
    loss = fn(input.reshape(1, -1), target, reduction=reduction, **options)
    return loss.reshape(()) if reduction == "none" else loss


def cross_entropy(
    input,
    target,
    weight=None,
    size_average=None,
    ignore_index=-100,
    reduce=None,
    reduction="mean",
    label_smoothing=0.0,
):
    """Softmax cross-entropy on logits: l = -Σ_c a_c log softmax(input)_c over dim 1.

    input: logits (N, C), (N, C, d1, ...) or (C,). target: class indices (N,) /
    (N, d1, ...) of integer dtype, or class probabilities shaped like input.
    For labels, a = one-hot(y) · weight[y] (smoothed by label_smoothing, see
    ``_label_coefficients``); samples with y == ignore_index count for nothing, and
    "mean" divides by Σ weight[y] over the kept samples. For probabilities t,
    a = weight · ((1 - ε) t + ε / C) and "mean" divides by N·d1·...
    The gradient is dl · (softmax(input) Σ_c a_c - a): softmax - one-hot for plain labels.
    """
    op = "cross_entropy"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{op}: label_smoothing must be in [0, 1], got {label_smoothing}.")
    input = as_tensor(input)
    check_numbers(op, input)
    if input.ndim == 1:
        options = dict(weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing)
        return _unbatched(cross_entropy, input, target, reduction, **options)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a scalar.")
    shape, dtype, classes = input.shape, input.dtype, input.shape[1]
    if is_floating(module_of(target).asarray(array_of(target)).dtype) and shape_of(target) == shape:
        a = _as_dtype_of(target, input) * (1 - label_smoothing) + label_smoothing / classes
        if weight is not None:
            a = a * _class_weight(op, weight, shape, dtype)
        loss = ops.SoftmaxCrossEntropy.apply(input, a, axis=1)
        if reduction == "mean":
            return sum(loss) / (input.numel() // classes if classes else 0)
        return _reduce(loss, reduction)
    if weight is None and not label_smoothing and reduction == "mean" and input.ndim == 2:
        labels = _check_labels(op, target, shape, ignore_index)  # the common case, one op
        return ops.MeanLabelCrossEntropy.apply(input, labels, ignore_index=ignore_index)
    a, divisor = _label_coefficients(
        op, target, shape, dtype, weight, ignore_index, label_smoothing
    )
    loss = ops.SoftmaxCrossEntropy.apply(input, a, axis=1)
    return sum(loss) / divisor if reduction == "mean" else _reduce(loss, reduction)


def nll_loss(
    input, target, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
):
    """Negative log-likelihood of log-probabilities: l = -weight[y] · input[y] over dim 1.

    input (N, C), (N, C, d1, ...) or (C,), usually log_softmax's output; target class
    indices. "mean" divides by Σ weight[y] over samples whose y != ignore_index.
    """
    op = "nll_loss"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction)
    input = as_tensor(input)
    check_numbers(op, input)
    if input.ndim == 1:
        options = dict(weight=weight, ignore_index=ignore_index)
        return _unbatched(nll_loss, input, target, reduction, **options)
    if input.ndim == 0:
        raise ValueError(f"{op}: input must have a class dimension, got a scalar.")
    a, divisor = _label_coefficients(op, target, input.shape, input.dtype, weight, ignore_index, 0)
    picked = where(a != 0, input, 0)  # a -inf log-probability of another class stays out
    loss = neg(sum(mul(picked, a), dim=1))
    return sum(loss) / divisor if reduction == "mean" else _reduce(loss, reduction)


def _xlogx(t):
    """t log t, with 0 log 0 = 0."""
    positive = array_of(t) > 0
    return where(positive, mul(t, log(where(positive, t, 1))), 0)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence KL(target ‖ exp(input)) for log-probabilities ``input``:
    l = target (log target - input)   (log_target: l = e^target (target - input)).

    reduction="batchmean" divides the sum by the batch size N: the true KL per sample.
    "mean" (PyTorch's default) divides by the number of elements instead.
    """
    op = "kl_div"
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction(op, reduction, REDUCTIONS + ("batchmean",))
    _check_same_shape(op, input, target)
    if log_target:
        loss = mul(exp(target), sub(target, input))
    else:
        loss = sub(_xlogx(target), mul(target, input))
    if reduction == "batchmean":
        batch = shape_of(input)[0] if len(shape_of(input)) else 1
        return sum(loss) / batch
    return _reduce(loss, reduction)
