"""Transfer learning against data hunger: fine-tune a pretrained CNN on a few digits.

    python examples/transfer_digits.py --source printed --keep-head --sizes 1 5 10 50 100 \\
        --lr LR --shrink 0 --scratch-lr LR      # the printed-digits table (docs/transfer.md)
    python examples/transfer_digits.py                       # the Fashion-MNIST table
    python examples/transfer_digits.py --strategy discriminative   # lower lrs for blocks 1-3
    python examples/transfer_digits.py --sizes 10 --seeds 0 --epochs 2   # a quick look

For n labelled 8×8 digits per class (10, 50 and 100 by default, drawn with the seed from
the digits training split; seeds 0-9), the same network is trained twice with the same
data, optimizer (Adam), learning-rate schedule (cosine over the epochs), batch size and
number of epochs; each arm has its own learning rate, the best of each on validation images:

- ``fine-tuned``: start from the pretrained CNN of ``--source``: ``fashion``
  (``zn.pretrained.fashion_cnn()``, Fashion-MNIST) or ``printed``
  (``zn.pretrained.printed_digits_cnn()``, digits printed in every installed font), with a
  new 10-class head (``nn.replace_head``; ``--keep-head`` keeps the printed model's own
  digit head), its convolutions shrunk to ``--shrink`` × a fresh layer's size without
  changing its outputs (``shrink_weights``; 0 leaves them as trained), every layer
  learning at ``--lr`` (``--strategy full``, the default). Nothing is frozen, so the batch
  norms re-estimate their statistics on the digits. With ``--strategy discriminative``
  (fashion only), per-block learning rates (``nn.param_groups``): lr/10 for blocks 1-2,
  lr/3 for block 3, lr for the head.
- ``scratch``: the same architecture freshly initialised, every parameter at
  ``--scratch-lr``.

``--probe`` compares linear probes instead: only the last Linear learns (a new one on the
pretrained network, at ``--lr``; on a freshly initialised one, at ``--scratch-lr``), the
batch norms still re-estimating their statistics.

The digits go in at their own 8×8 size (the fashion network ends in global average
pooling, so 8 → 4 → 2 → 1 through its three blocks; ``--size 28`` upsamples them, at about
12× the compute). Both are evaluated on the 359-image digits test split (``--validate``:
on the training images outside the labelled subset instead); the table gives mean ± std
of the accuracy over the seeds and the paired difference with its standard error.
``--strategy lp-ft`` trains the new head alone for the first quarter of the epochs;
``--weights FILE`` fine-tunes another pretrained file.
"""

import argparse
import time

import numpy as np

import zennet as zn
from zennet import nn
from zennet.pretrained import (
    fashion_cnn,
    fashion_cnn_architecture,
    fashion_cnn_channels,
    printed_digits_cnn,
    printed_digits_cnn_architecture,
)
from zennet.training import Callback, LearningRateScheduler

# fine-tuning lrs as fractions of the base lr (the first matching pattern wins; the head and
# anything unmatched get the base lr): "discriminative" was the first default, chosen up
# front; "full" (every layer at the base lr) won on validation data and is the default since
# (docs/transfer.md)
FINE_TUNE_LR_SCALES = {
    "discriminative": {"features.[0-7].*": 0.1, "features.*": 1 / 3},
    "full": {},
    "lp-ft": {},
}
# "lp-ft" (linear probing, then fine-tuning): the features stay frozen, batch norms included,
# while the new head learns alone for the first quarter of the epochs; then every layer
# learns at the base lr. The random head's first gradients then do not reach the features.
HEAD_ONLY_SHARE = 0.25
# the third round's defaults, each arm's best on validation images (docs/transfer.md): the
# pretrained weights shrunk to 0.1 × a fresh layer's size before fine-tuning at lr 3e-3;
# the network from scratch at lr 1e-2
SHRINK = 0.1
SCRATCH_LR = 1e-2


class UnfreezeAt(Callback):
    """Unfreeze the parameters of ``model`` matching ``pattern`` when epoch ``epoch`` begins."""

    def __init__(self, model, pattern, epoch):
        self.model, self.pattern, self.epoch = model, pattern, epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch:
            nn.unfreeze(self.model, self.pattern)


def split_per_class(x, y, n, seed):
    """(``n`` examples of each class of (x, y), drawn without replacement with ``seed``;
    every other example, the validation images of ``--validate``)."""
    rng = np.random.default_rng(seed)
    picks = [rng.choice(np.flatnonzero(y == c), n, replace=False) for c in np.unique(y)]
    order = rng.permutation(np.concatenate(picks))
    rest = np.setdiff1d(np.arange(len(y)), order)
    return (x[order], y[order]), (x[rest], y[rest])


