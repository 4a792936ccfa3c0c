"""Pretrain the small CNN shipped as ``zennet.pretrained.fashion_cnn`` on Fashion-MNIST.

    python examples/pretrain_fashion_cnn.py --seed 0

writes zennet/pretrained/fashion_cnn.safetensors. The shipped file was made with exactly
that command (the defaults: all 60,000 training images, 10 epochs, batch 128, Adam lr 2e-3
with a cosine decay per epoch; docs/transfer.md gives the time it took). ``--limit N``
trains on a subset of N images drawn with the seed. Needs the data set
(`apt-get install dataset-fashion-mnist`, or --data DIR with the four IDX files). Prints
the accuracy on the full 10,000-image test set, which docs/transfer.md records.
"""

import argparse
import time

import numpy as np

import zennet as zn
from zennet.pretrained import FASHION_CNN_FILE, fashion_cnn_architecture
from zennet.training import LearningRateScheduler


def pretrain(x, y, epochs=10, batch_size=128, lr=2e-3, seed=0, verbose=1, channels=(16, 32, 32)):
    """Train :func:`fashion_cnn_architecture` on (x, y) from a seeded start; the Trainer."""
    zn.manual_seed(seed)
    model = fashion_cnn_architecture(channels=channels)
    optimizer = zn.optim.Adam(model.parameters(), lr=lr)
    schedule = zn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = zn.Trainer(model, optimizer, "cross_entropy", ["accuracy"])
    callbacks = [LearningRateScheduler(schedule)]
    trainer.fit(x, y, epochs, batch_size, callbacks=callbacks, verbose=verbose, seed=seed)
    return trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="directory of the IDX files")
    parser.add_argument("--limit", type=int, default=None, help="training images used")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(FASHION_CNN_FILE))
    parser.add_argument("--size", type=int, default=28, help="resize the images to this (bilinear)")
    parser.add_argument("--channels", type=int, nargs=3, default=[16, 32, 32], help="per block")
    args = parser.parse_args(argv)

    (x_train, y_train), (x_test, y_test) = zn.datasets.load_fashion_mnist(args.data)
    if args.size != x_train.shape[-1]:
        with zn.no_grad():
            x_train, x_test = (
                zn.functional.interpolate(zn.tensor(x), size=(args.size,) * 2, mode="bilinear").data
                for x in (x_train, x_test)
            )
    subset = np.random.default_rng(args.seed).permutation(len(x_train))[: args.limit]
    start = time.perf_counter()
    trainer = pretrain(
        x_train[subset], y_train[subset], args.epochs, args.batch_size, args.lr, args.seed,
        channels=tuple(args.channels),
    )  # fmt: skip
    minutes = (time.perf_counter() - start) / 60
    results = trainer.evaluate(x_test, y_test)
    options = [f"--seed {args.seed}", f"--epochs {args.epochs}"]
    if args.limit:
        options.append(f"--limit {args.limit}")
    if args.size != 28:
        options.append(f"--size {args.size}")
    if args.channels != [16, 32, 32]:
        options.append("--channels " + " ".join(map(str, args.channels)))
    metadata = {
        "architecture": "zennet.pretrained.fashion_cnn_architecture",
        "command": "python examples/pretrain_fashion_cnn.py " + " ".join(options),
        "test_accuracy": f"{results['accuracy']:.4f}",
        "train_images": str(len(subset)),
        "epochs": str(args.epochs),
        "image_size": str(args.size),
    }
    zn.save(trainer.model.state_dict(), args.out, metadata=metadata)
    print(
        f"test_accuracy={results['accuracy']:.4f} test_loss={results['loss']:.4f} "
        f"train_minutes={minutes:.1f} wrote {args.out}"
    )
    return results


if __name__ == "__main__":
    main()
