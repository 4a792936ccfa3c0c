"""Face / non-face classification on scikit-image's 200 crops: scratch, augmented, fine-tuned.

    python examples/faces.py                      # the cross-validation table in docs/faces.md
    python examples/faces.py --arms scratch augmented --folds 3 --epochs 5   # a quick look

The 200 crops (``zn.datasets.lfw_faces``) are split once: 160 for training, 40 (20 faces)
held out for the final test and for the detection composites (examples/faces_detect.py).
Each arm trains ``zennet.vision.face_cnn`` (three unpadded Conv3×3-BatchNorm-ReLU blocks,
global average pooling, Linear; 14.3k parameters; 22×22 windows) with Adam and a cosine
learning-rate decay, and is scored by stratified k-fold cross-validation on the 160:

- ``scratch``: fresh weights, the centre 22×22 of each crop, no augmentation.
- ``augmented``: fresh weights; each batch rotated (±10°) and zoomed (±10 %), then a random
  22×22 crop, a left-right flip half the time, brightness ±0.2 and contrast ±30 %.
- ``fashion``: as augmented, starting from ``zn.pretrained.fashion_cnn()`` (its weights fit
  face_cnn: same shapes, no padding), a new 2-class head, the weights shrunk
  (``nn.shrink_weights``, as docs/transfer.md found best).
- ``digits``: as fashion, from the same architecture trained here on the 8×8 digits upsampled
  to ``--digits-size`` (cached in ``--cache``).

``--per-class N ...`` trains each fold on N crops per class of its training folds (drawn with
the seed), to see which answer to data hunger works when data is scarce. The detector's
model is trained by examples/faces_train.py.
"""

import argparse
import time
from pathlib import Path

import numpy as np

import zennet as zn
from zennet import nn
from zennet.data import augment as A
from zennet.data.datasets.faces import cross_validate, lfw_faces
from zennet.pretrained import fashion_cnn, fashion_cnn_architecture
from zennet.training import LearningRateScheduler
from zennet.vision import WINDOW, face_cnn, resize

ARMS = ("scratch", "augmented", "fashion", "digits")
SHRINK = 0.1


def center_crop(x, side=WINDOW):
    """(N, C, side, side): the middle of each image (N, C, H, W)."""
    top, left = (x.shape[2] - side) // 2, (x.shape[3] - side) // 2
    return x[:, :, top : top + side, left : left + side]


def augmentation():
    """The augmented arms' batch transform: (N, 1, 25, 25) -> (N, 1, 22, 22)."""
    return A.Compose(
        [
            A.RandomAffine(degrees=10, scale=(0.9, 1.1)),
            A.RandomCrop(WINDOW),
            A.RandomHorizontalFlip(),
            A.BrightnessContrast(brightness=0.2, contrast=0.3, clip=(0, 1)),
        ]
    )


def digits_source(cache, size, epochs=15, seed=0):
    """The fashion_cnn architecture trained on the digits (``size``×``size``), cached."""
    path = Path(cache) / f"digits_cnn_{size}.safetensors"
    model = fashion_cnn_architecture(10)
    if path.exists():
        model.load_state_dict(zn.load(path))
        return model
    zn.manual_seed(seed)
    (x, y), (xt, yt) = zn.datasets.load_digits(flat=False)
    x, xt = resize(x, (size, size)), resize(xt, (size, size))
    trainer = zn.Trainer(model, zn.optim.Adam(model.parameters(), lr=3e-3))
    trainer.fit(x, y, epochs=epochs, batch_size=64, verbose=0, seed=seed)
    accuracy = trainer.evaluate(xt, yt)["accuracy"]
    print(f"digits source ({size}×{size}): test accuracy {accuracy:.4f}")
    path.parent.mkdir(parents=True, exist_ok=True)
    zn.save(model.state_dict(), path)
    return model


def build(arm, cache=None, digits_size=22):
    """A face_cnn for ``arm``: fresh, or with a pretrained source's weights (shrunk)."""
    model = face_cnn()
    if arm in ("scratch", "augmented"):
        return model
    source = fashion_cnn() if arm == "fashion" else digits_source(cache, digits_size)
    model.load_state_dict(nn.replace_head(source, 2).state_dict())
    return nn.shrink_weights(model, SHRINK)


def fit(arm, x, y, epochs, seed, lr=3e-3, cache=None, digits_size=22):
    """A trained Trainer: ``arm``'s model fitted on crops x (N, 1, 25, 25)."""
    zn.manual_seed(seed)
    model = build(arm, cache, digits_size)
    optimizer = zn.optim.Adam(model.parameters(), lr=lr)
    schedule = zn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = zn.Trainer(model, optimizer, "cross_entropy", ["accuracy"])
    plain = arm == "scratch"
    trainer.fit(
        center_crop(x) if plain else x,
        y,
        epochs=epochs,
        batch_size=32,
        callbacks=[LearningRateScheduler(schedule)],
        verbose=0,
        seed=seed,
        augment=None if plain else augmentation(),
    )
    return trainer


def per_class(x, y, n, seed):
    """``n`` examples of each class of (x, y), drawn with ``seed``; all of them for None."""
    if n is None:
        return x, y
    rng = np.random.default_rng(seed)
    picks = np.concatenate([rng.choice(np.flatnonzero(y == c), n, replace=False) for c in (0, 1)])
    return x[picks], y[picks]


def cv_accuracy(arm, x, y, folds, epochs, seed, n=None, **kwargs):
    """Validation accuracy of each fold of a stratified ``folds``-fold split of (x, y),
    training on ``n`` crops per class of the other folds (all with None)."""

    def fit_and_score(train, val):
        trainer = fit(arm, *per_class(*train, n, seed), epochs, seed, **kwargs)
        return trainer.evaluate(center_crop(val[0]), val[1])["accuracy"]

    return cross_validate(fit_and_score, x, y, k=folds, seed=seed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arms", nargs="+", default=list(ARMS), choices=ARMS)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument(
        "--per-class", type=int, nargs="+", default=[0], help="training crops per class (0: all)"
    )
    parser.add_argument("--digits-size", type=int, default=22)
    parser.add_argument("--cache", default="runs/faces", help="where the digits source is kept")
    args = parser.parse_args()
    (x, y), _ = lfw_faces()  # the 40 held-out crops stay out of the comparison
    kwargs = {"cache": args.cache, "digits_size": args.digits_size}
    print(
        f"{args.folds}-fold cross-validation on {len(y)} crops, {args.epochs} epochs, seeds "
        f"{args.seeds}"
    )
    print("| crops per class | arm | accuracy, mean ± std over folds × seeds | min | time |")
    print("|---|---|---|---|---|")
    if "digits" in args.arms:
        digits_source(args.cache, args.digits_size)  # trained once, outside the timings
    for n in args.per_class:
        for arm in args.arms:
            start = time.perf_counter()
            scores = np.concatenate(
                [
                    cv_accuracy(arm, x, y, args.folds, args.epochs, s, n or None, **kwargs)
                    for s in args.seeds
                ]
            )
            seconds = time.perf_counter() - start
            print(
                f"| {n or 'all'} | {arm} | {100 * scores.mean():.1f} ± {100 * scores.std():.1f} % "
                f"| {100 * scores.min():.1f} % | {seconds:.0f} s |",
                flush=True,
            )


if __name__ == "__main__":
    main()
