"""Loss modules: each holds its options and calls the function of the same name in
functional/loss.py (``nn.CrossEntropyLoss()(logits, y)`` is ``F.cross_entropy(logits, y)``).

Class weights and ``pos_weight`` are buffers, so they appear in ``state_dict`` under
PyTorch's keys ("weight", "pos_weight") when they are given. Constructors take PyTorch's
arguments in PyTorch's order, the deprecated ``size_average`` and ``reduce`` included
(mapped to a ``reduction`` as PyTorch maps them, with its warning).
"""

from zennet import functional as F
from zennet.functional.loss import REDUCTIONS, check_reduction, legacy_reduction
from zennet.nn.module import Module
from zennet.registry import Registry


class _Loss(Module):
    """A loss with a ``reduction`` ("mean", "sum" or "none"), checked at construction;
    the legacy ``size_average`` / ``reduce`` pair, when given, decides it instead."""

    reductions = REDUCTIONS

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        reduction = legacy_reduction(size_average, reduce, reduction)
        check_reduction(type(self).__name__, reduction, self.reductions)
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}"


class _WeightedLoss(_Loss):
    """A loss with per-class (or per-element) weights kept as a buffer."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error (input - target)²."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error |input - target|."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """½ d² for |d| < delta, delta (|d| - ½ delta) beyond."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """½ d² / beta for |d| < beta, |d| - ½ beta beyond."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (after a sigmoid)."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy of logits, sigmoid included (stable for any logit)."""

    def __init__(
        self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, self.weight, reduction=self.reduction, pos_weight=self.pos_weight
        )


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits (N, C[, d1, ...]) against labels or probabilities."""

    def __init__(
        self,
        weight=None,
        size_average=None,
        ignore_index=-100,
        reduce=None,
        reduction="mean",
        label_smoothing=0.0,
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (after log_softmax)."""

    def __init__(
        self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"
    ):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class KLDivLoss(_Loss):
    """KL(target ‖ exp(input)) for log-probabilities; reduction may also be "batchmean"."""

    reductions = REDUCTIONS + ("batchmean",)

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


LOSSES = Registry("loss")
"""Loss names for ``Trainer(loss="mse")``: each name maps to its function in F."""

LOSSES.register("cross_entropy", F.cross_entropy, "softmax cross-entropy of logits, class labels")
LOSSES.register(
    "sparse_categorical_crossentropy", F.cross_entropy, "Keras's name for cross_entropy"
)
LOSSES.register("nll", F.nll_loss, "negative log-likelihood of log-probabilities")
LOSSES.register("mse", F.mse_loss, "mean squared error")
LOSSES.register("mean_squared_error", F.mse_loss, "Keras's name for mse")
LOSSES.register("mae", F.l1_loss, "mean absolute error")
LOSSES.register("l1", F.l1_loss, "mean absolute error")
LOSSES.register("huber", F.huber_loss, "Huber loss (squared near 0, absolute beyond delta)")
LOSSES.register("bce", F.binary_cross_entropy, "binary cross-entropy of probabilities")
LOSSES.register("binary_crossentropy", F.binary_cross_entropy, "Keras's name for bce")
LOSSES.register(
    "bce_with_logits", F.binary_cross_entropy_with_logits, "binary cross-entropy of logits"
)


def get_loss(loss):
    """A loss function for a registered name ("cross_entropy", "mse", ...) or a callable
    (an F.* function or an nn.*Loss module), which is returned as it is."""
    return loss if callable(loss) else LOSSES.get(loss)
