"""Issue 18: does an ensemble of zennet text classifiers beat the TF-IDF baselines on
``--data debian-packages``? Trains the members one at a time, each as ``zennet train`` does
(``benchmarks.text_members``: a JSON setting or MODEL:SEED), and averages their
probabilities (a member named twice counts twice).

    python -m benchmarks.text_ensemble MEMBER [MEMBER ...]        # this ensemble, then test
    python -m benchmarks.text_ensemble MEMBER ... --train-val     # trained on train + val
    python -m benchmarks.text_ensemble --members text-fasttext:0 text-fasttext:1 text-fasttext:2
    python -m benchmarks.text_ensemble                            # the same three

Trained on the training split, it prints each member's VALIDATION accuracy and macro-F1 and
the ensemble's, then scores the test split once, for the ensemble. ``--train-val`` trains
every member on the training and validation texts together (the vocabulary of both, each
member's steps scaled by their size over the training split's, so it makes as many passes),
the standard last step once the settings are chosen; there is no validation score then.

``--members`` keeps the first rule (docs/text.md): print the ensembles of the first k
members for every k >= 2 on validation, and score test once for the k with the best
validation accuracy (a tie goes to the smaller k).
"""

import argparse
import time

import numpy as np

from benchmarks.text_members import encode_for, parse_member, split_texts, train_member
from zennet.data.datasets.debian import debian_packages
from zennet.text.classify import accuracy_and_macro_f1, predict_proba


def train_distinct(texts, labels, k, settings, scale=1.0):
    """{setting: (net, vocab)}: each distinct setting trained once."""
    nets = {}
    for text in dict.fromkeys(settings):
        net, vocab, seconds = train_member(texts, labels, k, parse_member(text), None, scale)
        print(f"{text}: trained in {seconds:.0f} s CPU", flush=True)
        nets[text] = (net, vocab)
    return nets


def probabilities(nets, settings, texts):
    """The probabilities of each setting of ``settings`` (in order) on ``texts``."""
    cache = {
        t: predict_proba(net, encode_for(net, vocab, texts)) for t, (net, vocab) in nets.items()
    }
    return [cache[t] for t in settings]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("settings", nargs="*", metavar="MEMBER")
    parser.add_argument("--members", nargs="+", help="the first-k rule over these members")
    parser.add_argument("--train-val", action="store_true", help="train on train + validation")
    args = parser.parse_args(argv)
    if args.settings and args.members:
        parser.error("give the ensemble's MEMBERs, or --members for the first-k rule")
    if not args.settings:
        args.members = args.members or [f"text-fasttext:{seed}" for seed in range(3)]
    splits = debian_packages()
    k, start = len(splits.classes), time.process_time()
    (train, y_train), (val, y_val), (test, y_test) = map(split_texts, splits[:3])

    def show(what, probs, labels, split):
        s = accuracy_and_macro_f1(np.mean(probs, 0).argmax(axis=1), labels, k)
        print(f"{what}: {split} accuracy {s['accuracy']:.4f}, macro-F1 {s['macro_f1']:.4f}")
        return s["accuracy"]

    settings = args.settings or args.members
    if args.train_val:
        nets = train_distinct(train + val, np.concatenate([y_train, y_val]), k, settings,
                              (len(train) + len(val)) / len(train))  # fmt: skip
        show(f"ensemble of {settings} (train + val)", probabilities(nets, settings, test),
             y_test, "TEST")  # fmt: skip
        return print(f"{time.process_time() - start:.0f} s CPU in all")
    nets = train_distinct(train, y_train, k, settings)
    val_probs = probabilities(nets, settings, val)
    for text, p in zip(settings, val_probs):
        show(text, [p], y_val, "validation")
    if args.members:  # the first-k rule
        scores = [show(f"first {n}", val_probs[:n], y_val, "validation")
                  for n in range(2, len(settings) + 1)]  # fmt: skip
        settings = settings[: 2 + int(np.argmax(scores))]
    else:
        show("ensemble", val_probs, y_val, "validation")
    show(f"chosen: ensemble of {settings}", probabilities(nets, settings, test), y_test, "TEST")
    print(f"{time.process_time() - start:.0f} s CPU in all")


if __name__ == "__main__":
    main()
