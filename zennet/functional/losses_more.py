"""The rest of torch.nn.functional's losses, composed of primitives (their gradients
follow from the chain rule): Poisson and Gaussian NLL, margin ranking, hinge embedding,
soft margin, multi-label soft margin, cosine embedding, multi-class and multi-label
margin, triplet margin (with any distance). Every one takes ``reduction``.
"""

import math

import numpy as np

from zennet.functional import activation as act
from zennet.functional._util import array_of, as_tensor, module_of
from zennet.functional.activation_extra import logsigmoid
from zennet.functional.arith import clamp, exp, log, minimum, sqrt, sum, where
from zennet.functional.distance import pairwise_distance
from zennet.functional.loss import _reduce, check_reduction, legacy_reduction
from zennet.functional.shape import getitem, reshape, unsqueeze
from zennet.tensor import Tensor


def _start(op, reduction, *tensors):
    check_reduction(op, reduction)
    return [as_tensor(t) for t in tensors]


def poisson_nll_loss(
    input,
    target,
    log_input=True,
    full=False,
    size_average=None,
    eps=1e-8,
    reduce=None,
    reduction="mean",
):
    """Negative log-likelihood of target ~ Poisson(λ):
    log_input: l = e^input − target·input;  else l = input − target·log(input + eps);
    ``full`` adds Stirling's term target·log target − target + ½ log(2π target) (target > 1)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    input, target = _start("poisson_nll_loss", reduction, input, target)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        big = array_of(target) > 1
        t = where(big, target, 1.0)
        stirling = t * log(t) - t + log(t * (2 * math.pi)) * 0.5
        loss = loss + where(big, stirling, 0.0)
    return _reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of target ~ N(input, var): ½(log var + (input − target)²/var)
    (+ ½ log 2π with ``full``). var is clamped to eps without stopping its gradient (as
    PyTorch); var may lack the last dimension or have size 1 there (one variance per row)."""
    input, target, var = _start("gaussian_nll_loss", reduction, input, target, var)
    if var.shape != input.shape:
        if var.shape == input.shape[:-1]:
            var = unsqueeze(var, -1)
        elif not (var.shape[:-1] == input.shape[:-1] and var.shape[-1] == 1):
            raise ValueError(
                f"gaussian_nll_loss: var of shape {var.shape} does not fit input {input.shape}; "
                f"give it the input's shape, or that shape without (or with 1 as) its last size."
            )
    if np.any(array_of(var) < 0):
        raise ValueError("gaussian_nll_loss: var has negative entries.")
    xp = module_of(var)
    var = var + Tensor(xp.maximum(var.data, eps) - var.data)  # clamp, gradient unchanged
    diff = input - target
    loss = (log(var) + diff * diff / var) * 0.5
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


def margin_ranking_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """max(0, −y·(x1 − x2) + margin), y = 1 when x1 should rank higher, −1 when lower."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x1, x2, y = _start("margin_ranking_loss", reduction, input1, input2, target)
    return _reduce(clamp(-y * (x1 - x2) + margin, min=0.0), reduction)


def hinge_embedding_loss(
    input, target, margin=1.0, size_average=None, reduce=None, reduction="mean"
):
    """x where y = 1, max(0, margin − x) where y = −1 (x: a distance)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, y = _start("hinge_embedding_loss", reduction, input, target)
    y = array_of(y)
    loss = where(y != -1, x, 0.0) + where(y != 1, clamp(margin - x, min=0.0), 0.0)
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + e^(−y·x)), y = ±1: a smooth two-class hinge."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, y = _start("soft_margin_loss", reduction, input, target)
    return _reduce(act.softplus(-y * x), reduction)


