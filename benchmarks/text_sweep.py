"""The validation sweep of zennet's text classifiers on ``--data debian-packages``: train
each setting (``benchmarks.text_members``' JSON or MODEL:SEED) on the training split and
print its VALIDATION accuracy and macro-F1 only; the test split is left alone.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 python -m benchmarks.text_sweep \\
        '{"pooling": "attention"}' '{"label_smoothing": 0.1}' --cache runs/sweep

With ``--cache DIR`` each setting's validation probabilities go to DIR (a setting found
there is not trained again). ``--mean`` prints the ensemble of all the settings (the mean of
their probabilities); ``--select`` picks an ensemble of the settings by
``greedy_ensemble`` on the validation probabilities (so its validation score is optimistic).
"""

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from benchmarks.text_members import (
    encode_for,
    greedy_ensemble,
    parse_member,
    split_texts,
    train_member,
)
from zennet.data.datasets.debian import debian_packages
from zennet.text.classify import accuracy_and_macro_f1, predict_proba


def cache_path(cache, spec):
    """DIR/<md5 of the setting's canonical JSON>.npz."""
    key = json.dumps(spec, sort_keys=True)
    return Path(cache) / f"{hashlib.md5(key.encode()).hexdigest()[:16]}.npz"


def validation_probabilities(splits, spec, cache=None):
    """(validation probabilities (N, C), CPU seconds of training or None if cached)."""
    path = cache_path(cache, spec) if cache else None
    if path is not None and path.exists():
        return np.load(path)["probs"], None
    texts, labels = split_texts(splits.train)
    net, vocab, seconds = train_member(texts, labels, len(splits.classes), spec)
    probs = predict_proba(net, encode_for(net, vocab, split_texts(splits.val)[0]))
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez(path, probs=probs, spec=json.dumps(spec, sort_keys=True))
    return probs, seconds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("members", nargs="+", metavar="SETTING")
    parser.add_argument("--cache", help="folder for the validation probabilities")
    parser.add_argument("--select", action="store_true", help="greedy ensemble selection")
    parser.add_argument("--mean", action="store_true", help="the ensemble of all the settings")
    args = parser.parse_args(argv)
    splits = debian_packages()
    labels, k = split_texts(splits.val)[1], len(splits.classes)

    def show(what, probs):
        s = accuracy_and_macro_f1(probs.argmax(axis=1), labels, k)
        print(f"{what}: validation accuracy {s['accuracy']:.4f}, macro-F1 "
              f"{s['macro_f1']:.4f}", flush=True)  # fmt: skip

    all_probs = []
    for text in args.members:
        probs, seconds = validation_probabilities(splits, parse_member(text), args.cache)
        show(f"{text} ({'cached' if seconds is None else f'{seconds:.1f} s CPU'})", probs)
        all_probs.append(probs)
    if args.mean:
        show(f"ensemble of all {len(all_probs)}", np.mean(all_probs, axis=0))
    if args.select:
        chosen = greedy_ensemble(all_probs, labels)
        show(
            f"ensemble {[args.members[i] for i in chosen]}",
            np.mean([all_probs[i] for i in chosen], 0),
        )


if __name__ == "__main__":
    main()
