"""A small CNN on Fashion-MNIST: two Conv-BatchNorm-ReLU-MaxPool blocks, then dense layers.

    python examples/fashion_mnist_cnn.py                 # the full run (README's numbers)
    python examples/fashion_mnist_cnn.py --epochs 1 --limit 2000   # a quick look

Needs the data set: `apt-get install dataset-fashion-mnist` (or pass --data DIR with the
four IDX files). Prints the test accuracy and the training time at the end.
"""

import argparse
import time

import zennet as zn
from zennet.models import build_model
from zennet.training import LearningRateScheduler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=None, help="directory of the IDX files")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--limit", type=int, default=None, help="train on the first N samples")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    zn.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = zn.datasets.load_fashion_mnist(args.data)
    x_train, y_train = x_train[: args.limit], y_train[: args.limit]
    model = build_model("cnn", x_train.shape[1:], 10)
    model.summary(x_train.shape[1:])
    optimizer = zn.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    # cosine decay of the learning rate over the run, stepped once per epoch
    schedule = zn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    trainer = zn.Trainer(model, optimizer, "cross_entropy", ["accuracy"])
    start = time.perf_counter()
    trainer.fit(
        x_train,
        y_train,
        epochs=args.epochs,
        batch_size=args.batch_size,
        validation_split=0.05,
        seed=args.seed,
        callbacks=[LearningRateScheduler(schedule)],
    )
    minutes = (time.perf_counter() - start) / 60
    results = trainer.evaluate(x_test, y_test)
    print(
        f"test_accuracy={results['accuracy']:.4f} test_loss={results['loss']:.4f} "
        f"train_minutes={minutes:.1f}"
    )
    return results


if __name__ == "__main__":
    main()
