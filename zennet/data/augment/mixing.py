"""Augmentations that mix pairs of samples and their labels: Mixup and CutMix.

Both pair sample i with sample ``perm[i]`` of a random permutation of the batch, draw
``λ ~ Beta(α, α)`` per sample and return SOFT labels ``(N, K)`` (float32, each row sums to 1):

    ỹ_i = λ_i · onehot(y_i) + (1 - λ_i) · onehot(y_perm[i])

Train on them with a loss that takes class probabilities as targets:
``F.cross_entropy(logits, soft_targets)`` accepts a float ``(N, K)`` target, as in PyTorch,
and computes ``-Σ_k ỹ_k log softmax(z)_k`` averaged over the batch. Labels that are already
soft pass through the mixing too, so mixing transforms can follow one another.
"""

import numpy as np

from zennet.data.augment.base import Augmentation, check_non_negative, one_hot
from zennet.data.augment.geometry import as_images, box_mask, centered_boxes


def soft_labels(y, num_classes, name):
    """Labels as ``(N, K)`` soft labels: int ``(N,)`` one-hot encoded, float ``(N, K)`` kept."""
    if y is None:
        raise ValueError(f"{name}: mixes labels too; call it as aug(x, y, rng) with labels y.")
    if y.ndim == 2 and np.issubdtype(y.dtype, np.floating):
        if num_classes is not None and y.shape[1] != num_classes:
            raise ValueError(
                f"{name}(num_classes={num_classes}) got soft labels of shape {y.shape}; "
                f"expected (N, {num_classes})."
            )
        return y
    if num_classes is None:
        raise ValueError(
            f"{name}: got class indices of shape {y.shape} but no num_classes; pass "
            f"{name}(..., num_classes=K) to turn them into (N, K) soft labels."
        )
    return one_hot(y, num_classes, np.float32, name)


def mix_labels(y_soft, lam, perm):
    """``λ_i · y_i + (1 - λ_i) · y_perm[i]`` row by row (``lam (N,)``, ``perm (N,)``)."""
    lam = lam.astype(y_soft.dtype)[:, None]  # (N, 1)
    return lam * y_soft + (1 - lam) * y_soft[perm]


class Mixup(Augmentation):
    """Mixup (Zhang et al., 2018): ``x̃_i = λ_i x_i + (1 - λ_i) x_perm[i]``, labels mixed alike.

    ``λ_i ~ Beta(alpha, alpha)`` per sample; ``alpha`` 0 means no mixing (λ = 1). Works on any
    input shape. ``num_classes`` is needed when the labels are class indices.
    """

    def __init__(self, alpha=0.2, num_classes=None):
        check_non_negative(type(self).__name__, "alpha", alpha)
        self.alpha, self.num_classes = alpha, num_classes

    def draw(self, rng, n):
        """Per-sample ``λ (N,)`` and the partner permutation ``perm (N,)``."""
        lam = np.ones(n) if self.alpha == 0 else rng.beta(self.alpha, self.alpha, n)
        return lam, rng.permutation(n)

    def apply(self, x, y, rng):
        y_soft = soft_labels(y, self.num_classes, type(self).__name__)
        n = x.shape[0]
        lam, perm = self.draw(rng, n)
        weight = lam.astype(x.dtype).reshape((n,) + (1,) * (x.ndim - 1))
        return weight * x + (1 - weight) * x[perm], mix_labels(y_soft, lam, perm)


class CutMix(Mixup):
    """CutMix (Yun et al., 2019): paste a box of sample ``perm[i]`` into sample i.

    The box covers a share ``1 - λ_i`` of the image (``λ_i ~ Beta(alpha, alpha)``), centred on
    a random pixel and clipped at the edges; the labels are mixed with the λ that the clipped
    box really leaves: ``λ_i = 1 - box area / (H·W)``. Images ``(N, C, H, W)`` or ``(N, H, W)``.
    """

    def __init__(self, alpha=1.0, num_classes=None):
        super().__init__(alpha, num_classes)

    def apply(self, x, y, rng):
        y_soft = soft_labels(y, self.num_classes, "CutMix")
        images = as_images(x, "CutMix")
        n, _, h, w = images.shape
        lam, perm = self.draw(rng, n)
        cut = np.sqrt(1.0 - lam)  # box side as a share of the image side
        box_h, box_w = (h * cut).astype(np.intp), (w * cut).astype(np.intp)
        top, left, box_h, box_w = centered_boxes(rng, n, h, w, box_h, box_w)
        mask = box_mask(top, left, box_h, box_w, h, w)  # (N, 1, H, W)
        out = np.where(mask, images[perm], images).reshape(x.shape)
        lam = 1.0 - (box_h * box_w) / (h * w)
        return out, mix_labels(y_soft, lam, perm)
