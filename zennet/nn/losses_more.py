"""The rest of torch.nn's loss modules, with PyTorch's constructor signatures (including
the deprecated ``size_average`` and ``reduce``, mapped as in nn/losses.py); each calls its
function in functional/losses_more.py and registers its name for ``Trainer(loss=...)``."""

from zennet.functional import losses_more as L
from zennet.nn import losses
from zennet.nn.losses import LOSSES


class _Loss(losses._Loss):
    """nn/losses.py's base, with PyTorch's bare repr (``SoftMarginLoss()``)."""

    def extra_repr(self):
        return ""


class PoissonNLLLoss(_Loss):
    """NLL of target ~ Poisson(exp(input)) (or Poisson(input) with log_input=False)."""

    def __init__(
        self,
        log_input=True,
        full=False,
        size_average=None,
        eps=1e-8,
        reduce=None,
        reduction="mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return L.poisson_nll_loss(
            log_input, target, self.log_input, self.full, eps=self.eps, reduction=self.reduction
        )


class GaussianNLLLoss(_Loss):
    """NLL of target ~ N(input, var): forward(input, target, var)."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return L.gaussian_nll_loss(input, target, var, self.full, self.eps, self.reduction)


class _MarginLoss(_Loss):
    """A loss with a ``margin``: PyTorch's (margin, size_average, reduce, reduction)."""

    default_margin = 0.0

    def __init__(self, margin=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = self.default_margin if margin is None else margin


class MarginRankingLoss(_MarginLoss):
    """max(0, −y·(x1 − x2) + margin)"""

    def forward(self, input1, input2, target):
        return L.margin_ranking_loss(input1, input2, target, self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_MarginLoss):
    """x for y = 1, max(0, margin − x) for y = −1"""

    default_margin = 1.0

    def forward(self, input, target):
        return L.hinge_embedding_loss(input, target, self.margin, reduction=self.reduction)


class CosineEmbeddingLoss(_MarginLoss):
    """1 − cos for y = 1, max(0, cos − margin) for y = −1"""

    def forward(self, input1, input2, target):
        return L.cosine_embedding_loss(
            input1, input2, target, self.margin, reduction=self.reduction
        )


class SoftMarginLoss(_Loss):
    """log(1 + e^(−y·x))"""

    def forward(self, input, target):
        return L.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(_Loss):
    """Per-class binary cross-entropy of logits, averaged over the classes."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return L.multilabel_soft_margin_loss(input, target, self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Hinge between every target class and every other class (targets end at −1)."""

    def forward(self, input, target):
        return L.multilabel_margin_loss(input, target, reduction=self.reduction)


class MultiMarginLoss(_Loss):
    """Multi-class hinge: Σ_{i≠y} max(0, margin − x_y + x_i)^p / C."""

    def __init__(
        self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"
    ):
        super().__init__(size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: p must be 1 or 2, got {p}.")
        self.p, self.margin = p, margin
        self.register_buffer("weight", weight)

    def forward(self, input, target):
        return L.multi_margin_loss(
            input, target, self.p, self.margin, self.weight, reduction=self.reduction
        )


class TripletMarginLoss(_Loss):
    """max(0, ‖a − p‖ − ‖a − n‖ + margin) with the p-norm distance."""

    def __init__(
        self,
        margin=1.0,
        p=2.0,
        eps=1e-6,
        swap=False,
        size_average=None,
        reduce=None,
        reduction="mean",
    ):
        super().__init__(size_average, reduce, reduction)
        self.margin, self.p, self.eps, self.swap = margin, p, eps, swap

    def forward(self, anchor, positive, negative):
        return L.triplet_margin_loss(
            anchor,
            positive,
            negative,
            self.margin,
            self.p,
            self.eps,
            self.swap,
            reduction=self.reduction,
        )


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, d(a, p) − d(a, n) + margin) with any distance function."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction=reduction)
        self.distance_function, self.margin, self.swap = distance_function, margin, swap

    def forward(self, anchor, positive, negative):
        options = dict(distance_function=self.distance_function, margin=self.margin)
        return L.triplet_margin_with_distance_loss(
            anchor, positive, negative, swap=self.swap, reduction=self.reduction, **options
        )


LOSSES.register("poisson_nll", L.poisson_nll_loss, "NLL of a Poisson rate (log-rate input)")
LOSSES.register("gaussian_nll", L.gaussian_nll_loss, "NLL of a Gaussian (input, target, var)")
LOSSES.register("soft_margin", L.soft_margin_loss, "log(1 + exp(-y x)) for labels ±1")
LOSSES.register("hinge_embedding", L.hinge_embedding_loss, "x for y = 1, max(0, m - x) for -1")
LOSSES.register("multi_margin", L.multi_margin_loss, "multi-class hinge of class scores")
LOSSES.register("multilabel_margin", L.multilabel_margin_loss, "multi-label hinge (ends at -1)")
LOSSES.register(
    "multilabel_soft_margin", L.multilabel_soft_margin_loss, "per-class BCE of logits, averaged"
)
