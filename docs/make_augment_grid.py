"""Draw docs/augment_grid.png: four digits twice, then two draws of each augmentation on them.

Run from the repository root: ``python docs/make_augment_grid.py`` (needs matplotlib, and
scikit-learn for the digits where ``zennet.data.datasets.load_digits`` is not there yet).
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from zennet.data.augment import (
    BrightnessContrast,
    CutMix,
    Cutout,
    ElasticDistortion,
    GaussianNoise,
    Mixup,
    RandomCrop,
    RandomErasing,
    RandomRotation,
    RandomScale,
    RandomTranslate,
)

ROWS = [
    ("RandomTranslate(1)", RandomTranslate(1)),
    ("RandomCrop(padding=1)", RandomCrop(padding=1)),
    ("RandomRotation(20)", RandomRotation(20)),
    ("RandomScale((0.8, 1.2))", RandomScale((0.8, 1.2))),
    ("ElasticDistortion(3, 1.5)", ElasticDistortion(alpha=3.0, sigma=1.5)),
    ("GaussianNoise(0.1)", GaussianNoise(0.1)),
    ("BrightnessContrast(0.2, 0.4)", BrightnessContrast(0.2, 0.4)),
    ("RandomErasing(p=1)", RandomErasing(p=1.0, scale=(0.05, 0.2))),
    ("Cutout(3)", Cutout(3)),
    ("Mixup(1.0)", Mixup(1.0, num_classes=10)),
    ("CutMix(1.0)", CutMix(1.0, num_classes=10)),
]


def load_digits():
    """``(x (N, 1, 8, 8) float32 in [0, 1], y (N,) int64)``: zennet's copy of the digits, or
    scikit-learn's where zennet.data.datasets is not there yet."""
    try:
        from zennet.data.datasets import load_digits as zennet_digits
    except ImportError:
        from sklearn.datasets import load_digits as sklearn_digits

        digits = sklearn_digits()
        return (digits.images[:, None] / 16.0).astype(np.float32), digits.target.astype(np.int64)
    (x, y), _ = zennet_digits(test_fraction=0.0, flat=False)
    return x, y


def main(out=None, digits=(0, 2, 4, 7), draws=2, seed=0):
    out = Path(__file__).with_name("augment_grid.png") if out is None else Path(out)
    x, y = load_digits()
    first = [int(np.flatnonzero(y == d)[0]) for d in digits]  # the first image of each digit
    pick = np.repeat(first, draws)  # each `draws` times side by side
    x, y = x[pick], y[pick]
    columns = len(pick)
    rng = np.random.default_rng(seed)
    rows = [("original", x, y)] + [(name, *aug(x, y, rng)) for name, aug in ROWS]
    fig, axes = plt.subplots(len(rows), columns, figsize=(columns * 0.75, len(rows) * 0.8))
    for (name, images, labels), row in zip(rows, axes):
        for k, ax in enumerate(row):
            ax.imshow(images[k, 0], cmap="gray_r", vmin=0, vmax=1, interpolation="nearest")
            ax.set_xticks([]), ax.set_yticks([])
            if labels.ndim == 2:  # soft labels: name the two classes mixed and their shares
                top = np.argsort(-labels[k])[:2]
                mix = [f"{c}:{labels[k, c]:.2f}" for c in top if labels[k, c] > 0.005]
                ax.set_title(" ".join(mix), fontsize=5, pad=2)
        row[0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=7)
    fig.tight_layout(pad=0.3)
    fig.savefig(out, dpi=80)
    print(f"wrote {out} ({out.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    main()