def multilabel_soft_margin_loss(
    input, target, weight=None, size_average=None, reduce=None, reduction="mean"
):
    """−(1/C) Σ_c [y_c log σ(x_c) + (1 − y_c) log σ(−x_c)]·w_c per sample: x, y (N, C)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x, y = _start("multilabel_soft_margin_loss", reduction, input, target)
    loss = -(y * logsigmoid(x) + (1 - y) * logsigmoid(-x))
    if weight is not None:
        loss = loss * weight
    return _reduce(sum(loss, -1) / x.shape[-1], reduction)


def cosine_embedding_loss(
    input1, input2, target, margin=0.0, size_average=None, reduce=None, reduction="mean"
):
    """1 − cos(x1, x2) where y = 1, max(0, cos(x1, x2) − margin) where y = −1; cos along
    the last dimension with 1e-12 added to each squared norm (PyTorch's EPSILON)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    x1, x2, y = _start("cosine_embedding_loss", reduction, input1, input2, target)
    eps = 1e-12
    dot = sum(x1 * x2, -1)
    cos = dot / sqrt((sum(x1 * x1, -1) + eps) * (sum(x2 * x2, -1) + eps))
    y = array_of(y)
    loss = where(y == 1, 1 - cos, 0.0) + where(y == -1, clamp(cos - margin, min=0.0), 0.0)
    return _reduce(loss, reduction)


def _rows_and_labels(op, x, target, multilabel):
    """x as rows (N, C) and y as (N,) labels, or (N, C) label lists when ``multilabel``;
    an unbatched x, () or (C,), is one row."""
    x = as_tensor(x)
    y = np.asarray(array_of(target)).astype(np.int64)
    if x.ndim < 2:
        x = reshape(x, (1, max(x.numel(), 1)))  # () or (C,) -> (1, C)
        y = y.reshape(1, -1) if multilabel else y.reshape(1)
    return x, y


def multi_margin_loss(
    input,
    target,
    p=1,
    margin=1.0,
    weight=None,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """(1/C) Σ_{i≠y} max(0, margin − x_y + x_i)^p · w_y per sample: x (N, C), y (N,)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("multi_margin_loss", reduction)
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: p must be 1 or 2, got {p}.")
    unbatched = as_tensor(input).ndim < 2
    x, y = _rows_and_labels("multi_margin_loss", input, target, multilabel=False)
    N, C = x.shape
    rows = np.arange(N)
    picked = unsqueeze(getitem(x, (rows, y)), 1)  # x_y (N, 1)
    z = clamp(x - picked + margin, min=0.0)
    z = z * z if p == 2 else z
    if weight is not None:
        z = z * unsqueeze(getitem(as_tensor(weight), y), 1)
    others = module_of(x).asarray(np.arange(C)[None, :] != y[:, None])
    loss = sum(where(others, z, 0.0), 1) / C
    if unbatched and reduction == "none":  # PyTorch gives the target's shape, () or (1,)
        loss = reshape(loss, np.shape(array_of(target)))
    return _reduce(loss, reduction)


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """(1/C) Σ_{j ∈ targets} Σ_{i ∉ targets} max(0, 1 − (x_j − x_i)) per sample; the
    targets of a row are its class indices up to the first −1: x, y (N, C)."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    check_reduction("multilabel_margin_loss", reduction)
    unbatched = as_tensor(input).ndim < 2
    x, y = _rows_and_labels("multilabel_margin_loss", input, target, multilabel=True)
    N, C = x.shape
    counts = np.zeros((N, C))  # how often class j is listed before the first -1
    for n in range(N):
        for j in y[n]:
            if j < 0:
                break
            counts[n, j] += 1
    others = counts == 0
    pair = clamp(1 - unsqueeze(x, 2) + unsqueeze(x, 1), min=0.0)  # [n, j, i] = 1 − x_j + x_i
    mask = (counts[:, :, None] * others[:, None, :]).astype(x.dtype)
    loss = sum(sum(pair * module_of(x).asarray(mask), 2), 1) / C
    return _reduce(loss[0] if unbatched and reduction == "none" else loss, reduction)


def _distance_of(module):
    """The distance function for triplet losses: F.pairwise_distance when none is given or
    when ``module`` is a PairwiseDistance (its ``norm``, ``eps``, ``keepdim``), else it."""
    if module is None:
        return pairwise_distance
    if all(hasattr(module, name) for name in ("norm", "eps", "keepdim")):
        return lambda x, y: pairwise_distance(x, y, module.norm, module.eps, module.keepdim)
    return module


def triplet_margin_with_distance_loss(
    anchor,
    positive,
    negative,
    *,
    distance_function=None,
    margin=1.0,
    swap=False,
    reduction="mean",
):
    """max(0, d(a, p) − d(a, n) + margin); with ``swap`` d(a, n) is min(d(a, n), d(p, n)).

    d defaults to F.pairwise_distance; a PairwiseDistance module (ours or one with the same
    ``norm``, ``eps``, ``keepdim`` attributes, such as PyTorch's) is computed by it too."""
    a, pos, neg = _start("triplet_margin_loss", reduction, anchor, positive, negative)
    distance = _distance_of(distance_function)
    d_pos, d_neg = distance(a, pos), distance(a, neg)
    if swap:
        d_neg = minimum(d_neg, distance(pos, neg))
    return _reduce(clamp(d_pos - d_neg + margin, min=0.0), reduction)


def triplet_margin_loss(
    anchor,
    positive,
    negative,
    margin=1.0,
    p=2,
    eps=1e-6,
    swap=False,
    size_average=None,
    reduce=None,
    reduction="mean",
):
    """Triplet loss with the p-norm distance ‖x − y + eps‖_p."""
    reduction = legacy_reduction(size_average, reduce, reduction)
    return triplet_margin_with_distance_loss(
        anchor,
        positive,
        negative,
        distance_function=lambda x, y: pairwise_distance(x, y, p, eps),
        margin=margin,
        swap=swap,
        reduction=reduction,
    )