def sample_per_class(x, y, n, seed):
    """``n`` examples of each class of (x, y), drawn without replacement with ``seed``."""
    return split_per_class(x, y, n, seed)[0]


def resize(data, size):
    """(x, y) with the images x (N, 1, H, W) resized to size×size (bilinear), y unchanged."""
    x, y = data
    if x.shape[-1] == size:
        return x, y
    with zn.no_grad():
        return zn.functional.interpolate(zn.tensor(x), size=(size, size), mode="bilinear").data, y


# source name -> (the pretrained model from a weights file (None: the shipped one), the same
# architecture freshly initialised)
SOURCES = {
    "fashion": (
        lambda weights: fashion_cnn(pretrained=True, path=weights),
        lambda weights: fashion_cnn_architecture(10, channels=fashion_cnn_channels(weights)),
    ),
    "printed": (
        lambda weights: printed_digits_cnn(path=weights),
        lambda weights: printed_digits_cnn_architecture(),
    ),
}


def freeze_features(model):
    """The linear probe: every parameter but the last Linear's stops learning. The batch
    norms still re-estimate their statistics on the new data (``requires_grad_`` only)."""
    head = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    for p in model.parameters():
        p.requires_grad_(False)
    for p in head.parameters():
        p.requires_grad_(True)
    return model


def build(
    pretrained, num_classes=10, lr=3e-3, strategy="full", weights=None, shrink=None,
    source="fashion", keep_head=False, probe=False,
):  # fmt: skip
    """(model, optimizer): the pretrained CNN of ``source`` with a new head (or its own,
    ``keep_head``) and per-block lrs, or the same architecture from scratch with one lr.
    Initialisation uses zennet's generator. With ``shrink``, the pretrained weights are
    shrunk (``shrink_weights``) first. With ``probe``, only the last Linear learns."""
    load, fresh = SOURCES[source]
    if not pretrained:  # the same architecture as the pretrained file's
        model = fresh(weights)
        if probe:
            freeze_features(model)
        return model, zn.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    model = load(weights)
    if not keep_head:
        nn.replace_head(model, num_classes)
    if shrink:
        nn.shrink_weights(model, shrink)
    if probe:
        freeze_features(model)
        return model, zn.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=lr)
    if source != "fashion" and strategy != "full":
        raise ValueError(f"--strategy {strategy} is for the fashion source; use full.")
    lrs = {pattern: lr * scale for pattern, scale in FINE_TUNE_LR_SCALES[strategy].items()}
    optimizer = zn.optim.Adam(nn.param_groups(model, lrs, default_lr=lr))
    if strategy == "lp-ft":
        nn.freeze(model, "features.*")  # until UnfreezeAt (train_and_test)
    return model, optimizer


def train_and_test(
    train,
    test,
    pretrained,
    seed,
    epochs=20,
    batch_size=32,
    lr=3e-3,
    strategy="full",
    weights=None,
    shrink=SHRINK,
    **options,
):
    """Test accuracy of one model trained on ``train`` = (x, y) with the given budget;
    ``options`` (source, keep_head, probe) go to :func:`build`."""
    zn.manual_seed(seed)
    model, optimizer = build(
        pretrained, lr=lr, strategy=strategy, weights=weights, shrink=shrink, **options
    )
    schedule = zn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = zn.Trainer(model, optimizer, "cross_entropy", ["accuracy"])
    callbacks = [LearningRateScheduler(schedule)]
    if pretrained and strategy == "lp-ft":
        callbacks.append(UnfreezeAt(model, "features.*", round(HEAD_ONLY_SHARE * epochs)))
    trainer.fit(
        *train,
        epochs=epochs,
        batch_size=batch_size,
        callbacks=callbacks,
        verbose=0,
        seed=seed,
    )
    return trainer.evaluate(*test)["accuracy"]


