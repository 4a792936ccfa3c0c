"""``nn.CTCLoss``: the module form of ``F.ctc_loss``, as PyTorch's."""

import zennet.functional as F
from zennet.nn.losses import _Loss


class CTCLoss(_Loss):
    """Connectionist temporal classification loss (see ``F.ctc_loss``): ``forward(log_probs
    (T, N, C), targets, input_lengths, target_lengths)``."""

    def __init__(self, blank=0, reduction="mean", zero_infinity=False):
        super().__init__(reduction=reduction)
        self.blank, self.zero_infinity = blank, zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths):
        return F.ctc_loss(
            log_probs, targets, input_lengths, target_lengths, self.blank, self.reduction,
            self.zero_infinity,
        )  # fmt: skip

    def extra_repr(self):
        return f"blank={self.blank}, reduction={self.reduction!r}"
