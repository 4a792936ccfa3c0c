"""Issue 18: does an ensemble of text classifiers beat the TF-IDF baselines on
``--data debian-packages``? Trains the members one at a time, each exactly as
``zennet train --data debian-packages --model MODEL --steps S --lr LR --seed SEED`` does
(zennet.jobs.textcls's vocabulary, MAX_LEN, batch 64), and averages their probabilities.

    python -m benchmarks.text_ensemble                                  # 3 text-fasttext seeds
    python -m benchmarks.text_ensemble --members text-fasttext:0 text-fasttext:1  # MODEL:SEED

Prints the VALIDATION accuracy and macro-F1 of each member and of the ensemble of the first
k members for every k >= 2. The choice is made on validation alone, by a rule fixed before
any run: the k with the best validation accuracy (a tie goes to the smaller k). The test
split is scored once, for that choice only.
"""

import argparse
import time

from zennet.data.datasets.debian import debian_packages
from zennet.jobs.textcls import MAX_LEN, MIN_FREQ
from zennet.models import build_model
from zennet.random import manual_seed
from zennet.text.classify import (
    accuracy_and_macro_f1,
    encode_texts,
    ensemble_predict,
    train_classifier,
)
from zennet.text.vocab import WordVocab

SETTINGS = {"text-fasttext": (3000, 0.01)}  # (steps, lr) of the README's Debian row


def train_member(splits, vocab, model, seed):
    """Train one member as the CLI does; return it and its encoded validation and test texts."""
    steps, lr = SETTINGS[model]
    manual_seed(seed)
    net = build_model(model, (MAX_LEN,), len(splits.classes), vocab_size=len(vocab))
    units = net.units(vocab)
    train, val, test = [encode_texts(units, [t for t, _ in p], MAX_LEN) for p in splits[:3]]
    labels = [y for _, y in splits.train]
    train_classifier(net, train, labels, steps, 64, lr, seed, log=lambda *a: None)
    return net, val, test


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--members", nargs="+", default=["text-fasttext:0", "text-fasttext:1", "text-fasttext:2"]
    )
    args = parser.parse_args(argv)
    splits = debian_packages()
    vocab = WordVocab.build([t.lower() for t, _ in splits.train], min_freq=MIN_FREQ)
    k = len(splits.classes)
    y_val, y_test = [[y for _, y in p] for p in splits[1:3]]

    def show(what, probs, labels, split):
        s = accuracy_and_macro_f1(probs.argmax(axis=1), labels, k)
        print(f"{what}: {split} accuracy {s['accuracy']:.4f}, macro-F1 {s['macro_f1']:.4f}")
        return s["accuracy"]

    members, start = [], time.process_time()
    for member in args.members:
        model, seed = member.split(":")
        t = time.process_time()
        net, val, test = train_member(splits, vocab, model, int(seed))
        members.append((net, val, test))
        show(f"{member} ({time.process_time() - t:.0f} s CPU)",
             ensemble_predict([net], [val]), y_val, "validation")  # fmt: skip
    best = None
    for n in range(2, len(members) + 1):
        nets, vals, _ = zip(*members[:n])
        score = show(f"ensemble of {args.members[:n]}", ensemble_predict(nets, vals), y_val,
                     "validation")  # fmt: skip
        if best is None or score > best[0]:
            best = (score, n)
    nets, _, tests = zip(*members[: best[1]])
    show(f"chosen: ensemble of {args.members[: best[1]]}", ensemble_predict(nets, tests), y_test,
         "TEST")  # fmt: skip
    print(f"{time.process_time() - start:.0f} s CPU in all")


if __name__ == "__main__":
    main()