def compare(
    sizes=(10, 50, 100),
    seeds=tuple(range(10)),
    epochs=20,
    batch_size=32,
    lr=3e-3,
    strategy="full",
    log=print,
    size=8,
    validate=False,
    weights=None,
    shrink=SHRINK,
    scratch_lr=SCRATCH_LR,
    **options,
):
    """``{(n_per_class, method): [accuracy per seed]}`` for method in fine-tuned, scratch.

    Images go in at ``size``×``size``; with ``validate`` each model is scored on the
    training images outside its labelled subset instead of the test split. ``weights`` is
    another pretrained file for the fine-tuned models (default: the shipped one). The
    fine-tuned models learn at ``lr`` after ``nn.shrink_weights(model, shrink)`` (None:
    not shrunk), the models from scratch at ``scratch_lr`` (None: ``lr``). ``options``
    (source, keep_head, probe) go to :func:`build`; with ``probe`` both arms train only
    their last Linear, on pretrained and on random features.
    """
    train, test = zn.datasets.load_digits(flat=False, seed=0)
    results = {}
    for n in sizes:
        for seed in seeds:
            subset, rest = split_per_class(*train, n, seed)
            scored = resize(rest if validate else test, size)
            subset = resize(subset, size)
            for method, pretrained, rate in (
                ("fine-tuned", True, lr),
                ("scratch", False, scratch_lr or lr),
            ):
                acc = train_and_test(
                    subset, scored, pretrained, seed, epochs, batch_size, rate, strategy,
                    weights, shrink, **options,
                )  # fmt: skip
                results.setdefault((n, method), []).append(acc)
                split = "validation" if validate else "test"
                log(f"n={n:>3}/class seed={seed} {method:>10}: {split} accuracy {acc:.4f}")
    return results


def paired(results, n):
    """(mean difference, its paired standard error, wins, ties, losses) of fine-tuned minus
    scratch at ``n`` per class, the seeds paired (the same labelled images on both sides)."""
    diff = np.array(results[(n, "fine-tuned")]) - np.array(results[(n, "scratch")])
    se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
    return diff.mean(), se, int((diff > 0).sum()), int((diff == 0).sum()), int((diff < 0).sum())


def format_table(results, names=("fine-tuned (pretrained)", "from scratch")):
    """A markdown table: one row per size, mean ± std (over seeds) per method, and the
    paired difference with its standard error and the seeds won, tied and lost."""
    sizes = sorted({n for n, _ in results})
    lines = [
        f"| labelled digits per class | {names[0]} | {names[1]} | difference (paired SE) "
        f"| seeds won / tied / lost |",
        "|---|---|---|---|---|",
    ]
    for n in sizes:
        ft, sc = np.array(results[(n, "fine-tuned")]), np.array(results[(n, "scratch")])
        mean, se, won, tied, lost = paired(results, n)
        lines.append(
            f"| {n} ({10 * n} images) | {100 * ft.mean():.1f} ± {100 * ft.std():.1f} % "
            f"| {100 * sc.mean():.1f} ± {100 * sc.std():.1f} % "
            f"| {100 * mean:+.1f} ({100 * se:.2f}) points | {won} / {tied} / {lost} |"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=list(range(10)))
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3, help="the fine-tuned models' lr")
    parser.add_argument(
        "--scratch-lr", type=float, default=SCRATCH_LR, help="the models from scratch's lr"
    )
    parser.add_argument(
        "--shrink", type=float, default=SHRINK, help="shrink_weights ratio; 0: none"
    )
    parser.add_argument("--strategy", choices=sorted(FINE_TUNE_LR_SCALES), default="full")
    parser.add_argument("--size", type=int, default=8, help="resize the 8×8 digits to this")
    parser.add_argument(
        "--validate", action="store_true", help="score on held-out training images, not the tests"
    )
    parser.add_argument("--weights", default=None, help="a pretrained file other than the shipped")
    parser.add_argument(
        "--source", choices=sorted(SOURCES), default="fashion",
        help="the pretrained model: fashion_cnn or printed_digits_cnn",
    )  # fmt: skip
    parser.add_argument(
        "--keep-head", action="store_true", help="fine-tune the pretrained head, not a new one"
    )
    parser.add_argument(
        "--probe", action="store_true",
        help="linear probe: only the last Linear learns, on pretrained vs random features",
    )  # fmt: skip
    args = parser.parse_args(argv)
    start = time.perf_counter()
    results = compare(
        args.sizes, args.seeds, args.epochs, args.batch_size, args.lr, args.strategy,
        size=args.size, validate=args.validate, weights=args.weights,
        shrink=args.shrink or None, scratch_lr=args.scratch_lr, source=args.source,
        keep_head=args.keep_head, probe=args.probe,
    )  # fmt: skip
    probe_names = ("pretrained features", "random features")
    print(format_table(results, probe_names) if args.probe else format_table(results))
    print(f"minutes={(time.perf_counter() - start) / 60:.1f}")
    return results


if __name__ == "__main__":
    main()
