"""Pretrain the digits ``cnn`` preset on printed digits, shipped as
``zennet.pretrained.printed_digits_cnn``.

    python examples/pretrain_printed_digits.py --seed 0

draws (or reads from the cache) ``zn.datasets.rendered_digits(per_font=20)``: 20 distorted
images of each digit from every installed font that can draw digits, reduced to 8×8 like
the UCI digits; 10 % of the fonts are held out. Trains the ``cnn`` preset for 8×8 digits
(Adam lr 2e-3, cosine decay per epoch, batch 128, 5 epochs) and writes
zennet/pretrained/printed_digits_cnn.safetensors, with the command, the fonts' count and
the accuracies in its metadata. Prints the accuracy on the held-out fonts and on the
handwritten digits (zennet's digits, split seed 0: its 1,438 training images, which the
transfer study's choices may look at, and its 359 test images), none of which it trains on.
"""

import argparse
import time

import zennet as zn
from zennet.pretrained import PRINTED_DIGITS_CNN_FILE, printed_digits_cnn_architecture
from zennet.training import LearningRateScheduler


def pretrain(x, y, epochs=5, batch_size=128, lr=2e-3, seed=0, verbose=1):
    """Train :func:`printed_digits_cnn_architecture` on (x, y) from a seeded start; the Trainer."""
    zn.manual_seed(seed)
    model = printed_digits_cnn_architecture()
    optimizer = zn.optim.Adam(model.parameters(), lr=lr)
    schedule = zn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    trainer = zn.Trainer(model, optimizer, "cross_entropy", ["accuracy"])
    callbacks = [LearningRateScheduler(schedule)]
    trainer.fit(x, y, epochs, batch_size, callbacks=callbacks, verbose=verbose, seed=seed)
    return trainer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-font", type=int, default=20, help="images of each digit per font")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(PRINTED_DIGITS_CNN_FILE))
    args = parser.parse_args(argv)

    start = time.perf_counter()
    (x, y), (x_fonts, y_fonts) = zn.datasets.rendered_digits(
        per_font=args.per_font, seed=args.seed, flat=False
    )
    fonts = zn.datasets.digit_fonts()
    print(f"{len(fonts)} fonts, {len(x)} training images, {len(x_fonts)} of held-out fonts")
    drawn = time.perf_counter()
    trainer = pretrain(x, y, args.epochs, args.batch_size, args.lr, args.seed)
    minutes = (time.perf_counter() - drawn) / 60
    (xh, yh), (xh_test, yh_test) = zn.datasets.load_digits(flat=False, seed=0)
    scores = {
        "held_out_fonts_accuracy": trainer.evaluate(x_fonts, y_fonts)["accuracy"],
        "handwritten_train_accuracy": trainer.evaluate(xh, yh)["accuracy"],
        "handwritten_test_accuracy": trainer.evaluate(xh_test, yh_test)["accuracy"],
    }
    options = [f"--seed {args.seed}"]
    for name, default in (("per_font", 20), ("epochs", 5), ("batch_size", 128), ("lr", 2e-3)):
        if getattr(args, name) != default:
            options.append(f"--{name.replace('_', '-')} {getattr(args, name)}")
    metadata = {
        "architecture": "zennet.pretrained.printed_digits_cnn_architecture",
        "command": "python examples/pretrain_printed_digits.py " + " ".join(options),
        "fonts": str(len(fonts)),
        "train_images": str(len(x)),
        "epochs": str(args.epochs),
        **{key: f"{value:.4f}" for key, value in scores.items()},
    }
    zn.save(trainer.model.state_dict(), args.out, metadata=metadata)
    shown = " ".join(f"{key}={value:.4f}" for key, value in scores.items())
    print(
        f"{shown} draw_minutes={(drawn - start) / 60:.1f} train_minutes={minutes:.1f} "
        f"wrote {args.out}"
    )
    return scores


if __name__ == "__main__":
    main()
